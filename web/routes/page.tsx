// What every page route shares: the HTML response (no-store), rendering a page into the
// document with this response's CSP nonce, the error page, the user as pages show it, and
// `clusterPage()`, which loads the route's cluster and renders the error page on any failure.
import type { Context } from "hono";
import type { SecureHeadersVariables } from "hono/secure-headers";
import type { VNode } from "preact";
import type { WebDeps, WebEnv, WebUser } from "../deps.ts";
import { renderDocument } from "../render.tsx";
import { Shell } from "../components/layout.tsx";
import { ErrorContent } from "../pages/error.tsx";
import type { Cluster, UiUser } from "../lib/types.ts";
import { loadCluster } from "./cluster_reader.ts";
import { PageError } from "./page_error.ts";

function html(c: Context, body: string, status = 200): Response {
  return c.body(body, status as 200, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
  });
}

export function uiUser(u: WebUser): UiUser {
  return { id: u.id, username: u.username, role: u.role, groups: u.groups ?? [] };
}

/** Renders a page; the nonce is this response's, from the secure-headers middleware's CSP (backend/app.ts). */
export const page = (title: string, body: VNode, status = 200) => (c: Context<WebEnv>) => {
  const nonce: SecureHeadersVariables["secureHeadersNonce"] = c.get("secureHeadersNonce");
  return html(c, renderDocument({ title, body, nonce: nonce ?? "" }), status);
};

export const errorPage = (c: Context<WebEnv>, user: WebUser, err: unknown, cluster?: Cluster) => {
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

/** A page of one cluster: loads it, then renders; any failure renders the error page. */
export const clusterPage = (
  deps: WebDeps,
  render: (c: Context<WebEnv>, cluster: Cluster, user: WebUser) => Promise<Response>,
) =>
async (c: Context<WebEnv>) => {
  const user = c.get("user");
  let cluster: Cluster | undefined;
  try {
    cluster = await loadCluster(deps, c.req.param("id") ?? "", user);
    return await render(c, cluster, user);
  } catch (err) {
    return errorPage(c, user, err, cluster);
  }
};
