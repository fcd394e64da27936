// The upgraded streams (exec, attach, port-forward) open through this dashboard, so that each
// one ends when it must: when its cluster is deleted, when the person's session or API token
// stops being valid (logout, expiry, revocation, password change, user disabled or deleted) or
// they may no longer open streams on that cluster (a per-cluster role removed or lowered to
// viewer) — both rechecked every few seconds, and at once when users, tokens or bindings change
// on any replica (recheckNow) — and on shutdown. It also bounds how many streams one caller may
// hold open.
import { sha256Hex } from "../crypto/encoding.ts";
import { log } from "../../common/log.ts";

/**
 * Why the dashboard ended a stream (a ticket's abort reason), with the HTTP status that tells a
 * stream still opening: 403 (no longer allowed), 404 (the cluster is gone), 503 (stopping).
 */
export class StreamEnded extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface OpenStreamsOptions {
  /** Streams one caller (session or API token) may have open at once. */
  perCaller: number;
  /** How often every open stream's token is checked again. */
  recheckMs: number;
}

/** An open stream's registration: its signal aborts (with the reason) when it must close. */
export interface StreamTicket {
  readonly signal: AbortSignal;
  release(): void;
}

interface Entry {
  clusterId: string;
  token: string;
  ctrl: AbortController;
}

export class OpenStreams {
  private readonly entries = new Set<Entry>();
  private readonly perCaller = new Map<string, number>();
  private timer?: ReturnType<typeof setInterval>;
  /** The recheck under way, and whether another must follow it (something changed meanwhile). */
  #rechecking?: Promise<void>;
  #again = false;

  constructor(
    /**
     * Whether a token still authenticates someone who may hold a stream open on the cluster
     * (AuthService.authenticate, then their role on it).
     */
    private readonly stillValid: (token: string, clusterId: string) => Promise<boolean>,
    private readonly opts: OpenStreamsOptions,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Registers a stream, or returns null when the caller already holds perCaller streams. */
  open(clusterId: string, token: string): StreamTicket | null {
    const caller = sha256Hex(token);
    const held = this.perCaller.get(caller) ?? 0;
    if (held >= this.opts.perCaller) return null;
    this.perCaller.set(caller, held + 1);
    const entry: Entry = { clusterId, token, ctrl: new AbortController() };
    this.entries.add(entry);
    this.timer ??= setInterval(() => void this.recheckNow(), this.opts.recheckMs);
    let released = false;
    return {
      signal: entry.ctrl.signal,
      release: () => {
        if (released) return;
        released = true;
        this.entries.delete(entry);
        const n = (this.perCaller.get(caller) ?? 1) - 1;
        if (n > 0) this.perCaller.set(caller, n);
        else this.perCaller.delete(caller);
        if (this.entries.size === 0) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      },
    };
  }

  /** Ends every stream to a cluster (it was deleted or its connection changed). */
  closeCluster(clusterId: string, reason: string): void {
    for (const e of [...this.entries]) {
      if (e.clusterId === clusterId) e.ctrl.abort(new StreamEnded(404, reason));
    }
  }

  /** Ends every stream (the dashboard is stopping). */
  closeAll(reason: string): void {
    for (const e of [...this.entries]) e.ctrl.abort(new StreamEnded(503, reason));
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Rechecks every open stream now (after a change to users, tokens or bindings): one recheck at
   * a time, and one more after a recheck already under way, which may have read the old state.
   * Resolves when the streams have been checked after this call.
   */
  recheckNow(): Promise<void> {
    if (this.#rechecking) {
      this.#again = true;
      return this.#rechecking;
    }
    if (this.entries.size === 0) return Promise.resolve();
    const run = async () => {
      do {
        this.#again = false;
        await this.recheck();
      } while (this.#again);
    };
    return this.#rechecking = run().finally(() => this.#rechecking = undefined);
  }

  /** Ends the streams whose token no longer authenticates someone allowed them. */
  async recheck(): Promise<void> {
    const pairs = new Map<string, { token: string; clusterId: string }>();
    for (const e of this.entries) {
      pairs.set(`${e.clusterId} ${e.token}`, { token: e.token, clusterId: e.clusterId });
    }
    for (const { token, clusterId } of pairs.values()) {
      let valid = true;
      try {
        valid = await this.stillValid(token, clusterId);
      } catch (err) {
        log.warn("cannot recheck an open stream's session; keeping it until the next check", {
          err,
        });
      }
      if (valid) continue;
      for (const e of [...this.entries]) {
        if (e.token === token && e.clusterId === clusterId) {
          e.ctrl.abort(
            new StreamEnded(
              403,
              "your session or API token is no longer valid, or you may no longer open streams " +
                "on this cluster; log in again or ask an admin",
            ),
          );
        }
      }
    }
  }
}
