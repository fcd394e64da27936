// The web UI's routes, mounted at "/" after the API (backend/server.ts passes WebDeps): static
// assets, the login page, single sign-on's start and callback, and the server-rendered pages
// (clusters, a cluster's overview, the resource explorer, API tokens). Pages read their first
// data on the server (the stored clusters and, through each cluster's client, the cluster), so
// every page reads fine before its island script runs; islands then keep it live through the
// REST API and the Kubernetes proxy.
import { Hono } from "hono";
import type { WebDeps, WebEnv } from "../deps.ts";
import { ensureWebBuild, serveStatic } from "../assets.ts";
import { errorPage } from "./page.tsx";
import { PageError } from "./page_error.ts";
import { requireSession } from "./session.ts";
import { loginRoutes } from "./login.tsx";
import { ssoRoutes } from "./sso.tsx";
import { clusterRoutes } from "./clusters.tsx";
import { resourceRoutes } from "./resources.tsx";
import { eventRoutes } from "./events.tsx";
import { applyRoutes } from "./apply.tsx";
import { accountRoutes } from "./account.tsx";
import { userRoutes } from "./users.tsx";
import { auditRoutes } from "./audit.tsx";

export type { WebDeps } from "../deps.ts";

export function webRoutes(deps: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  // Build the assets on first start when they are missing (no-op when built).
  const built = ensureWebBuild().catch((err) => {
    console.error(`web: building assets failed: ${(err as Error).message}`);
  });

  app.on(["GET", "HEAD"], "/static/*", async (c) => {
    await built;
    return serveStatic(c.req.path.slice("/static/".length), c.req.raw);
  });

  loginRoutes(app, deps, built);
  // Single sign-on's start and callback: public, like the login page (404 when not set up).
  ssoRoutes(app, deps, built);

  // Every other page needs a session.
  const pages = new Hono<WebEnv>();
  pages.use("*", requireSession(deps, built));
  pages.get("/", (c) => c.redirect("/clusters", 303));
  clusterRoutes(pages, deps);
  resourceRoutes(pages, deps);
  eventRoutes(pages, deps);
  applyRoutes(pages, deps);
  accountRoutes(pages, deps);
  userRoutes(pages, deps);
  auditRoutes(pages, deps);
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
