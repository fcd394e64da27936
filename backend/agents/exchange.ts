// One request's exchange on a tunnel line: the Request becomes frames (a K8sRequest or, for
// ?watch, a WatchStart, then the body pumped in chunks with backpressure), and the agent's
// frames become the streaming Response (one whole frame for a small answer; body chunks, or
// watch events framed as the API server's JSON lines, pulled as the client reads). A line whose
// exchange completed cleanly in both directions is handed back for reuse; any other end closes it.
import { status as grpcStatus } from "@grpc/grpc-js";
import { once } from "node:events";
import type { TunnelUp__Output } from "../../proto/gen/agent/v1/TunnelUp.ts";
import type { K8sRequest } from "../../proto/gen/agent/v1/K8sRequest.ts";
import type { WatchStart } from "../../proto/gen/agent/v1/WatchStart.ts";
import type { StreamStart } from "../../proto/gen/agent/v1/StreamStart.ts";
import { CHUNK_BYTES } from "../../proto/wire.ts";
import { AgentUnavailableError } from "./errors.ts";
import type { AgentSession } from "./sessions.ts";
import { nextFrame, type TunnelCall, type TunnelLine } from "./tunnels.ts";
import { headerEntries } from "../../common/impersonation.ts";
import { isWatch } from "./watch_resume.ts";

/**
 * What a line carries: a request, a watch or an upgraded stream (the same messages the control
 * stream announces; streams are stream_exchange.ts's).
 */
export type ExchangeWork =
  | { request: K8sRequest; watch?: undefined; stream?: undefined }
  | { watch: WatchStart; request?: undefined; stream?: undefined }
  | { stream: StreamStart; request?: undefined; watch?: undefined };

/** The frame that starts a Request's exchange, and whether it is a watch. */
export function toWork(req: Request, requestId: string): { work: ExchangeWork; isWatch: boolean } {
  const url = new URL(req.url);
  const watch = isWatch(req);
  const headers = headerEntries(req.headers);
  if (watch) {
    url.searchParams.delete("watch");
    const rv = url.searchParams.get("resourceVersion") ?? "";
    url.searchParams.delete("resourceVersion");
    return {
      isWatch: watch,
      work: {
        watch: {
          request_id: requestId,
          path: url.pathname + url.search,
          resource_version: rv,
          headers,
        },
      },
    };
  }
  return {
    isWatch: watch,
    work: {
      request: {
        request_id: requestId,
        method: req.method,
        path: url.pathname + url.search,
        headers,
        has_body: req.body !== null,
      },
    },
  };
}

/**
 * Sends the request's body on the line and turns the agent's frames into the Response. `reuse`
 * gets the line back when the exchange completed cleanly. Fails with AgentUnavailableError when
 * the agent ends the line (or its control stream ends) before answering.
 */
