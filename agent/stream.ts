// Relays one upgraded stream (protocol v2: kubectl exec, attach and port-forward, which kubectl
// speaks as a WebSocket) between the dashboard's tunnel and the agent's API server. The agent
// opens the same WebSocket to its API server (KubeAccess.openStream: the client's subprotocols,
// its forwarded headers, the agent's own credentials) and answers 101 with the chosen
// subprotocol, or relays the API server's refusal (403, 404, 400...) as a normal response. Then
// each WebSocket message crosses as one StreamMessage, both ways, until either side ends:
//
// - the API server closes the WebSocket: what it sent before is flushed to the dashboard, then
//   end{""} (close code 1000 or 1005) or end{"closed <code> <reason>"}, and the line closes;
// - the dashboard sends end{""}: its queued messages are delivered, the WebSocket is closed with
//   1000 (terminated if it has not closed within CLOSE_GRACE_MS), then our end goes out;
// - the dashboard cancels (end{error}) or the call breaks: the WebSocket is closed at once (1001),
//   terminated after CLOSE_GRACE_MS.
//
// Flow control, so that a 1 GB `kubectl cp` never makes the agent buffer more than a few MiB:
// API server -> dashboard, the WebSocket is paused (its socket is not read, so TCP pushes back on
// the API server) while a message waits for gRPC's 'drain'; dashboard -> API server, no message is
// taken from the tunnel while the WebSocket's unsent bytes are above the high-water mark, so the
// tunnel's small queue fills and the call is paused (HTTP/2 flow control pushes back on the
// dashboard).
// @ts-types="@types/ws"
import type WebSocket from "ws";
import { Buffer } from "node:buffer";
import type { StreamStart__Output } from "../proto/gen/agent/v1/StreamStart.ts";
import type { StreamMessage__Output } from "../proto/gen/agent/v1/StreamMessage.ts";
import type { Header } from "../proto/gen/agent/v1/Header.ts";
import {
  forwardHeaders,
  type ImpersonationPolicy,
  ImpersonationRefused,
  type KubeAccess,
  type OpenedStream,
  StreamRequestError,
} from "./kube.ts";
import type { Exchange } from "./tunnel.ts";
import { failTunnel, responseHeaders, sendResponse } from "./proxy.ts";
import { log } from "../common/log.ts";

/** Unsent bytes for the API server above which no further message is taken from the tunnel. */
export const STREAM_HIGH_WATER_BYTES = 1024 * 1024;
/**
 * Bytes from the API server waiting for the tunnel above which the WebSocket is paused at once:
 * a resumed socket hands over what it buffered in one synchronous burst, before the pump can see
 * that gRPC pushes back.
 */
export const UP_QUEUE_PAUSE_BYTES = 256 * 1024;
/** How long a WebSocket we close may take to finish its closing handshake before it is cut. */
export const CLOSE_GRACE_MS = 2_000;

/** What one relay did and the most it held, for tests and logs. */
export interface StreamStats {
  /** Messages and their bytes from the API server to the dashboard. */
  messagesUp: number;
  bytesUp: number;
  /** Messages and their bytes from the dashboard to the API server. */
  messagesDown: number;
  bytesDown: number;
  /** Most bytes received from the API server and not yet taken by gRPC. */
  upQueuedMax: number;
  /** Highest ws.bufferedAmount after a send: bytes for the API server not yet on its socket. */
  wsBufferedMax: number;
  /** Times the WebSocket was paused because the dashboard did not read fast enough. */
  upPauses: number;
  /** Times a message for the dashboard waited for gRPC's flow control. */
  upWaits: number;
  /** Times the relay stopped taking messages from the tunnel until the API server read. */
  downWaits: number;
  /** How the WebSocket closed (0 while it is open or when none was opened). */
  closeCode: number;
}

export function newStreamStats(): StreamStats {
  return {
    messagesUp: 0,
    bytesUp: 0,
    messagesDown: 0,
    bytesDown: 0,
    upQueuedMax: 0,
    wsBufferedMax: 0,
    upPauses: 0,
    upWaits: 0,
    downWaits: 0,
    closeCode: 0,
  };
}

