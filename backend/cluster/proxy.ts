// The Kubernetes-compatible proxy: /api/clusters/{id}/k8s/<Kubernetes API path> forwards through
// ClusterManager.client(id), streaming request and response bodies (watches, logs -f and large
// lists flow through without buffering). The dashboard's own credentials never reach the cluster;
// errors are Kubernetes Status objects so kubectl and helm print them as usual. Guards: the path
// allow-list, the agent credential's Secret, the person's role on the cluster (ClusterManager.
// forPerson: no role is a 404, viewers read only, upgrades are writes), a bound on
// each caller's concurrent requests per cluster, and proxied content that a browser could run
// is served as a sandboxed download (proxy_guards.ts holds the pure parts). WebSocket upgrades
// (exec, attach, port-forward) are stream_proxy.ts's.
import { Hono } from "hono";
import type { AppEnv } from "../http/types.ts";
import type { ClusterManager } from "./manager.ts";
import { CLUSTER_BASE, ClusterUnavailableError } from "./client.ts";
import { failureStatus } from "../../common/kube_status.ts";
import { isProxyPath } from "../../common/api_path.ts";
import { HttpError, uuidParam } from "../http/errors.ts";
import { sha256Hex } from "../crypto/encoding.ts";
import {
  isWebSocketUpgrade,
  refuseStream,
  serveStream,
  type StreamProxyOptions,
} from "./stream_proxy.ts";
import {
  AGENT_CREDENTIAL_SECRET,
  ConcurrencyLimiter,
  isAgentCredentialPath,
  isInertContentType,
  PER_CALLER_LIMIT,
  releaseWhenDone,
  RETRY_AFTER_SECONDS,
} from "./proxy_guards.ts";

const READ_METHODS = new Set(["GET", "HEAD"]);
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
  // Headers that tell a browser how to treat the response or the whole origin are the
  // dashboard's to set, never a cluster's (a hostile API server or a proxied pod could send them).
  "content-security-policy",
  "content-security-policy-report-only",
  "content-disposition",
  "x-content-type-options",
  "x-frame-options",
  "strict-transport-security",
  "cross-origin-embedder-policy",
  "cross-origin-opener-policy",
  "cross-origin-resource-policy",
  "origin-agent-cluster",
  "permissions-policy",
  "referrer-policy",
  "report-to",
  "reporting-endpoints",
  "nel",
  "clear-site-data",
  "refresh",
  "link",
  "alt-svc",
  "service-worker-allowed",
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-allow-headers",
  "access-control-allow-methods",
  "access-control-expose-headers",
  "access-control-max-age",
  "timing-allow-origin",
  "x-xss-protection",
  "x-dns-prefetch-control",
  "x-download-options",
  "x-permitted-cross-domain-policies",
]);

/** A Kubernetes Status answer (the proxy's errors, and every error under its path). */
export function kubeStatus(
  code: number,
  reason: string,
  message: string,
  headers?: HeadersInit,
): Response {
  return Response.json(failureStatus(code, message, reason), {
    status: code,
    headers: { ...Object.fromEntries(new Headers(headers)), "x-content-type-options": "nosniff" },
  });
}

/** Validates the Kubernetes path: API paths only, no dot segments or encoded separators. */
export function kubePath(raw: string): string {
  if (
    /%2f|%5c|%2e|%(?![0-9a-f]{2})/i.test(raw) || raw.split("/").some((s) => s === ".." || s === ".")
  ) {
    throw new HttpError(
      400,
      "BadRequest",
      "the path may not contain dot segments or encoded separators",
    );
  }
  const path = raw || "/";
  if (!isProxyPath(path)) {
    throw new HttpError(
      404,
      "NotFound",
      `${path} is not a Kubernetes API path (/api, /apis, /version, /openapi)`,
    );
  }
  return path;
}

/**
 * Sets the headers that keep proxied content from running as the dashboard: nosniff always; a
 * type a browser could render (HTML, SVG, XML, JavaScript, none at all) also gets a sandbox CSP
 * and is served as a download.
 */
export function protectProxiedResponse(headers: Headers): void {
  headers.set("x-content-type-options", "nosniff");
  if (!isInertContentType(headers.get("content-type"))) {
    headers.set("content-security-policy", "sandbox");
    headers.set("content-disposition", "attachment");
  }
}

export interface ProxyOptions {
  /** Aborts every proxied stream when the dashboard stops, so watches end cleanly. */
  shutdown?: AbortSignal;
  /** Each caller's concurrent requests per cluster (PER_CALLER_LIMIT). */
  perCallerLimit?: number;
  /** Exec, attach and port-forward; without it they answer 501. */
  streams?: StreamProxyOptions;
}

/** The explanation for a SPDY upgrade that reached the API server as a plain request. */
const SPDY_UNSUPPORTED =
  "the dashboard carries exec, attach, cp and port-forward as WebSocket streams, which kubectl " +
  "1.30 and newer use; this client asked for SPDY. Use kubectl 1.30 or newer";

