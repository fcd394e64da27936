import { Island } from "../islands.tsx";
import ClusterOverview from "../islands/ClusterOverview.tsx";
import { Shell } from "../components/layout.tsx";
import { listUrl } from "../lib/k8s/paths.ts";
import type { Cluster, UiUser } from "../lib/types.ts";

export function ClusterPage(
  { user, cluster, now, namespaces, crds }: {
    user: UiUser;
    cluster: Cluster;
    now: number;
    namespaces: string[] | null;
    crds: string[] | null;
  },
) {
  return (
    <Shell
      user={user}
      cluster={cluster}
      active="overview"
      now={now}
      crumbs={[{ label: "Clusters", href: "/clusters" }, { label: cluster.name }]}
    >
      <Island
        name="ClusterOverview"
        component={ClusterOverview}
        props={{
          cluster,
          now,
          isAdmin: user.role === "admin",
          namespaces,
          crds,
          podsUrl: listUrl(cluster.id, { group: "", version: "v1", resource: "pods" }),
        }}
      />
    </Shell>
  );
}
