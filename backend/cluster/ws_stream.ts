// Upgraded streams to an API server the dashboard reaches itself (kubeconfig clusters): a
// WebSocket opened with common/ws_client.ts (the npm ws client, which the agent uses too), seen
// as a KubeStream whose two sides honour backpressure. An answer other than 101 becomes
// StreamRefusedError carrying the API server's own response.
// @ts-types="@types/ws"
import type WebSocket from "ws";
import { nodeHeaders } from "../../common/impersonation.ts";
import { connectWebSocket, type OpenedStream, StreamRequestError } from "../../common/ws_client.ts";
import {
  ClusterUnavailableError,
  type KubeStream,
  type StreamMessage,
  StreamRefusedError,
} from "./client.ts";

/** Messages read ahead from the API server before its socket is paused. */
const READ_AHEAD_MESSAGES = 16;
/** Bytes queued for the API server's socket before a write waits for them to be sent. */
const WRITE_HIGH_WATER_BYTES = 1024 * 1024;
/** How long a closing WebSocket may take before its connection is dropped. */
const CLOSE_GRACE_MS = 2_000;

export interface WebSocketTarget {
  /** https://host:port or http://host:port of the API server. */
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  /**
   * Verify only that the server's chain ends at `caPem`, not its host name (dashboard replicas
   * reach each other by address; only their own CA issues certificates).
   */
  chainOnly?: boolean;
}

/**
 * Opens `path` on the API server as a WebSocket offering `protocols`. Resolves once it is open;
 * fails with StreamRefusedError for any other answer, or ClusterUnavailableError when the
 * server cannot be reached, the request cannot be made, or `signal` aborts first.
 */
export async function openWebSocketStream(
  target: WebSocketTarget,
  req: { path: string; protocols: string[]; headers: Headers; signal: AbortSignal },
): Promise<KubeStream> {
  const url = new URL(target.server.replace(/\/+$/, "") + req.path);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const headers = nodeHeaders(req.headers);
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  let opened: OpenedStream;
  try {
    opened = await connectWebSocket(url, req.protocols, {
      headers,
      ca: target.caPem,
      cert: target.certPem,
      key: target.keyPem,
      chainOnly: target.chainOnly,
    }, req.signal);
  } catch (err) {
    if (err instanceof StreamRequestError) {
      throw new ClusterUnavailableError(400, "BadRequest", err.message, { cause: err });
    }
    if (req.signal.aborted) {
      throw new ClusterUnavailableError(499, "ClientClosed", "the client went away");
    }
    throw new ClusterUnavailableError(
      502,
      "ServiceUnavailable",
      `the cluster is unreachable: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (opened.refused) throw new StreamRefusedError(opened.refused);
  return kubeStreamOf(opened.ws, opened.protocol);
}

/** An open `ws` WebSocket (paused, as connectWebSocket returns it) as a KubeStream. */
function kubeStreamOf(ws: WebSocket, protocol: string): KubeStream {
  const closeGracefully = (code = 1000, reason = "") => {
    if (ws.readyState === ws.CLOSED) return;
    if (ws.readyState === ws.OPEN) ws.close(code, reason);
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref?.();
  };
  const readable = new ReadableStream<StreamMessage>({
    start(ctrl) {
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        try {
          ctrl.enqueue({
            data: new Uint8Array(data.buffer, data.byteOffset, data.length),
            text: !isBinary,
          });
        } catch {
          return; // cancelled: nobody reads any more
        }
        if ((ctrl.desiredSize ?? 1) <= 0) ws.pause();
      });
      ws.on("close", (code: number, reason: Buffer) => {
        try {
          if (code === 1000 || code === 1005) ctrl.close();
          else ctrl.error(new Error(`the API server closed the stream (${code} ${reason})`.trim()));
        } catch { /* already closed or cancelled */ }
      });
      ws.on("error", (err: Error) => {
        try {
          ctrl.error(err);
        } catch { /* already closed */ }
      });
    },
    pull() {
      if (ws.isPaused) ws.resume();
    },
    cancel() {
      ws.terminate();
    },
  }, { highWaterMark: READ_AHEAD_MESSAGES });
  const writable = new WritableStream<StreamMessage>({
    write(msg) {
      if (ws.readyState !== ws.OPEN) {
        throw new Error("the stream to the API server is closed");
      }
      return new Promise<void>((resolve, reject) => {
        let waiting = false;
        ws.send(msg.data, { binary: !msg.text }, (err) => {
          if (!waiting) return;
          if (err) reject(err);
          else resolve();
        });
        // Below the high-water mark the next message may go at once; above it, wait until this
        // one has reached the socket (TCP backpressure then reaches the writer).
        if (ws.bufferedAmount > WRITE_HIGH_WATER_BYTES) waiting = true;
        else resolve();
      });
    },
    close() {
      closeGracefully();
    },
    abort() {
      ws.terminate();
    },
  });
  ws.resume();
  return { protocol, readable, writable };
}
