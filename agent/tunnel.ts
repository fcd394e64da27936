// The agent's ends of Tunnel calls. A TunnelLine is one call to the dashboard; it carries one
// request at a time (an Exchange) and, once that exchange finished cleanly in both directions,
// is idle again and waits for the dashboard to hand it the next one. An Exchange writes frames
// that wait for 'drain' when gRPC flow control pushes back, exposes the request body as a stream
// (the call is paused while nobody reads it), and has a signal that aborts when the dashboard
// cancels or the call breaks.
import type * as grpc from "@grpc/grpc-js";
import { once } from "node:events";
import type { TunnelUp } from "../proto/gen/agent/v1/TunnelUp.ts";
import type { TunnelDown__Output } from "../proto/gen/agent/v1/TunnelDown.ts";
import type { Header } from "../proto/gen/agent/v1/Header.ts";
import type { K8sRequest__Output } from "../proto/gen/agent/v1/K8sRequest.ts";
import type { WatchStart__Output } from "../proto/gen/agent/v1/WatchStart.ts";
import { CHUNK_BYTES } from "../proto/wire.ts";

export type TunnelCall = grpc.ClientDuplexStream<TunnelUp, TunnelDown__Output>;

/** What the dashboard asked for on a tunnel. */
export type ExchangeWork =
  | { request: K8sRequest__Output; watch?: undefined }
  | { watch: WatchStart__Output; request?: undefined };

export interface LineEvents {
  /** The dashboard handed an idle line a request. */
  work(tunnel: Exchange, work: ExchangeWork): void;
  /** The line is gone: closed by either side, or broken. */
  closed(line: TunnelLine): void;
}

/** Request body chunks buffered before the call is paused. */
const BODY_QUEUE_CHUNKS = 4;

export class TunnelLine {
  private current?: Exchange;
  closed = false;

  /**
   * Opens the line: with a request id it starts busy with that announced request (`hasBody`:
   * whether the dashboard sends a request body on it).
   */
  constructor(
    readonly call: TunnelCall,
    requestId: string,
    private readonly events: LineEvents,
    hasBody = false,
  ) {
    call.on("data", (f: TunnelDown__Output) => this.onFrame(f));
    call.on("error", () => this.close("the tunnel broke"));
    call.on("end", () => this.close("the dashboard closed the tunnel"));
    call.on("close", () => this.close("the tunnel closed"));
    call.write({ open: { request_id: requestId } });
    if (requestId) this.current = new Exchange(this, hasBody);
  }

  get idle(): boolean {
    return !this.closed && !this.current;
  }

  /** The request this line was opened for (announced on the control stream). */
  get announced(): Exchange {
    if (!this.current) throw new Error("the tunnel line was not opened for a request");
    return this.current;
  }

  private onFrame(f: TunnelDown__Output): void {
    if (this.current) {
      this.current.frame(f);
      return;
    }
    const work: ExchangeWork | null = f.request
      ? { request: f.request }
      : f.watch
      ? { watch: f.watch }
      : null;
    if (!work) {
      this.close("unexpected frame on an idle tunnel");
      return;
    }
    this.current = new Exchange(this, work.request?.has_body ?? false);
    this.events.work(this.current, work);
  }

  /** Called when a request is done in both directions: the line waits for the next one. */
  release(tunnel: Exchange): void {
    if (this.current !== tunnel || this.closed) return;
    this.current = undefined;
    this.call.resume();
  }

  /** Ends the call; a request still running on it is aborted. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.current?.abort(reason);
    this.current = undefined;
    if (!this.call.writableEnded) this.call.end();
    this.events.closed(this);
  }
}

/** One request on a tunnel line: the exchange of its frames with the dashboard. */
export class Exchange {
  /** Aborted when the dashboard cancels the request or the call fails. */
  private readonly aborted = new AbortController();
  /** The request body, for a request that has one. */
  private readonly body: ReadableStream<Uint8Array> | null = null;
  private bodyCtrl?: ReadableStreamDefaultController<Uint8Array>;
  /** The dashboard's end frame (without error) arrived: the request side is complete. */
  private requestEnded = false;
  /** Our end frame went out. */
  private finished = false;

