// The agent's access to its own API server: ./kubeconfig.ts loads the in-cluster config (the
// pod's ServiceAccount) or a kubeconfig. Requests go out with Deno's fetch (HTTP/2, bodies
// decoded), except tunnelled reads whose answer may be large (lists, OpenAPI documents): those use
// forward(), which streams the API server's bytes as sent, so a list the API server compressed for
// a client that accepts gzip crosses the tunnel compressed and the agent never decodes it.
// A token file (the ServiceAccount's, or a kubeconfig's tokenFile) is re-read periodically
// (projected tokens rotate). Only API paths are reachable, and the dashboard's own credential
// headers never pass (no SSRF, no privilege borrowing). Impersonation (docs/agent.md,
// "Impersonation") fails closed: with --allow-impersonation, Impersonate-User and -Group pass only
// when every name starts with the agent's prefix; anything else carrying Impersonate-* is refused
// (403), never sent on as the agent's own identity.
// Upgraded streams (exec, attach, port-forward: protocol v2) open a WebSocket to the API server
// with the npm ws client (openStream), which can pause reading; ./stream.ts relays it.
import { KubeAccessError, loadInCluster, loadKubeconfig, readTokenFile } from "./kubeconfig.ts";
import { DEFAULT_IMPERSONATION_PREFIX } from "./config.ts";
import { log } from "../common/log.ts";
import { isProxyPath } from "../common/api_path.ts";
import http from "node:http";
import https from "node:https";
import { nodeFetch } from "../common/node_fetch.ts";
import { DemandHttpAgent, DemandHttpsAgent } from "../common/demand_socket.ts";
import {
  IMPERSONATE_GROUP,
  IMPERSONATE_USER,
  isImpersonationHeader,
  needsSeparateGroupLines,
  nodeHeaders,
} from "../common/impersonation.ts";
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

export { DEFAULT_IMPERSONATION_PREFIX };

/** Whether and as whom the agent may impersonate (agent/config.ts). */
export interface ImpersonationPolicy {
  allowImpersonation: boolean;
  /** Default DEFAULT_IMPERSONATION_PREFIX. */
  impersonationPrefix?: string;
}

/** Characters an impersonated name may not hold: a comma (one header joined from several lines
 * splits there) and control characters. */
// deno-lint-ignore no-control-regex
const NOT_IN_NAMES = /[,\x00-\x1f\x7f]/;

/** A request whose Impersonate-* headers the agent will not send: answered with 403. */
export class ImpersonationRefused extends Error {}

/**
 * Why the agent refuses a request's Impersonate-* headers, or null (none, or only allowed ones).
 * Fail closed: dropping a header the agent will not send would run the request as the agent's
 * own ServiceAccount, with its rights rather than the person's.
 *
 * - Without impersonation, any Impersonate-* header is refused.
 * - With it: exactly one Impersonate-User, any number of Impersonate-Group, and each name the
 *   prefix followed by at least one character, none holding a comma (a comma would split one
 *   header into two when the headers are joined) or a control character. Impersonate-Uid,
 *   Impersonate-Extra-* and any other Impersonate-* header are refused: the chart's ClusterRole
 *   grants impersonate on users and groups only.
 */