export function proxyRoutes(manager: ClusterManager, opts: ProxyOptions = {}) {
  const { shutdown, perCallerLimit = PER_CALLER_LIMIT } = opts;
  const app = new Hono<AppEnv>();
  const slots = new ConcurrencyLimiter(perCallerLimit);
  app.all("/clusters/:id/k8s/*", async (c) => {
    const id = uuidParam(c, "id");
    const url = new URL(c.req.url);
    const path = kubePath(url.pathname.slice(`/api/clusters/${id}/k8s`.length));
    const method = c.req.method;
    if (isAgentCredentialPath(path)) {
      throw new HttpError(
        403,
        "Forbidden",
        `the Secret ${AGENT_CREDENTIAL_SECRET} holds an agent's credential for this dashboard; ` +
          "the dashboard does not proxy requests for it",
      );
    }
    // The one access decision: 404 for a cluster the person holds no role on; the client acts
    // as the person when the cluster impersonates.
    const { role, client } = await manager.forPerson(id, c.get("user"));
    const viewer = role === "viewer";
    const upgrade = !!c.req.header("upgrade") || /upgrade/i.test(c.req.header("connection") ?? "");
    if (upgrade) {
      if (viewer) {
        return refuseStream(
          c.req.raw,
          kubeStatus,
          403,
          "Forbidden",
          "viewers may only read (get, list, watch); exec, attach and port-forward need the editor role",
        );
      }
      if (isWebSocketUpgrade(c.req.raw)) {
        if (!opts.streams) {
          throw new HttpError(501, "NotImplemented", "this dashboard does not carry streams");
        }
        return await serveStream(
          c,
          client,
          id,
          path + url.search,
          opts.streams,
          kubeStatus,
          protectProxiedResponse,
        );
      }
      // SPDY goes on as a plain request (upgrade headers are never forwarded): the API server
      // answers a refusal itself (RBAC, a missing pod), and nothing runs without the upgrade.
    }
    if (viewer && !READ_METHODS.has(method)) {
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
    const release = slots.tryAcquire(`${id} ${sha256Hex(c.get("token"))}`);
    if (!release) {
      return kubeStatus(
        429,
        "TooManyRequests",
        `you have ${perCallerLimit} requests open to this cluster through the dashboard, the ` +
          `most one user (session or API token) may; open watches (kubectl get -w, logs -f) ` +
          `count until they end. Close some and retry.`,
        { "retry-after": String(RETRY_AFTER_SECONDS) },
      );
    }
    c.req.raw.signal.addEventListener("abort", release, { once: true });
    const signal = shutdown ? AbortSignal.any([c.req.raw.signal, shutdown]) : c.req.raw.signal;
    let upstream: Response;
    try {
      upstream = await client.fetch(
        new Request(CLUSTER_BASE + path + url.search, {
          method,
          headers,
          body: READ_METHODS.has(method) ? undefined : c.req.raw.body,
          signal,
        }),
      );
    } catch (err) {
      release();
      if (c.req.raw.signal.aborted) return kubeStatus(499, "ClientClosed", "the client went away");
      // The one mapping of "no answer from the cluster", whatever its connection type.
      if (err instanceof ClusterUnavailableError) {
        return kubeStatus(err.status, err.reason, err.message, { "cache-control": "no-store" });
      }
      throw err;
    }
    if (upgrade && (upstream.status < 300 || await saysUpgradeRequired(upstream))) {
      release();
      upstream.body?.cancel().catch(() => {});
      return kubeStatus(400, "BadRequest", SPDY_UNSUPPORTED);
    }
    const out = new Headers();
    upstream.headers.forEach((v, k) => {
      if (!DROP_RESPONSE_HEADERS.has(k)) out.set(k, v);
    });
    out.set("cache-control", "no-store");
    protectProxiedResponse(out);
    // Deno.serve says when the response has been delivered (or failed): the slot is released
    // then, and the body passes on untouched (a native fetch body keeps Deno's own piping; a JS
    // wrapper around it cost a LIST through a kubeconfig cluster ~35 %, docs/benchmarks.md).
    // Without a serve handler's info (in-process app.request), a wrapper watches the body.
    const completed = (c.env as Partial<Deno.ServeHandlerInfo> | undefined)?.completed;
    if (completed) {
      completed.then(release, release);
      return new Response(upstream.body, { status: upstream.status, headers: out });
    }
    return new Response(releaseWhenDone(upstream.body, release, signal), {
      status: upstream.status,
      headers: out,
    });
  });
  return app;
}

/**
 * Whether the API server's answer to a non-upgraded exec, attach or port-forward is its "needs
 * an upgrade" error (as opposed to a refusal kubectl should see as it is). Reads a 400's body.
 */
async function saysUpgradeRequired(res: Response): Promise<boolean> {
  if (res.status !== 400) return false;
  const text = await res.clone().text().catch(() => "");
  return /upgrade request required/i.test(text);
}
