// The agent's access to its own API server: ./kubeconfig.ts loads the in-cluster config (the
// pod's ServiceAccount) or a kubeconfig. Requests go out with Deno's fetch (HTTP/2, bodies
// decoded), except tunnelled reads whose answer may be large (lists, OpenAPI documents): those use
// forward(), which streams the API server's bytes as sent, so a list the API server compressed for
// a client that accepts gzip crosses the tunnel compressed and the agent never decodes it.
// A token file (the ServiceAccount's, or a kubeconfig's tokenFile) is re-read periodically
// (projected tokens rotate). Only API paths are reachable, and the dashboard's own credential
// headers never pass (no SSRF, no privilege borrowing) unless impersonation is explicitly allowed.
// Upgraded streams (exec, attach, port-forward: protocol v2) open a WebSocket to the API server
// with the npm ws client (openStream), which can pause reading; ./stream.ts relays it.
import { KubeAccessError, loadInCluster, loadKubeconfig, readTokenFile } from "./kubeconfig.ts";
import { log } from "../common/log.ts";
import { isProxyPath } from "../common/api_path.ts";
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { connectWebSocket, type OpenedStream } from "../common/ws_client.ts";

export { KubeAccessError };
export { type OpenedStream, StreamRequestError } from "../common/ws_client.ts";

export interface KubeAccess {
  server: string;
  /** Namespace of the agent's ServiceAccount, when running in a pod. */
  podNamespace?: string;
  fetch(
    pathAndQuery: string,
    init: { method?: string; headers?: Headers; body?: BodyInit | null; signal?: AbortSignal },
  ): Promise<Response>;
  /** Like fetch, but the body arrives exactly as the API server sent it (content-encoding and
   * all) and the request's accept-encoding is sent as given. */
  forward(
    pathAndQuery: string,
    init: {
      method: string;
      headers: Headers;
      body: ReadableStream<Uint8Array> | null;
      signal: AbortSignal;
    },
  ): Promise<Response>;
  /**
   * Opens the WebSocket an upgraded stream asks for (`wss://<server><pathAndQuery>`) with the
   * client's offered subprotocols, the already filtered `headers` (see forwardHeaders; any
   * Sec-WebSocket-* header in them is dropped, the client library makes its own) and the agent's
   * credentials. Rejects when the API server cannot be reached, the handshake fails or times
   * out, or `signal` aborts (nothing is left open then).
   */
  openStream(
    pathAndQuery: string,
    protocols: string[],
    headers: Headers,
    signal: AbortSignal,
  ): Promise<OpenedStream>;
  close(): void;
}

const DROPPED_HEADERS = new Set([
  "authorization",
  "cookie",
  "host",
  "connection",
  "keep-alive",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "accept-encoding",
]);
const TOKEN_REFRESH_MS = 60_000;

/** Why a path is refused, or null when the agent may request it. */
export function refusePath(pathAndQuery: string): string | null {
  const path = pathAndQuery.split("?")[0];
  // URL parsing turns "\" into "/" and drops tabs and newlines, which would undo the checks below.
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x20\x7f]/.test(pathAndQuery) || path.includes("\\")) {
    return "backslashes, spaces and control characters are not allowed in the path";
  }
  // A URL parser drops a fragment, so the checks that follow would see a different path than the
  // API server (no client sends one: "#" in a path or query is encoded as %23).
  if (pathAndQuery.includes("#")) return "a fragment ('#') is not allowed; encode '#' as %23";
  if (!isProxyPath(pathAndQuery)) {
    return "only Kubernetes API paths (/api, /apis, /version, /openapi) are allowed";
  }
  if (/%2f|%5c|%2e/i.test(path) || path.split("/").some((s) => s === ".." || s === ".")) {
    return "dot segments and encoded separators are not allowed";
  }
  return null;
}

/**
 * Whether a GET's answer may be large enough for the API server to compress (it does so above
 * 128 KiB): a collection (a list) or an OpenAPI document. Single objects, discovery and /version
 * are small. Only the choice of HTTP client depends on it, never what the client receives.
 */
export function answerMayBeLarge(pathAndQuery: string): boolean {
  const segments = pathAndQuery.split("?")[0].split("/").filter((s) => s !== "");
  if (segments[0] === "openapi") return true;
  // /api/v1/<rest> or /apis/<group>/<version>/<rest>; a namespaced path adds namespaces/<ns>.
  let rest = segments[0] === "api" ? segments.slice(2) : segments.slice(3);
  if (rest[0] === "namespaces" && rest.length >= 3) rest = rest.slice(2);
  return segments[0] !== "version" && rest.length === 1;
}

/**
 * The encoding a tunnelled request asks the API server for: gzip when the client accepts it
 * (kubectl, helm and browsers do), else identity. The API server compresses only large answers.
 */