export interface StreamOptions extends ImpersonationPolicy {
  /** Filled in as the relay runs. */
  stats?: StreamStats;
  /** Overrides STREAM_HIGH_WATER_BYTES (tests). */
  highWaterBytes?: number;
}

/**
 * Runs one upgraded stream on `tunnel` (an exchange made a stream with beginStream) until both
 * sides are closed; failures are answered on the tunnel, never thrown. The tunnel's line is closed
 * afterwards (an upgraded stream's line is never reused).
 */
export async function runStream(
  kube: KubeAccess,
  start: StreamStart__Output,
  tunnel: Exchange,
  opts: StreamOptions,
): Promise<void> {
  if (!tunnel.upgraded) throw new Error("runStream needs an exchange made a stream");
  const where = start.path.split("?")[0];
  let opened: OpenedStream;
  try {
    const headers = forwardHeaders(start.headers, opts);
    opened = await kube.openStream(start.path, start.protocols, headers, tunnel.signal);
  } catch (err) {
    if (err instanceof ImpersonationRefused) {
      // Refused before any WebSocket to the API server is opened.
      await failTunnel(tunnel, false, 403, err.message);
      return;
    }
    if (tunnel.signal.aborted) {
      tunnel.finish("cancelled");
      return;
    }
    const message = (err as Error).message;
    if (err instanceof StreamRequestError) {
      await failTunnel(tunnel, false, 400, `the stream cannot be opened: ${message}`);
      return;
    }
    log.warn("upgraded stream failed to open", { path: where, err: message });
    await failTunnel(tunnel, false, 502, `the agent could not reach its API server: ${message}`);
    return;
  }
  if (opened.refused) {
    await relayRefusal(tunnel, opened.refused);
    return;
  }
  await relay(opened.ws, opened.protocol, tunnel, opts);
}

/** The API server refused the upgrade: its status, headers and body, as a normal response. */
async function relayRefusal(tunnel: Exchange, res: Response): Promise<void> {
  const sent = { head: false };
  try {
    await sendResponse(tunnel, res, responseHeaders(res, true), sent);
  } catch (err) {
    await res.body?.cancel().catch(() => {});
    if (tunnel.signal.aborted) {
      tunnel.finish("cancelled");
      return;
    }
    await failTunnel(
      tunnel,
      sent.head,
      502,
      `the API server's answer to the stream was cut off: ${(err as Error).message}`,
    );
  }
}

