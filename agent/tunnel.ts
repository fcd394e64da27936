// The agent's end of one tunnelled request: a Tunnel call to the dashboard, writes that wait for
// 'drain' when gRPC flow control pushes back, the request body as a pull-based stream, and an
// abort signal that fires when the dashboard cancels or the call breaks.
import type * as grpc from "@grpc/grpc-js";
import { once } from "node:events";
import type { TunnelUp } from "../proto/gen/agent/v1/TunnelUp.ts";
import type { TunnelDown__Output } from "../proto/gen/agent/v1/TunnelDown.ts";
import type { Header } from "../proto/gen/agent/v1/Header.ts";
import { CHUNK_BYTES } from "../proto/wire.ts";

export type TunnelCall = grpc.ClientDuplexStream<TunnelUp, TunnelDown__Output>;

export class AgentTunnel {
  /** Aborted when the dashboard cancels the request or the call fails. */
  readonly aborted = new AbortController();
  private readonly frames: AsyncIterator<TunnelDown__Output>;
  private bodyDone = false;

  constructor(readonly call: TunnelCall, requestId: string) {
    this.frames = call[Symbol.asyncIterator]() as AsyncIterator<TunnelDown__Output>;
    const abort = () => this.aborted.abort(new Error("the dashboard cancelled the request"));
    call.on("error", abort);
    call.on("close", () => {
      if (!this.call.writableFinished) abort();
    });
    call.write({ open: { request_id: requestId } });
  }

  get signal(): AbortSignal {
    return this.aborted.signal;
  }

  /** Writes one frame, waiting while gRPC's flow control says the peer is not reading. */
  async write(frame: TunnelUp): Promise<void> {
    if (this.signal.aborted || this.call.writableEnded) {
      throw this.signal.reason ?? new Error("tunnel closed");
    }
    if (!this.call.write(frame)) {
      await Promise.race([
        once(this.call, "drain"),
        once(this.signal, "abort").then(() => Promise.reject(this.signal.reason)),
      ]);
    }
  }

  async respond(status: number, headers: Header[]): Promise<void> {
    await this.write({ response: { status, headers } });
  }

  /** Sends a body in CHUNK_BYTES pieces. */
  async sendBody(data: Uint8Array): Promise<void> {
    for (let off = 0; off < data.length; off += CHUNK_BYTES) {
      await this.write({ body: { data: data.subarray(off, off + CHUNK_BYTES) } });
    }
  }

  finish(error = ""): void {
    if (!this.call.writableEnded) {
      this.call.write({ end: { error } });
      this.call.end();
    }
  }

  /**
   * The request body sent by the dashboard, pulled from the call as the API server reads it.
   * After the body, frames are still read so that a cancel is noticed.
   */
  requestBody(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (ctrl) => {
        const next = await this.frames.next().catch(() => ({
          done: true as const,
          value: undefined,
        }));
        if (next.done) {
          ctrl.error(new Error("the dashboard ended the request early"));
          return;
        }
        if (next.value.body) ctrl.enqueue(new Uint8Array(next.value.body.data));
        else if (next.value.end) {
          if (next.value.end.error) {
            this.aborted.abort(new Error(next.value.end.error));
            ctrl.error(new Error(next.value.end.error));
          } else {
            this.bodyDone = true;
            ctrl.close();
            this.watchForCancel();
          }
        }
      },
    });
  }

  /** For requests without a body: consume the end frame, then keep watching for a cancel. */
  skipBody(): void {
    this.watchForCancel();
  }

  private watchForCancel(): void {
    (async () => {
      for (;;) {
        const next = await this.frames.next();
        if (next.done) {
          if (!this.call.writableEnded) {
            this.aborted.abort(new Error("the dashboard closed the request"));
          }
          return;
        }
        if (next.value.end?.error) {
          this.aborted.abort(new Error(next.value.end.error));
          return;
        }
        if (next.value.body && this.bodyDone) {
          this.aborted.abort(new Error("unexpected body after its end"));
          return;
        }
      }
    })().catch(() => this.aborted.abort(new Error("the tunnel broke")));
  }
}

export function toHeaderList(h: Headers): Header[] {
  const out: Header[] = [];
  h.forEach((value, name) => out.push({ name, value }));
  return out;
}
