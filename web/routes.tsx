/**
 * The web UI's routes, mounted at "/" after the API: static assets, the login page and the
 * server-rendered pages (clusters, a cluster's overview, the resource explorer, API tokens).
 * Pages read their first data on the server (from the store and, through the ClusterManager, from
 * the cluster), so every page reads fine before its island script runs; islands then keep it
 * live through the REST API and the Kubernetes proxy.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { stringify } from "yaml";
import type { VNode } from "preact";
import type { AppEnv } from "../backend/http/types.ts";
import type { AuthService, User } from "../backend/auth/service.ts";
import type { ClusterManager } from "../backend/cluster/manager.ts";
import { SESSION_COOKIE } from "../backend/auth/middleware.ts";
import { type ClusterClient, kubeRequest } from "../backend/cluster/client.ts";
import { renderDocument } from "./render.tsx";
import { serveStatic } from "./assets.ts";
import { ensureWebBuild } from "./build.ts";
import { Shell } from "./components/layout.tsx";
import { LoginPage } from "./pages/login.tsx";
import { ErrorContent } from "./pages/error.tsx";
import { ClustersPage } from "./pages/clusters.tsx";
import { ClusterPage } from "./pages/cluster.tsx";
import {
  type KubeEvent,
  ObjectPage,
  ResourceListPage,
  ResourcesIndexPage,
} from "./pages/resources.tsx";
import { TokensPage } from "./pages/tokens.tsx";
import { safeNext } from "./lib/validate.ts";
import {
  InvalidParamError,
  isGroupVersion,
  type ResourceParams,
  validateResourceParams,
} from "./lib/params.ts";
import { AGENT_CREDENTIAL_SECRET, isAgentCredentialPath } from "../backend/cluster/proxy_guards.ts";
import {
  AGGREGATED_DISCOVERY_ACCEPT,
  apiBase,
  canList,
  cleanForEdit,
  errorMessage,
  groupFromSegment,
  type KubeTable,
  listAsTable,
  listPath,
  objectPath,
  parseAggregatedDiscovery,
  parseResourceList,
  type ResourceRef,
  sortRefs,
  TABLE_ACCEPT,
  tableColumns,
  tableRows,
} from "./lib/k8s.ts";
import { type ApiToken, type Cluster, toJson, type UiUser } from "./lib/types.ts";

export interface WebDeps {
  auth: AuthService;
  manager: ClusterManager;
  publicUrl: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SSR_ROWS = 100;
const KUBE_TIMEOUT_MS = 5000;

class PageError extends Error {
  constructor(readonly status: number, readonly title: string, message: string) {
    super(message);
  }
}

function html(c: Context, body: string, status = 200): Response {
  return c.body(body, status as 200, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
  });
}

function uiUser(u: User): UiUser {
  return { id: u.id, username: u.username, role: u.role };
}

/** Pages never read the agent's credential Secret, as the proxy never forwards a request for it. */
function refuseCredentialPath(path: string): void {
  if (isAgentCredentialPath(path.split("?", 1)[0])) {
    throw new PageError(
      403,
      "Not available",
      `The Secret ${AGENT_CREDENTIAL_SECRET} holds an agent's credential; the dashboard does not show it.`,
    );
  }
}

/**
 * The route's resource params, validated before any API path is built from them (a decoded
 * `v1/../../logs` must never become a path): a bad segment answers 400 naming it.
 */
function routeParams(c: Context<AppEnv>, object: boolean):
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

/** GET against the cluster through the ClusterManager; throws PageError with the cluster's message. */
async function kubeGet<T>(
  client: ClusterClient,
  path: string,
  accept = "application/json",
): Promise<T> {
  refuseCredentialPath(path);
  let res: Response;
  try {
    res = await client.fetch(
      kubeRequest(path, { headers: { accept }, signal: AbortSignal.timeout(KUBE_TIMEOUT_MS) }),
    );
  } catch (err) {
    throw new PageError(502, "The cluster is unreachable", (err as Error).message);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  if (!res.ok) {
    throw new PageError(
      res.status,
      res.status === 404 ? "Not found" : "The cluster refused the request",
      errorMessage(body, res.status),
    );
  }
  return body as T;
}

async function kubeText(client: ClusterClient, path: string): Promise<string> {
  refuseCredentialPath(path);
  const res = await client.fetch(
    kubeRequest(path, { headers: { accept: "*/*" }, signal: AbortSignal.timeout(KUBE_TIMEOUT_MS) }),
  );
  const text = await res.text();
  if (!res.ok) {
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // plain text
    }
    throw new Error(errorMessage(body, res.status));
  }
  return text;
}

/** Resolves {group, version, resource} with the group's own discovery document. */
async function resolveResource(
  client: ClusterClient,
  group: string,
  version: string,
  resource: string,
): Promise<ResourceRef> {
  const base = apiBase({ group, version });
  const list = await kubeGet<unknown>(client, base).catch((err) => {
    if (err instanceof PageError && err.status === 404) {
      throw new PageError(
        404,
        "Unknown API",
        `This cluster does not serve ${group ? `${group}/` : ""}${version}.`,
      );
    }
    throw err;
  });
  const ref = parseResourceList(list).find((r) => r.resource === resource);
  if (!ref) {
    throw new PageError(
      404,
      "Unknown resource",
      `${group ? `${group}/` : ""}${version} has no resource "${resource}".`,
    );
  }
  return ref;
}

