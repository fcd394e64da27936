// The agent's ends of Tunnel calls. A TunnelLine is one call to the dashboard; it carries one
// request at a time (an Exchange) and, once that exchange finished cleanly in both directions,
// is idle again and waits for the dashboard to hand it the next one. An Exchange writes frames
// that wait for 'drain' when gRPC flow control pushes back, exposes the request body as a stream
// (the call is paused while nobody reads it), and has a signal that aborts when the dashboard
// cancels or the call breaks. An upgraded stream (protocol v2: exec, attach, port-forward; relayed
// by ./stream.ts) is an exchange whose dashboard side is a stream of WebSocket messages instead of
// a body; its line is never reused: the call ends with the stream.
import type * as grpc from "@grpc/grpc-js";
import type { TunnelUp } from "../proto/gen/agent/v1/TunnelUp.ts";
import type { TunnelDown__Output } from "../proto/gen/agent/v1/TunnelDown.ts";
import type { Header } from "../proto/gen/agent/v1/Header.ts";
import type { K8sRequest__Output } from "../proto/gen/agent/v1/K8sRequest.ts";
import type { WatchStart__Output } from "../proto/gen/agent/v1/WatchStart.ts";
import type { StreamStart__Output } from "../proto/gen/agent/v1/StreamStart.ts";
import type { StreamMessage__Output } from "../proto/gen/agent/v1/StreamMessage.ts";
import { CHUNK_BYTES } from "../proto/wire.ts";

export type TunnelCall = grpc.ClientDuplexStream<TunnelUp, TunnelDown__Output>;

/** What the dashboard asked for on a tunnel. */
export type ExchangeWork =
  | { request: K8sRequest__Output; watch?: undefined; stream?: undefined }
  | { watch: WatchStart__Output; request?: undefined; stream?: undefined }
  | { stream: StreamStart__Output; request?: undefined; watch?: undefined };

/** What every kind of work names: its request id and its API path with query (the object
 * itself, so that a guard may narrow the path in place). */
export function workTarget(work: ExchangeWork): { request_id: string; path: string } {
  return work.request ?? work.watch ?? work.stream;
}

export interface LineEvents {
  /** The dashboard handed an idle line a request. */
  work(tunnel: Exchange, work: ExchangeWork): void;
  /** The line is gone: closed by either side, or broken. */
  closed(line: TunnelLine): void;
}

/** Request body chunks buffered before the call is paused. */
const BODY_QUEUE_CHUNKS = 4;
/** Stream messages from the dashboard buffered before the call is paused. */
const STREAM_QUEUE_MESSAGES = 4;
/**
 * After an upgraded stream's line is closed (our end written, the call half-closed), how long the
 * dashboard has to end the call before the agent cancels it, so that nothing lingers.
 */
const STREAM_LINE_LINGER_MS = 10_000;