/** Relays an open WebSocket (paused by openStream) until it is closed and our end went out. */
async function relay(
  ws: WebSocket,
  protocol: string,
  tunnel: Exchange,
  opts: StreamOptions,
): Promise<void> {
  const stats = opts.stats ?? newStreamStats();
  const highWater = opts.highWaterBytes ?? STREAM_HIGH_WATER_BYTES;
  const messages = tunnel.streamMessages()!.getReader();

  /** Messages from the API server not yet written to the tunnel. */
  const up: StreamMessage__Output[] = [];
  let upBytes = 0;
  let pumping = false;
  /** We closed (or are closing) the WebSocket. */
  let closing = false;
  let closed: { code: number; reason: string } | undefined;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  /** Wakes the dashboard -> API server loop waiting for the WebSocket to send its bytes. */
  let wakeDown: (() => void) | undefined;
  const wake = () => {
    const w = wakeDown;
    wakeDown = undefined;
    w?.();
  };
  const done = Promise.withResolvers<void>();
  let ended = false;

  const closeWebSocket = (code: number, reason: string) => {
    if (closing || closed) return;
    closing = true;
    // A paused socket would not read the API server's answering close frame: resume it unless
    // a message still waits for the dashboard (the pump resumes it then; the timer bounds it).
    if (!pumping) ws.resume();
    try {
      ws.close(code, reason);
    } catch {
      ws.terminate();
    }
    killTimer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
  };

  /** The WebSocket is closed and what it sent went out: our end, then the line closes. */
  const end = () => {
    if (ended || !closed) return;
    ended = true;
    clearTimeout(killTimer);
    tunnel.signal.removeEventListener("abort", onAbort);
    messages.cancel().catch(() => {});
    const { code, reason } = closed;
    tunnel.finish(code === 1000 || code === 1005 ? "" : `closed ${code} ${reason}`.trim());
    done.resolve();
  };

  /** API server -> dashboard: writes the queued messages in order; pauses the WebSocket while a
   * write waits for gRPC's flow control. */
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      while (up.length) {
        const m = up.shift()!;
        const written = tunnel.write({ message: m });
        if (tunnel.blocked) {
          stats.upWaits++;
          if (!ws.isPaused) {
            ws.pause();
            stats.upPauses++;
          }
        }
        await written;
        upBytes -= m.data.length;
      }
      if (ws.isPaused) ws.resume();
    } catch {
      // The tunnel aborted: onAbort closes the WebSocket; what the API server still sends is
      // dropped.
      up.length = 0;
      upBytes = 0;
    } finally {
      pumping = false;
    }
    end();
  };

  const onAbort = () => {
    // Nobody to send to: drop what the API server sent, and let its close frame be read.
    up.length = 0;
    upBytes = 0;
    ws.resume();
    wake();
    // After a clean end from the dashboard, the messages loop still delivers what is queued and
    // closes with 1000.
    if (!tunnel.endedCleanly) closeWebSocket(1001, "the stream was cancelled");
  };

  ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
    if (ended || tunnel.signal.aborted) return;
    const bytes = toBuffer(data);
    up.push({ data: bytes, text: !isBinary });
    upBytes += bytes.length;
    stats.messagesUp++;
    stats.bytesUp += bytes.length;
    if (upBytes > stats.upQueuedMax) stats.upQueuedMax = upBytes;
    if (upBytes > UP_QUEUE_PAUSE_BYTES && !ws.isPaused) {
      ws.pause();
      stats.upPauses++;
    }
    void pump();
  });
  ws.on("error", (err: Error) => {
    // 'close' follows.
    log.debug("upgraded stream's WebSocket failed", { err: err.message });
  });
  ws.on("close", (code: number, reason: Buffer) => {
    closed = { code, reason: reason.toString() };
    stats.closeCode = code;
    clearTimeout(killTimer);
    wake();
    if (!pumping) end();
  });

  const headers: Header[] = protocol ? [{ name: "sec-websocket-protocol", value: protocol }] : [];
  try {
    await tunnel.respond(101, headers);
  } catch {
    // The dashboard cancelled while the WebSocket opened.
  }
  if (tunnel.signal.aborted) onAbort();
  else tunnel.signal.addEventListener("abort", onAbort, { once: true });
  if (!closing) ws.resume();

  // Dashboard -> API server.
  try {
    for (;;) {
      const r = await messages.read();
      if (r.done) break;
      if (closing || closed) continue; // the WebSocket is going: drop (the queue is small)
      const m = r.value;
      stats.messagesDown++;
      stats.bytesDown += m.data.length;
      ws.send(m.data, { binary: !m.text }, wake);
      if (ws.bufferedAmount > stats.wsBufferedMax) stats.wsBufferedMax = ws.bufferedAmount;
      if (ws.bufferedAmount > highWater && !tunnel.signal.aborted) stats.downWaits++;
      // Every completed send wakes this loop to look again; a close or an abort does too.
      while (ws.bufferedAmount > highWater && !closed && !closing && !tunnel.signal.aborted) {
        await new Promise<void>((r) => wakeDown = r);
      }
    }
    // The dashboard's end{""}: a normal close.
    closeWebSocket(1000, "");
  } catch {
    // The dashboard cancelled, the call broke, or end() cancelled the reader: onAbort or the
    // WebSocket's close took care of it.
  }
  await done.promise;
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
