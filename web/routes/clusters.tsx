// GET /clusters (every cluster) and GET /clusters/{id} (a cluster's overview, with the namespace
// and CRD names read from the cluster through its client, for both kinds of cluster).
import type { Hono } from "hono";
import type { WebDeps, WebEnv } from "../deps.ts";
import { ClustersPage } from "../pages/clusters.tsx";
import { ClusterPage } from "../pages/cluster.tsx";
import { type Cluster, toJson } from "../lib/types.ts";
import { clusterPage, page, uiUser } from "./page.tsx";
import { CRDS_PATH, NAMESPACES_PATH, readerFor } from "./cluster_reader.ts";

export function clusterRoutes(pages: Hono<WebEnv>, deps: WebDeps): void {
  pages.get("/clusters", async (c) => {
    const user = c.get("user");
    const clusters = toJson<Cluster[]>(await deps.clusters.list(user));
    return page(
      "Clusters",
      <ClustersPage
        user={uiUser(user)}
        clusters={clusters}
        now={Date.now()}
        agentImage={deps.agentImage}
      />,
    )(c);
  });

  pages.get(
    "/clusters/:id",
    clusterPage(deps, async (c, cluster, user) => {
      let namespaces: string[] | null = null;
      let crds: string[] | null = null;
      if (cluster.status === "connected") {
        const reader = await readerFor(deps, cluster.id, user).catch(() => null);
        if (reader) {
          [namespaces, crds] = await Promise.all([
            reader.names(NAMESPACES_PATH),
            reader.names(CRDS_PATH),
          ]);
        }
      }
      return page(
        cluster.name,
        <ClusterPage
          user={uiUser(user)}
          cluster={cluster}
          now={Date.now()}
          namespaces={namespaces}
          crds={crds}
        />,
      )(c);
    }),
  );
}
