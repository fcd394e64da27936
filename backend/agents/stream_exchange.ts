// An upgraded stream (exec, attach, port-forward) on a tunnel line: the agent answers the
// StreamStart with 101 and the subprotocol its API server chose, then WebSocket messages cross
// the line both ways as StreamMessage frames until either side sends its end. The line is its
// own HTTP/2 stream, so gRPC's flow control bounds each stream on its own: the readable side is
// pulled frame by frame (the call stops reading while nobody reads), and writes wait for
// 'drain'. Any other answer is the API server's (or the agent's) refusal, returned whole. A
// stream's line is never reused.
import { Buffer } from "node:buffer";
import type { StreamStart } from "../../proto/gen/agent/v1/StreamStart.ts";
import type { TunnelUp__Output } from "../../proto/gen/agent/v1/TunnelUp.ts";
import {
  type KubeStream,
  type StreamMessage,
  StreamRefusedError,
  type StreamRequest,
} from "../cluster/client.ts";
import { AgentUnavailableError } from "./errors.ts";
import { trackInFlight } from "./exchange.ts";
import type { AgentSession } from "./sessions.ts";
import { nextFrame, type TunnelCall, type TunnelLine } from "./tunnels.ts";
import { headerEntries } from "../../common/impersonation.ts";

/** Largest refusal body kept (a Kubernetes Status is far smaller). */
const REFUSAL_BODY_LIMIT = 256 * 1024;

/** The StreamStart frame for a request. */
export function streamStart(req: StreamRequest, requestId: string): StreamStart {
  return {
    request_id: requestId,
    path: req.path,
    protocols: req.protocols,
    headers: headerEntries(req.headers),
  };
}

/** Resolves on the call's next 'drain' or its close, leaving no listener behind. */
function drainOrClose(call: TunnelCall): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("close", done);
      resolve();
    };
    call.on("drain", done);
    call.on("close", done);
  });
}

/** Ends the line from the dashboard's side (`error` empty: a normal close). */
function endLine(call: TunnelCall, error: string): void {
  if (call.writableEnded) return;
  call.write({ end: { error } });
  call.end();
}

/**
 * Waits for the agent's answer on the line and returns the open stream, or fails with
 * StreamRefusedError (the answer) or AgentUnavailableError (no answer, the agent left, or it
 * chose a subprotocol the client did not offer).
 */
export async function streamExchange(
  s: AgentSession,
  line: TunnelLine,
  req: Pick<StreamRequest, "protocols" | "signal">,
): Promise<KubeStream> {
  const { signal } = req;
  const { call } = line;
  const tracked = trackInFlight(s, call);
  const release = () => {
    if (tracked.release()) call.off("close", release);
  };
  call.on("close", release);
  // A client that goes away ends the line and stops waiting for the agent's answer.
  const cancelled = Promise.withResolvers<IteratorResult<TunnelUp__Output>>();
  const cancel = () => {
    endLine(call, "cancelled by the client");
    cancelled.resolve({ done: true, value: undefined });
  };
  signal.addEventListener("abort", cancel, { once: true });
  let first: TunnelUp__Output | undefined;
  try {
    const r = await Promise.race([nextFrame(line), cancelled.promise]);
    first = r.done ? undefined : r.value;
  } catch {
    first = undefined;
  } finally {
    signal.removeEventListener("abort", cancel);
  }
  const head = first?.response;
  if (!head || signal.aborted) {
    endLine(call, "cancelled by the client");
    release();
    throw new AgentUnavailableError(
      tracked.dropped() || first?.end?.error || "the agent closed the stream before answering",
    );
  }
  const headers = new Headers();
  for (const h of head.headers) headers.append(h.name, h.value);
  if (head.status !== 101) {
    const body = head.complete ? head.body : await refusalBody(line);
    endLine(call, "");
    release();
    throw new StreamRefusedError(
      new Response(body.length ? new Uint8Array(body) : null, { status: head.status, headers }),
    );
  }
  // The agent (like any API server) may only choose one of the client's subprotocols: a
  // compromised agent must not make the dashboard speak a protocol the client did not ask for.
  const protocol = headers.get("sec-websocket-protocol") ?? "";
  if (protocol && !req.protocols.includes(protocol)) {
    endLine(call, "a subprotocol the client did not offer");
    release();
    throw new AgentUnavailableError(
      `the agent answered with the subprotocol ${JSON.stringify(protocol.slice(0, 64))}, ` +
        "which the client did not offer",
    );
  }
  return {
    protocol,
    readable: new ReadableStream<StreamMessage>({
      async pull(ctrl) {
        let next: IteratorResult<TunnelUp__Output>;
        try {
          next = await nextFrame(line);
        } catch (err) {
          release();
          endLine(call, (err as Error).message);
          ctrl.error(err);
          return;
        }
        const f = next.done ? undefined : next.value;
        if (f?.message) {
          ctrl.enqueue({ data: f.message.data, text: f.message.text });
          return;
        }
        release();
        endLine(call, "");
        if (f?.end && !f.end.error) ctrl.close();
        else {
          ctrl.error(
            new Error(
              f?.end?.error || tracked.dropped() || "the agent's stream ended unexpectedly",
            ),
          );
        }
      },
      cancel() {
        endLine(call, "closed by the client");
        release();
      },
    }, { highWaterMark: 4 }),
    writable: new WritableStream<StreamMessage>({
      async write(msg) {
        if (call.writableEnded || call.destroyed) throw new Error("the stream to the agent ended");
        if (!call.write({ message: { data: msg.data, text: msg.text } })) await drainOrClose(call);
      },
      close() {
        endLine(call, "");
      },
      abort(reason) {
        endLine(call, String((reason as Error)?.message ?? reason ?? "aborted"));
        release();
      },
    }),
  };
}

/** The refusal's body frames up to REFUSAL_BODY_LIMIT bytes. */
async function refusalBody(line: TunnelLine): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for (;;) {
      const r = await nextFrame(line);
      if (r.done || !r.value.body) break;
      if (size + r.value.body.data.length > REFUSAL_BODY_LIMIT) break;
      parts.push(r.value.body.data);
      size += r.value.body.data.length;
    }
  } catch { /* what arrived is the answer */ }
  return Buffer.concat(parts);
}
