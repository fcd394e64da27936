// The upgraded half of the Kubernetes-compatible proxy: exec, attach and port-forward, which
// kubectl (1.30 and newer) and the browser terminal open as a WebSocket. The stream to the
// cluster is opened first, through the one client path (ClusterClient.stream: a WebSocket to a
// kubeconfig cluster's API server, or a tunnel through the agent), so that a refusal (RBAC,
// missing pod) reaches the client as the API server's own answer; then the client's connection
// is upgraded with the subprotocol the API server chose and stream_relay.ts carries the messages.
// SPDY (kubectl before 1.30, and its fallback when a WebSocket attempt fails) is not upgraded:
// proxy.ts forwards it as a plain request, so the API server's own error still reaches kubectl.
import type { Context } from "hono";
import type { AppEnv, ServeInfo } from "../http/types.ts";
import { type ClusterClient, ClusterUnavailableError, StreamRefusedError } from "./client.ts";
import type { OpenStreams } from "./open_streams.ts";
import { relay } from "./stream_relay.ts";
import { log } from "../../common/log.ts";

export interface StreamProxyOptions {
  open: OpenStreams;
  /** Streams with no message either way for this long are closed. */
  idleMs: number;
}

/** Request headers passed on to the API server with a stream. */
const STREAM_REQUEST_HEADERS = ["user-agent", "kubectl-command", "kubectl-session"];

/** Whether a request asks for a WebSocket (the only upgrade the dashboard carries). */
export function isWebSocketUpgrade(req: Request): boolean {
  return req.method === "GET" && /^websocket$/i.test(req.headers.get("upgrade") ?? "");
}

/** The subprotocols a WebSocket request offers, in its order. */
export function offeredProtocols(header: string | null): string[] {
  return (header ?? "").split(",").map((p) => p.trim()).filter(Boolean);
}

type Answer = (code: number, reason: string, message: string, headers?: HeadersInit) => Response;

/**
 * Opens the stream and upgrades the client's connection, or answers why not. `answer` builds the
 * proxy's Kubernetes Status errors; `protect` sets the headers a relayed refusal needs.
 */
export async function serveStream(
  c: Context<AppEnv>,
  client: ClusterClient,
  clusterId: string,
  pathAndQuery: string,
  opts: StreamProxyOptions,
  answer: Answer,
  protect: (headers: Headers) => void,
): Promise<Response> {
  const ticket = opts.open.open(clusterId, c.get("token"));
  if (!ticket) {
    return answer(
      429,
      "TooManyRequests",
      "you have the most exec, attach and port-forward streams open that one user may " +
        "(STREAMS_PER_USER); close one and retry",
    );
  }
  const headers = new Headers();
  for (const h of STREAM_REQUEST_HEADERS) {
    const v = c.req.header(h);
    if (v) headers.set(h, v);
  }
  const protocols = offeredProtocols(c.req.header("sec-websocket-protocol") ?? null);
  let upstream;
  try {
    upstream = await client.stream({
      path: pathAndQuery,
      protocols,
      headers,
      signal: AbortSignal.any([c.req.raw.signal, ticket.signal]),
    });
  } catch (err) {
    ticket.release();
    if (err instanceof StreamRefusedError) {
      const out = new Headers(err.response.headers);
      for (const h of ["connection", "upgrade", "content-length", "transfer-encoding"]) {
        out.delete(h);
      }
      out.set("cache-control", "no-store");
      protect(out);
      return new Response(err.response.body, { status: err.response.status, headers: out });
    }
    if (err instanceof ClusterUnavailableError) {
      return answer(err.status, err.reason, err.message, { "cache-control": "no-store" });
    }
    throw err;
  }
  let socket: WebSocket;
  let response: Response;
  try {
    ({ socket, response } = Deno.upgradeWebSocket(
      c.req.raw,
      upstream.protocol ? { protocol: upstream.protocol } : {},
    ));
  } catch (err) {
    ticket.release();
    upstream.writable.abort(err).catch(() => {});
    upstream.readable.cancel().catch(() => {});
    return answer(400, "BadRequest", `the WebSocket upgrade failed: ${(err as Error).message}`);
  }
  const gate = (c.env as Partial<ServeInfo> | undefined)?.readGate;
  const user = c.get("user").username;
  log.info("stream opened", { cluster: clusterId, user, path: pathAndQuery.split("?")[0] });
  relay(socket, upstream, { idleMs: opts.idleMs, signal: ticket.signal, gate }).finally(() => {
    ticket.release();
    log.info("stream closed", { cluster: clusterId, user, path: pathAndQuery.split("?")[0] });
  });
  return response;
}
