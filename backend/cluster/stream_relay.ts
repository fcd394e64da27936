// Relays one upgraded stream between the client's WebSocket (kubectl or the browser terminal,
// accepted by Deno.serve) and a KubeStream to the cluster, message for message, until either
// side closes, the stream is idle too long, or its ticket says it must end. Backpressure: toward
// the client, reading from the cluster waits while the client's socket has a backlog; toward the
// cluster, what the client sent but the cluster has not taken is counted, and above a high-water
// mark the client's connection stops being read (the HTTPS front's ReadGate) until it drains.
// Without a gate (plain HTTP, in-process) the backlog is capped and the stream closed past it.
import type { KubeStream, StreamMessage } from "./client.ts";
import type { ReadGate } from "../http/tls_front.ts";

export interface RelayOptions {
  /** Closes the stream after this long without a message either way. */
  idleMs: number;
  /** Aborts (with the reason) when the stream must end: cluster deleted, session ended... */
  signal: AbortSignal;
  /** Pushes back on the client's connection, when the front can. */
  gate?: ReadGate;
  /** CLIENT_BACKLOG_HIGH_BYTES and CLIENT_BACKLOG_CAP_BYTES unless given (tests). */
  backlogHighBytes?: number;
  backlogCapBytes?: number;
}

/** Client bytes waiting for the cluster before the client's connection is paused. */
export const CLIENT_BACKLOG_HIGH_BYTES = 4 * 1024 * 1024;
/** Without a gate: the most client bytes held for the cluster before the stream is closed. */
export const CLIENT_BACKLOG_CAP_BYTES = 64 * 1024 * 1024;
/** Cluster bytes queued on the client's socket before reading from the cluster waits. */
const CLIENT_SEND_HIGH_BYTES = 1024 * 1024;
/** How long the other side may take to close after one side closed. */
const CLOSE_GRACE_MS = 2_000;
/**
 * Close codes the relay sends the client (a server's WebSocket API allows only 1000 and
 * 3000-4999): a normal end, the dashboard ending it (idle, cluster deleted, session over,
 * shutdown), an error on the way, and input the cluster could not take fast enough.
 */
export const CLOSE = { normal: 1000, ended: 4000, tooMuchInput: 4009, failed: 4011 } as const;
/** WebSocket close reasons are at most 123 bytes. */
const MAX_REASON = 120;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function reasonText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const bytes = encoder.encode(msg);
  return bytes.length <= MAX_REASON ? msg : decoder.decode(bytes.subarray(0, MAX_REASON));
}

/**
 * Relays until both directions end. The client socket must be freshly upgraded; resolves when
 * the relay is over (everything closed).
 */
export function relay(client: WebSocket, upstream: KubeStream, opts: RelayOptions): Promise<void> {
  client.binaryType = "arraybuffer";
  const done = Promise.withResolvers<void>();
  const writer = upstream.writable.getWriter();
  let lastActivity = Date.now();
  let backlog = 0;
  let paused = false;
  let finished = false;
  const high = opts.backlogHighBytes ?? CLIENT_BACKLOG_HIGH_BYTES;
  const cap = opts.backlogCapBytes ?? CLIENT_BACKLOG_CAP_BYTES;

  const finish = (code: number, reason: string) => {
    if (finished) return;
    finished = true;
    clearInterval(idleTimer);
    opts.signal.removeEventListener("abort", onAbort);
    if (paused) opts.gate?.resume();
    if (client.readyState === WebSocket.OPEN || client.readyState === WebSocket.CONNECTING) {
      try {
        client.close(code, reason);
      } catch { /* already closing */ }
    }
    writer.abort(new Error(reason || "closed")).catch(() => {});
    upstream.readable.cancel().catch(() => {});
    done.resolve();
  };
  const onAbort = () => finish(CLOSE.ended, reasonText(opts.signal.reason));
  if (opts.signal.aborted) onAbort();
  opts.signal.addEventListener("abort", onAbort, { once: true });
  const idleTimer = setInterval(() => {
    if (Date.now() - lastActivity >= opts.idleMs) {
      finish(
        CLOSE.ended,
        `idle for ${Math.round(opts.idleMs / 60_000)} minutes; closed by the dashboard`,
      );
    }
  }, Math.min(opts.idleMs / 4, 30_000));

  // Client -> cluster.
  client.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
    if (finished) return;
    lastActivity = Date.now();
    const msg: StreamMessage = typeof e.data === "string"
      ? { data: encoder.encode(e.data), text: true }
      : { data: new Uint8Array(e.data), text: false };
    const size = msg.data.length;
    backlog += size;
    writer.write(msg).then(() => {
      backlog -= size;
      if (paused && backlog < high / 2) {
        paused = false;
        opts.gate?.resume();
      }
    }, (err) => finish(CLOSE.failed, reasonText(err)));
    if (backlog > high && !paused && opts.gate) {
      paused = true;
      opts.gate.pause();
    }
    if (!opts.gate && backlog > cap) {
      finish(
        CLOSE.tooMuchInput,
        "the cluster takes input slower than it is sent; serve the dashboard over HTTPS for flow control",
      );
    }
  };
  client.onclose = () => {
    if (finished) return;
    // The client is done sending: close the cluster side normally, then give it a moment.
    writer.close().catch(() => {});
    setTimeout(() => finish(CLOSE.normal, ""), CLOSE_GRACE_MS);
  };
  client.onerror = () => finish(CLOSE.failed, "the client connection failed");

  // Cluster -> client, once the client's socket is open (the upgrade completes after the
  // handler returns its response).
  const opened = new Promise<void>((resolve) => {
    if (client.readyState === WebSocket.OPEN) resolve();
    else client.addEventListener("open", () => resolve(), { once: true });
  });
  (async () => {
    await opened;
    const reader = upstream.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        lastActivity = Date.now();
        if (client.readyState !== WebSocket.OPEN) break;
        client.send(
          value.text ? decoder.decode(value.data) : value.data as Uint8Array<ArrayBuffer>,
        );
        while (
          client.bufferedAmount > CLIENT_SEND_HIGH_BYTES && client.readyState === WebSocket.OPEN
        ) {
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      finish(CLOSE.normal, "");
    } catch (err) {
      finish(CLOSE.failed, reasonText(err));
    }
  })();
  return done.promise;
}