export class TunnelLine {
  /** STREAM_LINE_LINGER_MS; tests shorten it. */
  static streamLingerMs = STREAM_LINE_LINGER_MS;
  private current?: Exchange;
  closed = false;
  /** The call is over (ended by the dashboard, or broken). */
  private callDone = false;

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
    call.on("error", () => {
      this.callDone = true;
      this.close("the tunnel broke");
    });
    call.on("end", () => {
      this.callDone = true;
      this.close("the dashboard closed the tunnel");
    });
    call.on("close", () => {
      this.callDone = true;
      this.close("the tunnel closed");
    });
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
    // Frames still arriving after the line closed (read to let the call finish) are dropped.
    if (this.closed) return;
    if (this.current) {
      this.current.frame(f);
      return;
    }
    const work: ExchangeWork | null = f.request
      ? { request: f.request }
      : f.watch
      ? { watch: f.watch }
      : f.stream
      ? { stream: f.stream }
      : null;
    if (!work) {
      this.close("unexpected frame on an idle tunnel");
      return;
    }
    this.current = new Exchange(this, work.request?.has_body ?? false);
    if (work.stream) this.current.beginStream();
    this.events.work(this.current, work);
  }

  /** Called when a request is done in both directions: the line waits for the next one. */
  release(tunnel: Exchange): void {
    if (this.current !== tunnel || this.closed) return;
    this.current = undefined;
    this.call.resume();
  }

  /**
   * Ends the call; a request still running on it is aborted. The call is read on (what still
   * arrives is dropped) so that it can finish; the line of an upgraded stream is cancelled if the
   * dashboard has not ended it within streamLingerMs.
   */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const upgraded = this.current?.upgraded ?? false;
    this.current?.abort(reason);
    this.current = undefined;
    if (!this.call.writableEnded) this.call.end();
    this.call.resume();
    if (upgraded && !this.callDone) {
      const timer = setTimeout(() => {
        if (!this.callDone) this.call.cancel();
      }, TunnelLine.streamLingerMs);
      const done = () => clearTimeout(timer);
      this.call.once("close", done);
      this.call.once("end", done);
      this.call.once("error", done);
    }
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
  /** An upgraded stream's messages from the dashboard. */
  private messages: ReadableStream<StreamMessage__Output> | null = null;
  private messagesCtrl?: ReadableStreamDefaultController<StreamMessage__Output>;
  /** The dashboard's end frame (without error) arrived: the request side is complete. */
  private requestEnded = false;
  /** Our end frame went out. */
  private finished = false;
  /** An upgraded stream (StreamStart): messages both ways; the line is not reused after it. */
  upgraded = false;
  /** Writes waiting for 'drain'. */
  private draining = 0;

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

  /** Whether a write is waiting for gRPC's flow control (the dashboard is not reading). */
  get blocked(): boolean {
    return this.draining > 0;
  }

  /** The dashboard ended the upgraded stream with end{""} (its messages queue is closed). */
  get endedCleanly(): boolean {
    return this.upgraded && this.requestEnded;
  }

  /**
   * Makes this exchange an upgraded stream (StreamStart): the dashboard sends messages, then an
   * end, and the line closes when our end went out. Called before any frame arrives: at once
   * for a stream handed to an idle line, and by the dialer right after opening the line of an
   * announced one (TunnelPool opens it as a request without a body).
   */
  beginStream(): void {
    if (this.upgraded) return;
    if (this.body || this.finished) throw new Error("only a new exchange can become a stream");
    this.upgraded = true;
    this.requestEnded = false;
    this.messages = new ReadableStream<StreamMessage__Output>({
      start: (ctrl) => {
        this.messagesCtrl = ctrl;
      },
      pull: () => {
        this.line.call.resume();
      },
    }, { highWaterMark: STREAM_QUEUE_MESSAGES });
  }

  abort(reason: string): void {
    if (this.aborted.signal.aborted) return;
    this.aborted.abort(new Error(reason));
    try {
      this.bodyCtrl?.error(new Error(reason));
    } catch { /* already closed */ }
    // A stream the dashboard ended cleanly keeps its last messages: the relay still hands them
    // to the API server before closing the WebSocket.
    if (this.requestEnded) return;
    try {
      this.messagesCtrl?.error(new Error(reason));
    } catch { /* already closed */ }
  }

  /** A frame from the dashboard while this request runs. */
  frame(f: TunnelDown__Output): void {
    if (f.body) {
      if (this.upgraded) return this.protocolError("a body chunk on an upgraded stream");
      if (this.finished) return; // answered early: the rest of the body is not needed
      if (this.requestEnded) return this.protocolError("body after the end of the request");
      // A request without a body has ended from the start, so a body has its controller here.
      const ctrl = this.bodyCtrl!;
      ctrl.enqueue(new Uint8Array(f.body.data));
      if ((ctrl.desiredSize ?? 1) <= 0) this.line.call.pause();
    } else if (f.message) {
      if (!this.upgraded) return this.protocolError("a stream message on a request");
      if (this.finished) return; // the stream ended on our side: nobody to deliver it to
      if (this.requestEnded) return this.protocolError("a message after the end of the stream");
      const ctrl = this.messagesCtrl!;
      ctrl.enqueue(f.message);
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
        this.messagesCtrl?.close();
      } catch { /* errored by an abort */ }
      if (this.finished) this.settle();
    } else {
      this.protocolError("a new request while one is running");
    }
  }

  private protocolError(what: string): void {
    this.abort(`protocol error: ${what}`);
    this.line.close(`protocol error: ${what}`);
  }

  /** Our side is done: an upgraded stream's line closes; a request's waits for its body's end. */
  private settle(): void {
    if (this.upgraded) this.line.close("the upgraded stream ended");
    else if (this.requestEnded) this.line.release(this);
  }

  /**
   * Writes one frame, waiting while gRPC's flow control says the peer is not reading. The frame
   * is written before the first await (`blocked` tells at once whether it has to wait).
   */
  async write(frame: TunnelUp): Promise<void> {
    const call = this.line.call;
    if (this.signal.aborted || call.writableEnded) {
      throw this.signal.reason ?? new Error("tunnel closed");
    }
    if (!call.write(frame)) {
      this.draining++;
      try {
        await drainOrAbort(call, this.signal);
      } finally {
        this.draining--;
      }
    }
  }

  async respond(status: number, headers: Header[]): Promise<void> {
    await this.write({ response: { status, headers } });
  }

  /** The whole response in one frame: head, a body of at most CHUNK_BYTES, and its end. */
  async respondWhole(status: number, headers: Header[], body: Uint8Array): Promise<void> {
    await this.write({ response: { status, headers, body, complete: true } });
    this.finished = true;
    this.settle();
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
    else this.settle();
  }

  /** The request body sent by the dashboard, as the API server reads it; null without one. */
  requestBody(): ReadableStream<Uint8Array> | null {
    return this.body;
  }

  /**
   * An upgraded stream's messages from the dashboard, one per WebSocket message; pulled: the
   * call is paused while STREAM_QUEUE_MESSAGES wait unread. Ends at the dashboard's end{""};
   * errors when it cancels or the call breaks. null for a request or watch.
   */
  streamMessages(): ReadableStream<StreamMessage__Output> | null {
    return this.messages;
  }
}

/**
 * Waits for the call's 'drain', or rejects when the exchange aborts; either way both listeners
 * are removed (a long stream blocks thousands of times: none may pile up).
 */
function drainOrAbort(call: TunnelCall, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      call.off("drain", onDrain);
      signal.removeEventListener("abort", onAbort);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onAbort = () => {
      cleanup();
      reject(signal.reason);
    };
    if (signal.aborted) return reject(signal.reason);
    call.on("drain", onDrain);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
