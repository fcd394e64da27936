// What every page route shares: the HTML response (no-store), rendering a page into the
// document with this response's CSP nonce, the error page (in the app shell, or on its own for
// requests without a session), the user as pages show it, and `clusterPage()`, which loads the
// route's cluster and renders the error page on any failure.
import type { Context } from "hono";
import type { SecureHeadersVariables } from "hono/secure-headers";
import type { VNode } from "preact";
import type { WebDeps, WebEnv, WebUser } from "../deps.ts";
import { type DocumentOptions, renderDocument } from "../render.tsx";
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
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    groups: u.groups ?? [],
    source: u.source ?? "local",
  };
}

/** Renders a page; the nonce is this response's, from the secure-headers middleware's CSP (backend/app.ts). */
export const page =
  (title: string, body: VNode, status = 200, opts: Pick<DocumentOptions, "refreshTo"> = {}) =>
  (c: Context<WebEnv>) => {
    const nonce: SecureHeadersVariables["secureHeadersNonce"] = c.get("secureHeadersNonce");
    return html(c, renderDocument({ title, body, nonce: nonce ?? "", ...opts }), status);
  };

/** A failure as the error page shows it: a PageError as is, anything else a logged 500. */
function asPageError(err: unknown): PageError {
  if (err instanceof PageError) return err;
  console.error("web: page failed", err);
  return new PageError(500, "Something went wrong", (err as Error).message ?? String(err));
}

/** The HTTP status of an error page: the error's own when it is one. */
const errorStatus = (e: PageError) => e.status >= 400 && e.status < 600 ? e.status : 500;

/**
 * The error page of a request without a session (the single sign-on flow): no app shell, one
 * link onward (`back`, e.g. the sign-in page).
 */
export const publicErrorPage = (
  c: Context<WebEnv>,
  err: unknown,
  back: { href: string; label: string },
) => {
  const e = asPageError(err);
  return page(
    e.title,
    <main id="main" class="px-6">
      <ErrorContent
        status={e.status}
        title={e.title}
        message={e.message}
        back={back.href}
        backLabel={back.label}
      />
    </main>,
    errorStatus(e),
  )(c);
};

export const errorPage = (c: Context<WebEnv>, user: WebUser, err: unknown, cluster?: Cluster) => {
  const e = asPageError(err);
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
    errorStatus(e),
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
