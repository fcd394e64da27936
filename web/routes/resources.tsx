// The resource explorer's pages: GET /clusters/{id}/r (every kind the cluster serves),
// /clusters/{id}/r/{group}/{version}/{resource}[?ns=] (the first rows of a list) and
// /clusters/{id}/r/{group}/{version}/{resource}/{ns|_}/{name}[?tab=yaml|logs|shell] (one object;
// logs: a pod's, or all pods' of a workload).
// The route params are validated here, in `routeParams()`, before any API path is built from
// them. The list and object pages ask the cluster what the person may do there
// (permissions.ts), alongside their reads.
import type { Context, Hono } from "hono";
import { stringify } from "yaml";
import type { WebDeps, WebEnv, WebUser } from "../deps.ts";
import { ResourcesIndexPage } from "../pages/resources_index.tsx";
import { ResourceListPage } from "../pages/resource_list.tsx";
import { type KubeEvent, ObjectPage } from "../pages/object.tsx";
import { InvalidParamError, type ResourceParams, validateResourceParams } from "../lib/params.ts";
import { groupFromSegment, listPath, objectPath, type ResourceRef } from "../lib/k8s/paths.ts";
import {
  type KubeTable,
  listAsTable,
  TABLE_ACCEPT,
  tableColumns,
  tableRows,
} from "../lib/k8s/table.ts";
import { cleanForEdit } from "../lib/k8s/objects.ts";
import { hasWorkloadLogs } from "../lib/k8s/workload_logs.ts";
import type { Cluster } from "../lib/types.ts";
import { clusterPage, page, uiUser } from "./page.tsx";
import { PageError } from "./page_error.ts";
import { ClusterReader, NAMESPACES_PATH, readerFor } from "./cluster_reader.ts";
import { permissionsFor, rowPermission } from "./permissions.ts";
import { objectActions } from "../lib/k8s/access_review.ts";

const SSR_ROWS = 100;

/**
 * The route's resource params, validated before any API path is built from them (a decoded
 * `v1/../../logs` must never become a path): a bad segment answers 400 naming it.
 */
function routeParams(c: Context<WebEnv>, object: boolean):
  & Required<
    Pick<ResourceParams, "group" | "version" | "resource">
  >
  & ResourceParams {
  const p: ResourceParams = {
    group: c.req.param("group") ?? "",
    version: c.req.param("version") ?? "",
    resource: c.req.param("resource") ?? "",
    ...(object
      ? { ns: c.req.param("ns") ?? "", name: c.req.param("name") ?? "" }
      : { nsQuery: c.req.query("ns") ?? "" }),
  };
  try {
    return validateResourceParams(p);
  } catch (err) {
    if (err instanceof InvalidParamError) throw new PageError(400, "Invalid address", err.message);
    throw err;
  }
}

/**
 * The person's client of the cluster, its reader and the resource named by the (validated) route
 * params.
 */
async function resourceOf(
  deps: WebDeps,
  cluster: Cluster,
  user: WebUser,
  p: Pick<ResourceParams, "group" | "version" | "resource">,
) {
  const client = await deps.client(cluster.id, user);
  const reader = new ClusterReader(client, deps.agentCredential);
  const resource: ResourceRef = await reader.resolveResource(
    groupFromSegment(p.group),
    p.version,
    p.resource,
  );
  return { client, reader, resource };
}