export async function exchange(
  s: AgentSession,
  tunnel: TunnelLine,
  req: Request,
  isWatch: boolean,
  reuse: (line: TunnelLine) => void,
): Promise<Response> {
  const { call } = tunnel;
  const tracked = trackInFlight(s, call, isWatch);
  const release = () => {
    if (!tracked.release()) return;
    req.signal.removeEventListener("abort", cancel);
    call.off("close", release);
    call.off("error", release);
  };
  let cancelled = false;
  const cancel = () => {
    cancelled = true;
    if (!call.writableEnded) {
      call.write({ end: { error: "cancelled by the client" } });
      call.end();
    }
    release();
  };
  req.signal.addEventListener("abort", cancel, { once: true });
  call.on("close", release);
  call.on("error", release);
  // The request is sent in full once its body's end frame is written (a request without a
  // body, and a watch, have no end frame); only then is the line reusable.
  let requestSent = false;
  const body = isWatch ? null : req.body;
  if (body) pumpBody(body, call).then(() => requestSent = true, cancel);
  else requestSent = true;
  // The response ended cleanly: the line serves the next request, unless its request side
  // is not complete (the agent answered before reading the whole body).
  const completed = () => {
    release();
    if (requestSent && !cancelled) reuse(tunnel);
    else if (!call.writableEnded) call.end();
  };

  let first: TunnelUp__Output | undefined;
  try {
    const r = await nextFrame(tunnel);
    first = r.done ? undefined : r.value;
  } catch {
    first = undefined;
  }
  if (!first?.response) {
    cancel();
    throw new AgentUnavailableError(
      tracked.dropped() || first?.end?.error || "the agent closed the request before answering",
    );
  }
  const head = first.response;
  const outHeaders = new Headers();
  for (const h of head.headers) outHeaders.append(h.name, h.value);
  const noBody = head.status === 204 || head.status === 304;
  if (head.complete) {
    completed();
    // A view into the decoded message (a Node Buffer), not a copy.
    const whole = head.body as unknown as Uint8Array<ArrayBuffer>;
    return new Response(noBody ? null : whole, { status: head.status, headers: outHeaders });
  }
  // Everything else streams, pulled frame by frame as the client reads.
  const stream = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        const next = await nextFrame(tunnel);
        if (next.done) {
          release();
          ctrl.error(new Error("the agent's stream ended without finishing the response"));
          return;
        }
        const f = next.value;
        if (f.body) ctrl.enqueue(f.body.data);
        else if (f.watch_event) {
          for (const part of watchEventLine(f.watch_event)) ctrl.enqueue(part);
        } else if (f.end) {
          if (f.end.error) {
            release();
            call.end();
            ctrl.error(new Error(f.end.error));
          } else {
            completed();
            ctrl.close();
          }
        }
      } catch (err) {
        release();
        // After the client went away the call's premature close is expected: nobody to tell.
        if (!cancelled) ctrl.error(err);
      }
    },
    cancel,
  }, { highWaterMark: 4 });
  return new Response(noBody ? null : stream, { status: head.status, headers: outHeaders });
}

const encoder = new TextEncoder();

/** A watch event frame as the API server's line: {"type":..,"object":<raw JSON>}\n, uncopied. */
function watchEventLine(e: { type: string; object: Uint8Array }): Uint8Array[] {
  return [
    encoder.encode(`{"type":${JSON.stringify(e.type)},"object":`),
    e.object,
    encoder.encode("}\n"),
  ];
}

/**
 * Counts an exchange in flight on its session until release() (true on its first call). When
 * the control stream ends first (agent gone, heartbeat missed, cluster deleted) the call fails
 * with AgentUnavailableError at once rather than when its connection times out, so a pending
 * read rejects; dropped() then says why.
 */
export function trackInFlight(
  s: AgentSession,
  call: TunnelCall,
  /** A watch: also listed in `s.watches`, which a draining replica ends at once (they resume). */
  isWatch = false,
): { release(): boolean; dropped(): string } {
  s.inFlight++;
  let released = false;
  let dropped = "";
  const drop = (reason: string) => {
    dropped = `agent offline: ${reason}`;
    if (call.writableEnded || call.destroyed) return;
    call.emit(
      "error",
      Object.assign(new AgentUnavailableError(dropped), {
        code: grpcStatus.UNAVAILABLE,
        details: dropped,
      }),
    );
  };
  if (s.closed) drop("the control stream ended");
  else {
    s.tunnels.add(drop);
    if (isWatch) s.watches.add(drop);
  }
  return {
    release() {
      if (released) return false;
      released = true;
      s.inFlight--;
      s.tunnels.delete(drop);
      s.watches.delete(drop);
      return true;
    },
    dropped: () => dropped,
  };
}

/** Streams a request body to the agent in chunks, waiting for 'drain' when gRPC pushes back. */
async function pumpBody(body: ReadableStream<Uint8Array>, call: TunnelCall): Promise<void> {
  for await (const chunk of body) {
    for (let off = 0; off < chunk.length; off += CHUNK_BYTES) {
      if (call.writableEnded) return;
      if (!call.write({ body: { data: chunk.subarray(off, off + CHUNK_BYTES) } })) {
        await once(call, "drain");
      }
    }
  }
  if (!call.writableEnded) call.write({ end: { error: "" } });
}
