// The Create / apply page: GET /clusters/{id}/apply[?ns=]. Reads the namespaces for the picker
// through the person's client; the island (islands/ApplyYaml.tsx) does the rest in the browser
// through the proxy, as the person. A viewer's role on the cluster disables Preview and Apply
// with the dashboard's reason (both are PATCHes, which the proxy refuses to viewers).
import type { Hono } from "hono";
import type { WebDeps, WebEnv } from "../deps.ts";
import { ApplyPage } from "../pages/apply.tsx";
import { isNamespace } from "../lib/params.ts";
import { roleOn, VIEWER_REASON } from "../lib/k8s/access_review.ts";
import { clusterPage, page, uiUser } from "./page.tsx";
import { NAMESPACES_PATH, readerFor } from "./cluster_reader.ts";
import { PageError } from "./page_error.ts";

export function applyRoutes(pages: Hono<WebEnv>, deps: WebDeps): void {
  pages.get(
    "/clusters/:id/apply",
    clusterPage(deps, async (c, cluster, user) => {
      const namespace = c.req.query("ns") || "default";
      if (!isNamespace(namespace)) {
        throw new PageError(400, "Invalid address", `"${namespace}" is not a namespace name.`);
      }
      const reader = await readerFor(deps, cluster.id, user);
      const namespaces = await reader.names(NAMESPACES_PATH);
      const viewer = roleOn(cluster, user) === "viewer";
      return page(
        `Create / apply · ${cluster.name}`,
        <ApplyPage
          user={uiUser(user)}
          cluster={cluster}
          now={Date.now()}
          namespace={namespace}
          namespaces={namespaces ?? []}
          access={viewer ? { allowed: false, reason: VIEWER_REASON } : { allowed: true }}
        />,
      )(c);
    }),
  );
}
