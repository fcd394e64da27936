// An in-memory pair of gRPC duplex calls, enough of grpc-js's call interface for the tunnel code
// on both ends: write (returns whether to keep writing) / 'drain', end, cancel, pause/resume,
// 'data', 'end', 'error' and 'close' events, and an async iterator over what arrives. What one
// end writes arrives at the other on a later microtask, in order.
import { EventEmitter } from "node:events";

export class FakeCall<In, Out> extends EventEmitter {
  peer!: FakeCall<Out, In>;
  /** Everything this end wrote, in order. */
  readonly written: Out[] = [];
  writableEnded = false;
  destroyed = false;
  cancelled = false;
  /** The peer ended its side. */
  remoteEnded = false;
  private paused = false;
  private readonly held: In[] = [];
  /** write() returns false once this many messages are unread by the peer (0: never). */
  highWater = 0;

  write(msg: Out): boolean {
    if (this.writableEnded || this.destroyed) throw new Error("write after end");
    this.written.push(msg);
    queueMicrotask(() => this.peer.receive(msg));
    return this.highWater === 0 || this.peer.held.length < this.highWater;
  }

  end(): void {
    if (this.writableEnded) return;
    this.writableEnded = true;
    queueMicrotask(() => this.peer.endFromPeer());
    this.maybeClose();
  }

  /** Breaks the call on both ends (as a reset stream does). */
  cancel(): void {
    if (this.destroyed) return;
    this.cancelled = true;
    this.fail(new Error("cancelled"));
    this.peer.fail(new Error("the peer cancelled"));
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    while (!this.paused && this.held.length) this.emit("data", this.held.shift());
    if (!this.held.length) this.peer.emit("drain");
    return this;
  }

  getPeer(): string {
    return "fake:1";
  }

  private receive(msg: In): void {
    if (this.destroyed) return;
    if (this.paused || this.held.length) this.held.push(msg);
    else {
      this.emit("data", msg);
      this.peer.emit("drain");
    }
  }

  private endFromPeer(): void {
    if (this.destroyed) return;
    this.remoteEnded = true;
    this.emit("end");
    this.maybeClose();
  }

  private fail(err: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    // An EventEmitter throws an 'error' nobody listens for; grpc-js's calls do the same.
    if (this.listenerCount("error")) this.emit("error", err);
    this.emit("close");
  }

  private maybeClose(): void {
    if (this.writableEnded && this.remoteEnded && !this.destroyed) {
      this.destroyed = true;
      queueMicrotask(() => this.emit("close"));
    }
  }

  /** The messages that arrive, until the peer ends (done) or the call fails (rejects). */
  frames(): AsyncIterator<In> {
    const queue: In[] = [];
    const waiting: PromiseWithResolvers<IteratorResult<In>>[] = [];
    let ended = false;
    let failure: unknown;
    const settle = () => {
      while (waiting.length && (queue.length || ended || failure)) {
        const w = waiting.shift()!;
        if (queue.length) w.resolve({ value: queue.shift()!, done: false });
        else if (failure) w.reject(failure);
        else w.resolve({ value: undefined, done: true });
      }
    };
    this.on("data", (m: In) => {
      queue.push(m);
      settle();
    });
    this.on("end", () => {
      ended = true;
      settle();
    });
    this.on("error", (err: unknown) => {
      failure = err;
      settle();
    });
    return {
      next: () => {
        const w = Promise.withResolvers<IteratorResult<In>>();
        waiting.push(w);
        settle();
        return w.promise;
      },
    };
  }
}

/** Two connected ends: `a` writes what `b` reads, and the other way round. */
export function duplexPair<A2B, B2A>(): { a: FakeCall<B2A, A2B>; b: FakeCall<A2B, B2A> } {
  const a = new FakeCall<B2A, A2B>();
  const b = new FakeCall<A2B, B2A>();
  a.peer = b;
  b.peer = a;
  return { a, b };
}