export function refuseImpersonation(
  pairs: Iterable<{ name: string; value: string }>,
  policy: ImpersonationPolicy,
): string | null {
  const prefix = policy.impersonationPrefix ?? DEFAULT_IMPERSONATION_PREFIX;
  const users: string[] = [];
  const groups: string[] = [];
  const others: string[] = [];
  for (const { name, value } of pairs) {
    if (!isImpersonationHeader(name)) continue;
    const n = name.toLowerCase();
    if (n === IMPERSONATE_USER) users.push(value.trim());
    else if (n === IMPERSONATE_GROUP) groups.push(value.trim());
    else others.push(name);
  }
  if (!users.length && !groups.length && !others.length) return null;
  if (!policy.allowImpersonation) {
    const who = users.length
      ? `dashboard user ${JSON.stringify(users[0])}`
      : `another identity (${[...groups.length ? ["Impersonate-Group"] : [], ...others][0]})`;
    return `this agent was installed without impersonation (allowImpersonation=false), so it ` +
      `cannot act as ${who}; reinstall the agent with --set allowImpersonation=true, or turn ` +
      `off "impersonate users" for this cluster in the dashboard`;
  }
  if (others.length) {
    return `the agent forwards only Impersonate-User and Impersonate-Group, not ${
      others.join(", ")
    } (Impersonate-Uid and Impersonate-Extra-* are never forwarded)`;
  }
  if (!users.length) return "Impersonate-Group without Impersonate-User is refused";
  if (users.length > 1) return "more than one Impersonate-User header is refused";
  const named = [
    ...users.map((u) => ["Impersonate-User", u]),
    ...groups.map((g) => ["Impersonate-Group", g]),
  ];
  for (const [header, value] of named) {
    if (!value.startsWith(prefix) || value.length === prefix.length || NOT_IN_NAMES.test(value)) {
      return `the agent impersonates only names that start with ${
        JSON.stringify(prefix)
      } (its IMPERSONATION_PREFIX), without commas; refused ${header}: ${JSON.stringify(value)}`;
    }
  }
  return null;
}

/**
 * Headers to forward from the dashboard: never its credentials nor hop-by-hop headers; the
 * Impersonate-User and -Group headers only as refuseImpersonation allows, else this throws
 * ImpersonationRefused (callers answer 403; the dialer refuses such work before it runs).
 */
export function forwardHeaders(
  pairs: Iterable<{ name: string; value: string }>,
  policy: ImpersonationPolicy,
): Headers {
  const list = [...pairs];
  const refused = refuseImpersonation(list, policy);
  if (refused) throw new ImpersonationRefused(refused);
  const out = new Headers();
  for (const { name, value } of list) {
    const n = name.toLowerCase();
    if (DROPPED_HEADERS.has(n)) continue;
    out.append(n, isImpersonationHeader(n) ? value.trim() : value);
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
  // --max-concurrent-requests; at most 16 idle ones are kept. They read from the API server only
  // while the tunnel takes the answer (common/demand_socket.ts), so a slow reader's list is not
  // buffered whole in the agent; TLS is node:tls with the options an https.Agent uses.
  const secure = new URL(server).protocol === "https:";
  const pool = secure
    ? new DemandHttpsAgent({
      keepAlive: true,
      maxFreeSockets: 16,
      scheduling: "lifo",
      ca: caPem,
      cert: certPem,
      key: keyPem,
    })
    : new DemandHttpAgent({ keepAlive: true, maxFreeSockets: 16, scheduling: "lifo" });
  const request = secure ? https.request : http.request;
  return {
    server,
    podNamespace: target.namespace,
    async fetch(pathAndQuery, init) {
      const headers = new Headers(init.headers);
      const t = await currentToken();
      if (t) headers.set("authorization", `Bearer ${t}`);
      if (needsSeparateGroupLines(headers)) {
        // Deno's fetch would send the groups as one joined line, which the API server reads as
        // one group named "a, b": node's client sends one line per group. No accept-encoding
        // goes out (forwardHeaders drops it), so the body is not encoded either.
        headers.delete("accept-encoding");
        return await nodeFetch(request, pool, new URL(server + pathAndQuery), {
          method: init.method ?? "GET",
          headers,
          body: init.body == null ? null : new Response(init.body).body,
          signal: init.signal ?? new AbortController().signal,
        });
      }
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
      const headers = new Headers(init.headers);
      const t = await currentToken();
      if (t) headers.set("authorization", `Bearer ${t}`);
      return await nodeFetch(request, pool, new URL(server + pathAndQuery), { ...init, headers });
    },
    async openStream(pathAndQuery, protocols, headers, signal) {
      signal.throwIfAborted();
      const url = new URL(server + pathAndQuery);
      url.protocol = secure ? "wss:" : "ws:";
      const upstream = nodeHeaders(headers, (name) => !name.startsWith("sec-websocket-"));
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
