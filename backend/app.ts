// Builds the dashboard's HTTP application (Hono): health and metrics, the REST API, the
// Kubernetes-compatible proxy and the web UI, with logging, size limits and secure headers.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { NONCE, secureHeaders } from "hono/secure-headers";
import { routePath } from "hono/route";
import type { AppEnv } from "./http/types.ts";
import { errorBody, HttpError } from "./http/errors.ts";
import type { Metrics } from "./http/metrics.ts";
import { authenticate } from "./auth/middleware.ts";
import { accountRoutes, loginRoutes } from "./auth/handlers.ts";
import type { AuthService } from "./auth/service.ts";
import { clusterRoutes } from "./cluster/handlers.ts";
import { kubeStatus, proxyRoutes } from "./cluster/proxy.ts";
import type { StreamProxyOptions } from "./cluster/stream_proxy.ts";
import type { ClusterManager } from "./cluster/manager.ts";
import type { SecretBox } from "./crypto/secretbox.ts";
import type { Db } from "./store/db.ts";
import type { Config } from "./config.ts";
import { log } from "../common/log.ts";
import type { AuditLog } from "./audit/store.ts";
import { auditMutations } from "./audit/middleware.ts";
import { auditRoutes } from "./audit/routes.ts";
import { referenceRoutes } from "./http/openapi/routes.ts";

export interface AppDeps {
  config: Pick<Config, "publicUrl" | "sessionTtlHours" | "localLogin">;
  /** CA that downloaded kubeconfigs must trust for the dashboard's HTTPS (when self-minted). */
  httpCaPem?: string | null;
  db: Db;
  auth: AuthService;
  manager: ClusterManager;
  box: SecretBox;
  metrics: Metrics;
  /** Extra /api routes mounted after authentication (the agent's endpoints). */
  extraApi?: Hono<AppEnv>[];
  /** Public routes mounted before authentication (install script, chart). */
  publicRoutes?: Hono[];
  /** The web UI, mounted last. */
  web?: Hono<AppEnv>;
  /** Aborted when the dashboard begins to shut down. */
  shutdown?: AbortSignal;
  /** Aborted when the dashboard starts to stop (a replica draining): /readyz answers 503. */
  stopping?: AbortSignal;
  /** Exec, attach and port-forward through the proxy (answered 501 without). */
  streams?: StreamProxyOptions;
  /** The audit trail: records every write and upgrade, serves /api/audit (off without). */
  audit?: AuditLog;
}

const API_BODY_LIMIT = 1024 * 1024;
const PROXY_BODY_LIMIT = 16 * 1024 * 1024;

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use("*", async (c, next) => {
    const start = performance.now();
    await next();
    const seconds = (performance.now() - start) / 1000;
    const route = routePath(c);
    deps.metrics.observeRequest(c.req.method, route, c.res.status, seconds);
    if (c.res.status >= 500) {
      log.warn("request failed", { method: c.req.method, route, status: c.res.status });
    }
  });
  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        // Per-response nonces, no 'self': a same-origin URL can serve a cluster's content (the
        // Kubernetes proxy), so no <script src> or stylesheet on the origin is trusted as such.
        // Only the tags web/render.tsx writes carry the nonce; 'strict-dynamic' admits the
        // chunks the nonce'd module imports.
        styleSrc: [NONCE],
        scriptSrc: [NONCE, "'strict-dynamic'"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
      // A header a route set itself wins: the proxy answers content a browser could render with
      // `Content-Security-Policy: sandbox` (and drops every such header a cluster sends).
      overwrite: false,
    }),
  );

  app.get("/healthz", (c) => c.text("ok"));
  app.get("/readyz", async (c) => {
    if (deps.shutdown?.aborted || deps.stopping?.aborted) return c.text("shutting down", 503);
    try {
      await deps.db.query("SELECT 1");
      return c.text("ok");
    } catch {
      return c.text("database unavailable", 503);
    }
  });
  app.get(
    "/metrics",
    async (c) =>
      c.text(await deps.metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" }),
  );

  const tooLarge = (limit: number) => () => {
    throw new HttpError(413, "too_large", `the request body is larger than ${limit / 1024} KiB`);
  };
  app.use(
    "/api/clusters/:id/k8s/*",
    bodyLimit({ maxSize: PROXY_BODY_LIMIT, onError: tooLarge(PROXY_BODY_LIMIT) }),
  );
  app.use("/api/*", async (c, next) => {
    if (/^\/api\/clusters\/[^/]+\/k8s\//.test(c.req.path)) return await next();
    return await bodyLimit({ maxSize: API_BODY_LIMIT, onError: tooLarge(API_BODY_LIMIT) })(c, next);
  });

  for (const r of deps.publicRoutes ?? []) app.route("/api", r);
  // The API reference (OpenAPI document and its HTML page): public, like the API's shape.
  app.route("/api", referenceRoutes());
  app.route(
    "/api",
    loginRoutes(deps.auth, {
      secureCookies: deps.config.publicUrl.startsWith("https:"),
      sessionTtlHours: deps.config.sessionTtlHours,
      localLogin: deps.config.localLogin,
      audit: deps.audit && ((e) => deps.audit!.record(e)),
    }),
  );
  const api = new Hono<AppEnv>();
  api.use("*", authenticate(deps.auth));
  if (deps.audit) {
    api.use("*", auditMutations(deps.audit));
    api.route("/", auditRoutes(deps.audit));
  }
  api.route(
    "/",
    accountRoutes(deps.auth, { secureCookies: deps.config.publicUrl.startsWith("https:") }),
  );
  api.route("/", proxyRoutes(deps.manager, { shutdown: deps.shutdown, streams: deps.streams }));
  // Fixed paths such as /clusters/events go before /clusters/:id.
  for (const r of deps.extraApi ?? []) api.route("/", r);
  api.route(
    "/",
    clusterRoutes({
      manager: deps.manager,
      box: deps.box,
      auth: deps.auth,
      publicUrl: deps.config.publicUrl,
      caPem: deps.httpCaPem ?? null,
    }),
  );
  app.route("/api", api);
  app.all(
    "/api/*",
    (c) => c.json(errorBody("not_found", `no API endpoint ${c.req.method} ${c.req.path}`), 404),
  );
  if (deps.web) app.route("/", deps.web);

  app.onError((err, c) => {
    const isProxy = /^\/api\/clusters\/[^/]+\/k8s\//.test(c.req.path);
    if (err instanceof HttpError) {
      return isProxy
        ? kubeStatus(err.status, err.code, err.message)
        : c.json(errorBody(err.code, err.message), err.status as 400);
    }
    log.error("unhandled error", { method: c.req.method, path: c.req.path, err });
    return isProxy
      ? kubeStatus(500, "InternalError", "internal error in the dashboard; see its logs")
      : c.json(errorBody("internal", "internal error; see the dashboard's logs"), 500);
  });
  return app;
}
