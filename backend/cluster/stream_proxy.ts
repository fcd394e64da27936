// The upgraded half of the Kubernetes-compatible proxy: exec, attach and port-forward, which
// kubectl (1.30 and newer) and the browser terminal open as a WebSocket. The stream to the
// cluster is opened first, through the one client path (ClusterClient.stream: a WebSocket to a
// kubeconfig cluster's API server, or a tunnel through the agent), so that a refusal (RBAC,
// missing pod) reaches the client as the API server's own answer; then the client's connection
// is upgraded with the subprotocol the API server chose and stream_relay.ts carries the messages.
// SPDY (kubectl before 1.30, and its fallback when a WebSocket attempt fails) is not upgraded:
// proxy.ts forwards it as a plain request, so the API server's own error still reaches kubectl.
//
// Refusals travel inside the stream. Deno.serve answers an upgrade request it does not upgrade
// with an empty body, so a 403 would reach kubectl without its message, and kubectl would then
// retry with SPDY and print that failure instead. For the exec and attach protocols
// (v4/v5.channel.k8s.io) a refusal is therefore an accepted WebSocket that carries the Status on
// the error channel (3) and closes: kubectl prints its message as it prints the API server's.
import type { Context } from "hono";
import type { AppEnv, ServeInfo } from "../http/types.ts";
import { type ClusterClient, ClusterUnavailableError, StreamRefusedError } from "./client.ts";
import { type OpenStreams, StreamEnded } from "./open_streams.ts";
import { relay } from "./stream_relay.ts";
import { log } from "../../common/log.ts";
import { failureStatus, type KubeStatus, statusReason } from "../../common/kube_status.ts";

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

/** Whether a refusal of this request travels inside the stream (refuseStream). */
function inBand(req: Request): boolean {
  return offeredProtocols(req.headers.get("sec-websocket-protocol"))
    .some((p) => STATUS_CHANNEL_PROTOCOLS.has(p));
}

/** The subprotocols a WebSocket request offers, in its order. */
export function offeredProtocols(header: string | null): string[] {
  return (header ?? "").split(",").map((p) => p.trim()).filter(Boolean);
}

/** Subprotocols whose error channel (3) carries a Kubernetes Status that kubectl prints. */
const STATUS_CHANNEL_PROTOCOLS = new Set(["v5.channel.k8s.io", "v4.channel.k8s.io"]);
/** The error channel of the channel protocols. */
const ERROR_CHANNEL = 3;
/** The most of a refusal's body read to find its Status. */
const REFUSAL_READ_LIMIT = 64 * 1024;

type Answer = (code: number, reason: string, message: string, headers?: HeadersInit) => Response;

/**
 * A refusal of a WebSocket request: inside an accepted stream when the client speaks a channel
 * protocol (see the header), else `answer`'s HTTP Status (the body of which Deno.serve drops).
 */
export function refuseStream(
  req: Request,
  answer: Answer,
  code: number,
  reason: string,
  message: string,
): Response {
  const protocol = offeredProtocols(req.headers.get("sec-websocket-protocol"))
    .find((p) => STATUS_CHANNEL_PROTOCOLS.has(p));
  if (!protocol || !isWebSocketUpgrade(req)) return answer(code, reason, message);
  const { socket, response } = Deno.upgradeWebSocket(req, { protocol });
  socket.onopen = () => {
    const status = new TextEncoder().encode(JSON.stringify(failureStatus(code, message, reason)));
    const frame = new Uint8Array(status.length + 1);
    frame[0] = ERROR_CHANNEL;
    frame.set(status, 1);
    socket.send(frame);
    socket.close(1000);
  };
  return response;
}

/** The Status inside an API server's refusal, or one made from its status and text. */
async function refusalStatus(res: Response): Promise<KubeStatus> {
  let text = "";
  if (res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      while (text.length < REFUSAL_READ_LIMIT) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch { /* what arrived is the answer */ }
    reader.cancel().catch(() => {});
  }
  try {
    const s = JSON.parse(text) as Partial<KubeStatus>;
    if (s.kind === "Status" && typeof s.message === "string") {
      return failureStatus(res.status, s.message, s.reason || statusReason(res.status));
    }
  } catch { /* not a Status */ }
  return failureStatus(
    res.status,
    `the API server refused the stream (HTTP ${res.status})${
      text ? ": " + text.slice(0, 500) : ""
    }`,
  );
}

/** The dashboard's reason for ending a stream, when its ticket was ended (not the client's). */
function endedBy(signal: AbortSignal): StreamEnded | null {
  return signal.aborted && signal.reason instanceof StreamEnded ? signal.reason : null;
}

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
  const refuse = (code: number, reason: string, message: string) =>
    refuseStream(c.req.raw, answer, code, reason, message);
  const ticket = opts.open.open(clusterId, c.get("token"));
  if (!ticket) {
    return refuse(
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
    // Ended while it opened (the person's role went, the cluster was deleted): say why.
    const ended = endedBy(ticket.signal);
    if (ended) return refuse(ended.status, statusReason(ended.status), ended.message);
    if (err instanceof StreamRefusedError && inBand(c.req.raw)) {
      const status = await refusalStatus(err.response);
      return refuse(status.code, status.reason, status.message);
    }
    if (err instanceof StreamRefusedError) {
      const out = new Headers(err.response.headers);
      for (const h of ["connection", "upgrade", "content-length", "transfer-encoding"]) {
        out.delete(h);
      }
      out.set("cache-control", "no-store");
      protect(out);
      return new Response(err.response.body, { status: err.response.status, headers: out });
    }
    if (err instanceof ClusterUnavailableError) return refuse(err.status, err.reason, err.message);
    throw err;
  }
  const ended = endedBy(ticket.signal);
  if (ended) {
    ticket.release();
    upstream.writable.abort(ended).catch(() => {});
    upstream.readable.cancel().catch(() => {});
    return refuse(ended.status, statusReason(ended.status), ended.message);
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