export function acceptedEncoding(
  pairs: Iterable<{ name: string; value: string }>,
): "gzip" | "identity" {
  const q = new Map<string, number>();
  for (const { name, value } of pairs) {
    if (name.toLowerCase() !== "accept-encoding") continue;
    for (const part of value.split(",")) {
      const [coding, ...params] = part.trim().toLowerCase().split(";").map((p) => p.trim());
      if (!coding) continue;
      const qParam = params.find((p) => p.startsWith("q="));
      const weight = qParam ? Number(qParam.slice(2)) : 1;
      q.set(coding === "x-gzip" ? "gzip" : coding, Number.isFinite(weight) ? weight : 0);
    }
  }
  const gzip = q.get("gzip") ?? q.get("*") ?? 0;
  return gzip > 0 ? "gzip" : "identity";
}

/** Headers to forward from the dashboard: never its credentials; impersonation only if allowed. */
export function forwardHeaders(
  pairs: Iterable<{ name: string; value: string }>,
  allowImpersonation: boolean,
): Headers {
  const out = new Headers();
  for (const { name, value } of pairs) {
    const n = name.toLowerCase();
    if (DROPPED_HEADERS.has(n)) continue;
    if (n.startsWith("impersonate-") && !allowImpersonation) continue;
    out.append(n, value);
  }
  return out;
}

export async function loadKube(kubeconfigPath?: string): Promise<KubeAccess> {
  const target = kubeconfigPath ? await loadKubeconfig(kubeconfigPath) : await loadInCluster();
  const { caPem, certPem, keyPem, tokenFile } = target;
  let token = target.token;
  let tokenReadAt = Date.now();
  let refreshing: Promise<void> | undefined;
  const currentToken = async () => {
    if (tokenFile && Date.now() - tokenReadAt > TOKEN_REFRESH_MS) {
      // One read for concurrent requests; on failure keep the last token and retry later.
      refreshing ??= readTokenFile(tokenFile).then(
        (t) => void (token = t),
        (err) => log.warn("cannot re-read the token file; keeping the last token", { err }),
      ).finally(() => {
        tokenReadAt = Date.now();
        refreshing = undefined;
      });
      await refreshing;
    }
    return token;
  };
  let client: Deno.HttpClient;
  try {
    client = Deno.createHttpClient({
      caCerts: caPem ? [caPem] : undefined,
      ...(certPem && keyPem ? { cert: certPem, key: keyPem } : {}),
    });
  } catch (err) {
    throw new KubeAccessError(
      `the CA or client certificate cannot be used: ${(err as Error).message}`,
    );
  }
  const server = target.server;
  // Keep-alive HTTP/1.1 connections for forward(). Their number is bounded by the agent's
  // --max-concurrent-requests; at most 16 idle ones are kept.
  const secure = new URL(server).protocol === "https:";
  const pool = secure
    ? new https.Agent({
      keepAlive: true,
      maxFreeSockets: 16,
      scheduling: "lifo",
      ca: caPem,
      cert: certPem,
      key: keyPem,
    })
    : new http.Agent({ keepAlive: true, maxFreeSockets: 16, scheduling: "lifo" });
  const request = secure ? https.request : http.request;
  return {
    server,
    podNamespace: target.namespace,
    async fetch(pathAndQuery, init) {
      const headers = new Headers(init.headers);
      const t = await currentToken();
      if (t) headers.set("authorization", `Bearer ${t}`);
      const req: RequestInit & { client: Deno.HttpClient } = {
        method: init.method ?? "GET",
        headers,
        body: init.body,
        signal: init.signal,
        redirect: "manual",
        client,
      };
      return await fetch(server + pathAndQuery, req);
    },
    async forward(pathAndQuery, init) {
      const url = new URL(server + pathAndQuery);
      const headers: Record<string, string> = Object.fromEntries(init.headers);
      const t = await currentToken();
      if (t) headers.authorization = `Bearer ${t}`;
      return await new Promise<Response>((resolve, reject) => {
        const req = request(url, {
          method: init.method,
          headers,
          agent: pool,
          signal: init.signal,
        }, (res) => {
          const out = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            out.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
          }
          const status = res.statusCode ?? 0;
          const bodyless = init.method === "HEAD" || status === 204 || status === 304;
          try {
            if (bodyless) res.resume();
            const body = bodyless ? null : Readable.toWeb(res) as ReadableStream<Uint8Array>;
            resolve(new Response(body, { status, headers: out }));
          } catch (err) {
            res.destroy();
            reject(new Error(`the API server answered with status ${status}: ${err}`));
          }
        });
        req.on("error", reject);
        if (!init.body) req.end();
        else {
          Readable.fromWeb(init.body as import("node:stream/web").ReadableStream<Uint8Array>)
            .on("error", (err) => req.destroy(err))
            .pipe(req);
        }
      });
    },
    async openStream(pathAndQuery, protocols, headers, signal) {
      signal.throwIfAborted();
      const url = new URL(server + pathAndQuery);
      url.protocol = secure ? "wss:" : "ws:";
      const upstream: Record<string, string> = {};
      headers.forEach((value, name) => {
        if (!name.startsWith("sec-websocket-")) upstream[name] = value;
      });
      const t = await currentToken();
      if (t) upstream.authorization = `Bearer ${t}`;
      signal.throwIfAborted();
      return await connectWebSocket(url, protocols, {
        headers: upstream,
        ...(secure ? { ca: caPem, cert: certPem, key: keyPem } : {}),
      }, signal);
    },
    close: () => {
      client.close();
      pool.destroy();
    },
  };
}
