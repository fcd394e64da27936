// A session's tunnel lines (each one gRPC Tunnel call the agent opened): the idle pool that the
// next request takes from (most recently used first; extra idle lines ended after a while), and
// the announced requests waiting for the line the agent opens for them (claimed by its open
// frame, refused on the control stream, or timed out).
import type * as grpc from "@grpc/grpc-js";
import type { TunnelUp__Output } from "../../proto/gen/agent/v1/TunnelUp.ts";
import type { TunnelDown } from "../../proto/gen/agent/v1/TunnelDown.ts";
import type { AgentSession } from "./sessions.ts";
import { AgentUnavailableError, TunnelRefusedError } from "./errors.ts";
import type { ExchangeWork } from "./exchange.ts";

export type TunnelCall = grpc.ServerDuplexStream<TunnelUp__Output, TunnelDown>;
export type Frame = IteratorResult<TunnelUp__Output>;

/** An opened tunnel line: the call, and the iterator already used to read its open frame. */
export interface TunnelLine {
  call: TunnelCall;
  frames: AsyncIterator<TunnelUp__Output>;
  /** While idle: the read that notices the agent closing it (the agent sends nothing else). */
  idleRead?: Promise<Frame>;
  idleSinceMs?: number;
}

/** An announced request waiting for its line. */
export interface Pending {
  open: PromiseWithResolvers<TunnelLine>;
  timer: ReturnType<typeof setTimeout>;
}

/** The next frame of a line, taking over the read started while it was idle. */
export function nextFrame(t: TunnelLine): Promise<Frame> {
  const p = t.idleRead ?? t.frames.next();
  t.idleRead = undefined;
  return p;
}

/**
 * Keeps a line for the next request: an agent's idle offer (first frame `open{""}`) or a line
 * whose request completed cleanly. Beyond `maxIdle` the line is ended.
 */
export function offerIdle(s: AgentSession, t: TunnelLine, maxIdle: number): void {
  if (s.closed || s.idle.length >= maxIdle || t.call.destroyed) {
    t.call.end();
    return;
  }
  t.idleSinceMs = Date.now();
  const read = t.frames.next();
  t.idleRead = read;
  s.idle.push(t);
  // Anything on an idle line (its end, an error, a stray frame) retires it.
  const retire = () => {
    if (t.idleRead !== read) return; // taken by a request, which now owns the read
    const i = s.idle.indexOf(t);
    if (i >= 0) s.idle.splice(i, 1);
    t.idleRead = undefined;
    if (!t.call.writableEnded) t.call.end();
  };
  read.then(retire, retire);
}

/** The most recently used idle line that is still open, if any. */
export function takeIdle(s: AgentSession): TunnelLine | undefined {
  for (let t = s.idle.pop(); t; t = s.idle.pop()) {
    if (t.idleRead && !t.call.destroyed && !t.call.writableEnded) return t;
  }
  return undefined;
}

/** Ends idle lines beyond `keep` that were not used for `ttlMs`. */
export function trimIdle(s: AgentSession, now: number, keep: number, ttlMs: number): void {
  while (s.idle.length > keep && now - (s.idle[0].idleSinceMs ?? now) > ttlMs) {
    s.idle.shift()!.call.end();
  }
}

/**
 * Announces the request on the control stream and waits for the agent's line for it. Fails
 * with AgentUnavailableError after `timeoutMs`, TunnelRefusedError when the agent refuses it,
 * or the signal's reason when the client goes away first.
 */
export async function announce(
  s: AgentSession,
  requestId: string,
  work: ExchangeWork,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<TunnelLine> {
  const open = Promise.withResolvers<TunnelLine>();
  const timer = setTimeout(() => {
    s.pending.delete(requestId);
    // So that a late agent does not run a request whose client already got 503.
    s.send({ watch_stop: { request_id: requestId } });
    open.reject(new AgentUnavailableError("agent did not answer in time"));
  }, timeoutMs);
  s.pending.set(requestId, { open, timer });
  const onAbort = () => {
    if (s.pending.delete(requestId)) {
      clearTimeout(timer);
      s.send({ watch_stop: { request_id: requestId } });
      open.reject(signal.reason ?? new DOMException("aborted", "AbortError"));
    }
  };
  signal.addEventListener("abort", onAbort, { once: true });
  s.send(
    work.request
      ? { k8s_request: work.request }
      : work.watch
      ? { watch_start: work.watch }
      : { stream_start: work.stream },
  );
  try {
    return await open.promise;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** The agent opened the line for an announced request; false when nothing waits for it. */
export function claim(s: AgentSession, requestId: string, line: TunnelLine): boolean {
  const p = s.pending.get(requestId);
  if (!p) return false;
  s.pending.delete(requestId);
  clearTimeout(p.timer);
  p.open.resolve(line);
  return true;
}

/** The agent refused an announced request (its limits, a path it does not serve). */
export function refuse(s: AgentSession, requestId: string, status: number, message: string): void {
  const p = s.pending.get(requestId);
  if (!p) return;
  s.pending.delete(requestId);
  clearTimeout(p.timer);
  p.open.reject(new TunnelRefusedError(status, message));
}