  /** Without a body the request is complete at once: no end frame follows, only a cancel. */
  constructor(private readonly line: TunnelLine, hasBody: boolean) {
    this.requestEnded = !hasBody;
    if (!hasBody) return;
    this.body = new ReadableStream<Uint8Array>({
      start: (ctrl) => {
        this.bodyCtrl = ctrl;
      },
      pull: () => {
        this.line.call.resume();
      },
    }, { highWaterMark: BODY_QUEUE_CHUNKS });
  }

  get signal(): AbortSignal {
    return this.aborted.signal;
  }

  abort(reason: string): void {
    if (this.aborted.signal.aborted) return;
    this.aborted.abort(new Error(reason));
    try {
      this.bodyCtrl?.error(new Error(reason));
    } catch { /* already closed */ }
  }

  /** A frame from the dashboard while this request runs. */
  frame(f: TunnelDown__Output): void {
    if (f.body) {
      if (this.finished) return; // answered early: the rest of the body is not needed
      if (this.requestEnded) return this.protocolError("body after the end of the request");
      // A request without a body has ended from the start, so a body has its controller here.
      const ctrl = this.bodyCtrl!;
      ctrl.enqueue(new Uint8Array(f.body.data));
      if ((ctrl.desiredSize ?? 1) <= 0) this.line.call.pause();
    } else if (f.end) {
      if (f.end.error) {
        this.abort(f.end.error);
        this.line.close(f.end.error);
        return;
      }
      if (this.requestEnded) return;
      this.requestEnded = true;
      try {
        this.bodyCtrl?.close();
      } catch { /* errored by an abort */ }
      if (this.finished) this.line.release(this);
    } else {
      this.protocolError("a new request while one is running");
    }
  }

  private protocolError(what: string): void {
    this.abort(`protocol error: ${what}`);
    this.line.close(`protocol error: ${what}`);
  }

  /** Writes one frame, waiting while gRPC's flow control says the peer is not reading. */
  async write(frame: TunnelUp): Promise<void> {
    const call = this.line.call;
    if (this.signal.aborted || call.writableEnded) {
      throw this.signal.reason ?? new Error("tunnel closed");
    }
    if (!call.write(frame)) {
      await Promise.race([
        once(call, "drain"),
        once(this.signal, "abort").then(() => Promise.reject(this.signal.reason)),
      ]);
    }
  }

  async respond(status: number, headers: Header[]): Promise<void> {
    await this.write({ response: { status, headers } });
  }

  /** The whole response in one frame: head, a body of at most CHUNK_BYTES, and its end. */
  async respondWhole(status: number, headers: Header[], body: Uint8Array): Promise<void> {
    await this.write({ response: { status, headers, body, complete: true } });
    this.finished = true;
    if (this.requestEnded) this.line.release(this);
  }

  /** Sends a body in CHUNK_BYTES pieces. */
  async sendBody(data: Uint8Array): Promise<void> {
    for (let off = 0; off < data.length; off += CHUNK_BYTES) {
      await this.write({ body: { data: data.subarray(off, off + CHUNK_BYTES) } });
    }
  }

  /**
   * Ends the response. A clean end after a complete request returns the line to idle; an error
   * or an aborted request ends the call, so that nothing half-done is ever reused.
   */
  finish(error = ""): void {
    if (this.finished) return;
    this.finished = true;
    const call = this.line.call;
    if (call.writableEnded) return;
    call.write({ end: { error } });
    if (error || this.signal.aborted) this.line.close(error || "aborted");
    else if (this.requestEnded) this.line.release(this);
  }

  /** The request body sent by the dashboard, as the API server reads it; null without one. */
  requestBody(): ReadableStream<Uint8Array> | null {
    return this.body;
  }
}
