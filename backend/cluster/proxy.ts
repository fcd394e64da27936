// The Kubernetes-compatible proxy: /api/clusters/{id}/k8s/<Kubernetes API path> forwards through
// ClusterManager.client(id), streaming request and response bodies (watches, logs -f and large
// lists flow through without buffering). The dashboard's own credentials never reach the cluster;
// errors are Kubernetes Status objects so kubectl and helm print them as usual.
import { Hono } from "hono";
import type { AppEnv } from "../http/types.ts";
import type { ClusterManager } from "./manager.ts";
import { CLUSTER_BASE } from "./client.ts";
import { HttpError, uuidParam } from "../http/errors.ts";

const READ_METHODS = new Set(["GET", "HEAD"]);
const ALLOWED_PATH = /^\/(api|apis|version|openapi)(\/|$)/;
const FORWARD_REQUEST_HEADERS = [
  "accept",
  "accept-encoding",
  "content-type",
  "user-agent",
  "kubectl-command",
  "kubectl-session",
];
// The body is streamed, so its length is Deno.serve's to set. content-encoding is kept: a
// cluster client returns its Response's body as that header describes it (an agent passes the
// API server's gzip on; the kubeconfig client's fetch has decoded it and dropped the header).
const DROP_RESPONSE_HEADERS = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "set-cookie",
  "content-length",
]);

export function kubeStatus(code: number, reason: string, message: string): Response {
  return Response.json({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  }, {
    status: code,
  });
}

/** Validates the Kubernetes path: API paths only, no dot segments or encoded separators. */
export function kubePath(raw: string): string {
  if (/%2f|%5c|%2e/i.test(raw) || raw.split("/").some((s) => s === ".." || s === ".")) {
    throw new HttpError(
      400,
      "BadRequest",
      "the path may not contain dot segments or encoded separators",
    );
  }
  const path = raw || "/";
  if (!ALLOWED_PATH.test(path)) {
    throw new HttpError(
      404,
      "NotFound",
      `${path} is not a Kubernetes API path (/api, /apis, /version, /openapi)`,
    );
  }
  return path;
}

/** shutdown aborts every proxied stream when the dashboard stops, so watches end cleanly. */
export function proxyRoutes(manager: ClusterManager, shutdown?: AbortSignal) {
  const app = new Hono<AppEnv>();
  app.all("/clusters/:id/k8s/*", async (c) => {
    const id = uuidParam(c, "id");
    const url = new URL(c.req.url);
    const path = kubePath(url.pathname.slice(`/api/clusters/${id}/k8s`.length));
    const method = c.req.method;
    if (c.req.header("upgrade") || /upgrade/i.test(c.req.header("connection") ?? "")) {
      throw new HttpError(
        501,
        "NotImplemented",
        "exec, attach and port-forward are not supported by the dashboard yet",
      );
    }
    if (c.get("user").role === "viewer" && !READ_METHODS.has(method)) {
      throw new HttpError(
        403,
        "Forbidden",
        `viewers may only read (get, list, watch); ${method} needs the editor role`,
      );
    }
    const headers = new Headers();
    for (const h of FORWARD_REQUEST_HEADERS) {
      const v = c.req.header(h);
      if (v) headers.set(h, v);
    }
    const client = await manager.client(id);
    let upstream: Response;
    try {
      upstream = await client.fetch(
        new Request(CLUSTER_BASE + path + url.search, {
          method,
          headers,
          body: READ_METHODS.has(method) ? undefined : c.req.raw.body,
          signal: shutdown ? AbortSignal.any([c.req.raw.signal, shutdown]) : c.req.raw.signal,
        }),
      );
    } catch (err) {
      if (c.req.raw.signal.aborted) return kubeStatus(499, "ClientClosed", "the client went away");
      if (err instanceof HttpError) throw err;
      return kubeStatus(
        502,
        "ServiceUnavailable",
        `the cluster is unreachable: ${(err as Error).message}`,
      );
    }
    const out = new Headers();
    upstream.headers.forEach((v, k) => {
      if (!DROP_RESPONSE_HEADERS.has(k)) out.set(k, v);
    });
    out.set("cache-control", "no-store");
    return new Response(upstream.body, { status: upstream.status, headers: out });
  });
  return app;
}