async function discoverAll(client: ClusterClient): Promise<ResourceRef[]> {
  const [core, groups] = await Promise.all([
    kubeGet<unknown>(client, "/api", AGGREGATED_DISCOVERY_ACCEPT),
    kubeGet<unknown>(client, "/apis", AGGREGATED_DISCOVERY_ACCEPT),
  ]);
  const a = parseAggregatedDiscovery(core);
  const b = parseAggregatedDiscovery(groups);
  if (a && b) return sortRefs([...a, ...b].filter(canList));
  // Older servers: one request per group version.
  const refs = parseResourceList(await kubeGet(client, "/api/v1"));
  const list = groups as { groups?: { preferredVersion?: { groupVersion: string } }[] };
  const more = await Promise.all(
    (list.groups ?? []).map((g) => {
      const gv = g.preferredVersion?.groupVersion ?? "";
      if (!isGroupVersion(gv)) return Promise.resolve([]);
      return kubeGet(client, `/apis/${gv}`).then(parseResourceList, () => []);
    }),
  );
  return sortRefs([...refs, ...more.flat()].filter(canList));
}

async function namesOf(client: ClusterClient, path: string): Promise<string[] | null> {
  try {
    const list = await kubeGet<{ items?: { metadata?: { name?: string } }[] }>(client, path);
    return (list.items ?? []).map((i) => i.metadata?.name ?? "").filter(Boolean).sort();
  } catch {
    return null;
  }
}