export function resourceRoutes(pages: Hono<WebEnv>, deps: WebDeps): void {
  pages.get(
    "/clusters/:id/r",
    clusterPage(deps, async (c, cluster, user) => {
      let refs: ResourceRef[] = [];
      let error: string | null = null;
      try {
        refs = await (await readerFor(deps, cluster.id, user)).discoverAll();
      } catch (err) {
        error = (err as Error).message;
      }
      return page(
        `All resources · ${cluster.name}`,
        <ResourcesIndexPage
          user={uiUser(user)}
          cluster={cluster}
          now={Date.now()}
          refs={refs}
          error={error}
        />,
      )(c);
    }),
  );

  pages.get(
    "/clusters/:id/r/:group/:version/:resource",
    clusterPage(deps, async (c, cluster, user) => {
      const params = routeParams(c, false);
      const { client, reader, resource } = await resourceOf(deps, cluster, user, params);
      const namespace = resource.namespaced ? (params.nsQuery ?? "") : "";
      let table: KubeTable = { kind: "Table", columnDefinitions: [], rows: [] };
      let error: string | null = null;
      const read = reader.get<KubeTable>(
        `${listPath(resource, namespace)}?limit=${SSR_ROWS}`,
        TABLE_ACCEPT,
      ).then(
        (t) => void (table = t.kind === "Table" ? t : listAsTable(t as never)),
        (err) => void (error = (err as Error).message),
      );
      const [namespaces, , deletable] = await Promise.all([
        resource.namespaced ? reader.names(NAMESPACES_PATH) : null,
        read,
        resource.verbs.includes("delete")
          ? rowPermission(
            client,
            cluster,
            user,
            resource,
            namespace,
            read.then(() => tableRows(table).map((r) => r.namespace)),
            "delete",
          )
          : null,
      ]);
      const columns = tableColumns(
        table.columnDefinitions?.length
          ? table.columnDefinitions
          : [{ name: "Name", type: "string", format: "name" }, { name: "Age", type: "string" }],
        resource.namespaced && !namespace,
      );
      const rows = tableRows(table).sort((a, b) =>
        a.namespace.localeCompare(b.namespace) ||
        a.name.localeCompare(b.name, undefined, { numeric: true })
      );
      return page(
        `${resource.kind} · ${cluster.name}`,
        <ResourceListPage
          user={uiUser(user)}
          cluster={cluster}
          now={Date.now()}
          resource={resource}
          namespace={namespace}
          namespaces={namespaces ?? []}
          columns={columns}
          rows={rows}
          partial={!!table.metadata?.continue}
          error={error}
          deletable={deletable}
        />,
      )(c);
    }),
  );

  pages.get(
    "/clusters/:id/r/:group/:version/:resource/:ns/:name",
    clusterPage(deps, async (c, cluster, user) => {
      const params = routeParams(c, true);
      const { client, reader, resource } = await resourceOf(deps, cluster, user, params);
      const nsParam = params.ns ?? "_";
      const ns = resource.namespaced && nsParam !== "_" ? nsParam : null;
      const name = params.name ?? "";
      const isPod = resource.group === "" && resource.resource === "pods";
      const tabParam = c.req.query("tab");
      const tab = tabParam === "yaml"
        ? "yaml"
        : tabParam === "logs" && (isPod || hasWorkloadLogs(resource))
        ? "logs"
        : tabParam === "shell" && isPod
        ? "shell"
        : "overview";
      // Only what this tab shows: Delete, the Logs tab and a workload's actions (scale, patch)
      // everywhere, Edit on YAML, the shell's exec and attach on Shell.
      const actions = objectActions(resource).filter((a) =>
        a === "update" ? tab === "yaml" : a === "exec" || a === "attach" ? tab === "shell" : true
      );
      const [obj, permissions] = await Promise.all([
        reader.get<Parameters<typeof ObjectPage>[0]["obj"]>(objectPath(resource, ns, name)),
        permissionsFor(client, cluster, user, resource, ns, name, { actions }),
      ]);
      let events: KubeEvent[] = [];
      let logs: { text: string; error: string | null } | null = null;
      if (tab === "overview" && obj.metadata.uid) {
        const sel = encodeURIComponent(`involvedObject.uid=${obj.metadata.uid}`);
        const path = ns
          ? `/api/v1/namespaces/${encodeURIComponent(ns)}/events?fieldSelector=${sel}`
          : `/api/v1/events?fieldSelector=${sel}`;
        events = await reader.get<{ items?: KubeEvent[] }>(path).then(
          (l) => (l.items ?? []).slice(-50).reverse(),
          () => [],
        );
      }
      if (tab === "logs" && isPod) {
        const container =
          (obj.spec as { containers?: { name: string }[] })?.containers?.[0]?.name ?? "";
        const path = `${objectPath(resource, ns, name)}/log?tailLines=500&container=${
          encodeURIComponent(container)
        }`;
        logs = await reader.text(path).then(
          (text) => ({ text, error: null }),
          (err) => ({ text: "", error: (err as Error).message }),
        );
      }
      const yaml = tab === "yaml"
        ? stringify(cleanForEdit(obj as unknown as Record<string, unknown>), { lineWidth: 0 })
        : "";
      return page(
        `${name} · ${resource.kind}`,
        <ObjectPage
          user={uiUser(user)}
          cluster={cluster}
          now={Date.now()}
          resource={resource}
          obj={obj}
          tab={tab}
          yaml={yaml}
          events={events}
          logs={logs}
          permissions={permissions}
        />,
      )(c);
    }),
  );
}