export function webRoutes(deps: WebDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const store = deps.manager.store;
  // Build the assets on first start when they are missing (no-op when built).
  const built = ensureWebBuild().catch((err) => {
    console.error(`web: building assets failed: ${(err as Error).message}`);
  });

  app.on(["GET", "HEAD"], "/static/*", async (c) => {
    await built;
    return serveStatic(c.req.path.slice("/static/".length), c.req.raw);
  });

  const sessionUser = async (c: Context<AppEnv>): Promise<User | null> => {
    const token = getCookie(c, SESSION_COOKIE);
    return token ? await deps.auth.authenticate(token) : null;
  };

  // The nonce is this response's, from the secure-headers middleware's CSP (backend/app.ts).
  const page = (title: string, body: VNode, status = 200) => (c: Context<AppEnv>) =>
    html(c, renderDocument({ title, body, nonce: c.get("secureHeadersNonce") ?? "" }), status);

  const errorPage = (c: Context<AppEnv>, user: User, err: unknown, cluster?: Cluster) => {
    const e = err instanceof PageError
      ? err
      : new PageError(500, "Something went wrong", (err as Error).message ?? String(err));
    if (!(err instanceof PageError)) console.error("web: page failed", err);
    const now = Date.now();
    return page(
      e.title,
      <Shell
        user={uiUser(user)}
        crumbs={[{ label: "Clusters", href: "/clusters" }, { label: e.title }]}
        active=""
        now={now}
        cluster={cluster}
      >
        <ErrorContent
          status={e.status}
          title={e.title}
          message={e.message}
          back={cluster ? `/clusters/${cluster.id}` : "/clusters"}
        />
      </Shell>,
      e.status >= 400 && e.status < 600 ? e.status : 500,
    )(c);
  };

  app.get("/login", async (c) => {
    await built;
    const next = safeNext(c.req.query("next"));
    if (await sessionUser(c)) return c.redirect(next, 303);
    const notice = c.req.query("nojs")
      ? "The page had not finished loading. Please sign in again."
      : undefined;
    return page("Sign in", <LoginPage next={next} notice={notice} />)(c);
  });
  // Reached only when the form is submitted before its script ran: nothing is logged in here.
  app.post(
    "/login",
    (c) =>
      c.redirect(`/login?nojs=1&next=${encodeURIComponent(safeNext(c.req.query("next")))}`, 303),
  );

  // Every other page needs a session.
  const pages = new Hono<AppEnv>();
  pages.use("*", async (c, next) => {
    await built;
    const user = await sessionUser(c);
    if (!user) {
      const url = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    c.set("user", user);
    await next();
  });

  pages.get("/", (c) => c.redirect("/clusters", 303));

  pages.get("/clusters", async (c) => {
    const user = c.get("user");
    const clusters = toJson<Cluster[]>(await store.list());
    return page(
      "Clusters",
      <ClustersPage user={uiUser(user)} clusters={clusters} now={Date.now()} />,
    )(c);
  });

  const loadCluster = async (c: Context<AppEnv>): Promise<Cluster> => {
    const id = c.req.param("id") ?? "";
    if (!UUID.test(id)) {
      throw new PageError(404, "Cluster not found", "There is no cluster with this address.");
    }
    try {
      return toJson<Cluster>(await store.get(id.toLowerCase()));
    } catch {
      throw new PageError(
        404,
        "Cluster not found",
        "The cluster does not exist; it may have been deleted.",
      );
    }
  };

  /** A page of one cluster: loads it, then renders; any failure renders the error page. */
  const clusterPage = (
    render: (c: Context<AppEnv>, cluster: Cluster, user: User) => Promise<Response>,
  ) =>
  async (c: Context<AppEnv>) => {
    const user = c.get("user");
    let cluster: Cluster | undefined;
    try {
      cluster = await loadCluster(c);
      return await render(c, cluster, user);
    } catch (err) {
      return errorPage(c, user, err, cluster);
    }
  };

  /** The cluster's client and the resource named by the (validated) route params. */
  const resourceOf = async (
    cluster: Cluster,
    p: Pick<ResourceParams, "group" | "version" | "resource">,
  ) => {
    const client = await deps.manager.client(cluster.id);
    const resource = await resolveResource(
      client,
      groupFromSegment(p.group),
      p.version,
      p.resource,
    );
    return { client, resource };
  };

  pages.get(
    "/clusters/:id",
    clusterPage(async (c, cluster, user) => {
      let namespaces: string[] | null = cluster.cluster_info?.namespaces ?? null;
      let crds: string[] | null = cluster.cluster_info?.crds ?? null;
      if ((!namespaces || !crds) && cluster.status === "connected") {
        const client = await deps.manager.client(cluster.id).catch(() => null);
        if (client) {
          [namespaces, crds] = await Promise.all([
            namespaces ? Promise.resolve(namespaces) : namesOf(client, "/api/v1/namespaces"),
            crds
              ? Promise.resolve(crds)
              : namesOf(client, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"),
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

  pages.get(
    "/clusters/:id/r",
    clusterPage(async (c, cluster, user) => {
      let refs: ResourceRef[] = [];
      let error: string | null = null;
      try {
        refs = await discoverAll(await deps.manager.client(cluster.id));
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
    clusterPage(async (c, cluster, user) => {
      const params = routeParams(c, false);
      const { client, resource } = await resourceOf(cluster, params);
      const namespace = resource.namespaced ? (params.nsQuery ?? "") : "";
      let table: KubeTable = { kind: "Table", columnDefinitions: [], rows: [] };
      let error: string | null = null;
      const [namespaces] = await Promise.all([
        resource.namespaced
          ? (cluster.cluster_info?.namespaces ?? namesOf(client, "/api/v1/namespaces"))
          : null,
        kubeGet<KubeTable>(
          client,
          `${listPath(resource, namespace)}?limit=${SSR_ROWS}`,
          TABLE_ACCEPT,
        ).then(
          (t) => (table = t.kind === "Table" ? t : listAsTable(t as never)),
          (err) => (error = (err as Error).message),
        ),
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
        />,
      )(c);
    }),
  );

  pages.get(
    "/clusters/:id/r/:group/:version/:resource/:ns/:name",
    clusterPage(async (c, cluster, user) => {
      const params = routeParams(c, true);
      const { client, resource } = await resourceOf(cluster, params);
      const nsParam = params.ns ?? "_";
      const ns = resource.namespaced && nsParam !== "_" ? nsParam : null;
      const name = params.name ?? "";
      const obj = await kubeGet<Parameters<typeof ObjectPage>[0]["obj"]>(
        client,
        objectPath(resource, ns, name),
      );
      const isPod = resource.group === "" && resource.resource === "pods";
      const tabParam = c.req.query("tab");
      const tab = tabParam === "yaml" ? "yaml" : tabParam === "logs" && isPod ? "logs" : "overview";
      let events: KubeEvent[] = [];
      let logs: { text: string; error: string | null } | null = null;
      if (tab === "overview" && obj.metadata.uid) {
        const sel = encodeURIComponent(`involvedObject.uid=${obj.metadata.uid}`);
        const path = ns
          ? `/api/v1/namespaces/${encodeURIComponent(ns)}/events?fieldSelector=${sel}`
          : `/api/v1/events?fieldSelector=${sel}`;
        events = await kubeGet<{ items?: KubeEvent[] }>(client, path).then(
          (l) => (l.items ?? []).slice(-50).reverse(),
          () => [],
        );
      }
      if (tab === "logs") {
        const container =
          (obj.spec as { containers?: { name: string }[] })?.containers?.[0]?.name ?? "";
        const path = `${objectPath(resource, ns, name)}/log?tailLines=500&container=${
          encodeURIComponent(container)
        }`;
        logs = await kubeText(client, path).then(
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
        />,
      )(c);
    }),
  );

  pages.get("/account/tokens", async (c) => {
    const user = c.get("user");
    const tokens = toJson<ApiToken[]>(await deps.auth.listApiTokens(user.id));
    return page("API tokens", <TokensPage user={uiUser(user)} tokens={tokens} now={Date.now()} />)(
      c,
    );
  });

  pages.get(
    "*",
    (c) =>
      errorPage(
        c,
        c.get("user"),
        new PageError(404, "Page not found", `There is nothing at ${c.req.path}.`),
      ),
  );

  app.route("/", pages);
  return app;
}
