// Login failure limits. FailureLimiter: a fixed-window failure counter per key (attempts per
// client address and username). GrowingDelay: a per-key delay that doubles with every failure
// past a threshold, up to a cap (attempts per username from any address: password spraying), so
// an attacker can slow a user's login down but never lock it for longer than the cap.
// Memory stays bounded in both: at most maxKeys keys, the oldest dropped first.

export class FailureLimiter {
  private readonly entries = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Milliseconds until key may try again, or 0 when it may try now. */
  retryAfter(key: string, now = Date.now()): number {
    const e = this.entries.get(key);
    if (!e || e.resetAt <= now) return 0;
    return e.count >= this.limit ? e.resetAt - now : 0;
  }

  fail(key: string, now = Date.now()): void {
    const e = this.entries.get(key);
    if (!e || e.resetAt <= now) {
      if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { count: 1, resetAt: now + this.windowMs });
    } else {
      e.count++;
    }
  }

  reset(key: string): void {
    this.entries.delete(key);
  }
}

export interface GrowingDelayOptions {
  /** Failures allowed without any delay. */
  threshold: number;
  /** Wait after the threshold-th failure; each further failure doubles it. */
  baseMs: number;
  /** The longest wait ever asked for. */
  capMs: number;
  /** A key's failures are forgotten this long after its last failure. */
  forgetMs: number;
  maxKeys?: number;
  /** The clock (injected by tests). */
  now?: () => number;
}

/**
 * Per-key growing delay: after `threshold` failures, the next attempt must wait `baseMs` after
 * the last failure, then 2×, 4×, … up to `capMs`. Attempts refused for waiting are not
 * failures, and a success clears the key, so the real user gets in once a wait has passed.
 */
export class GrowingDelay {
  /** key -> failures and the time of the last one; Map order = least recently failed first. */
  private readonly entries = new Map<string, { count: number; last: number }>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly opts: GrowingDelayOptions) {
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  /** The wait after `count` failures (0 below the threshold). */
  delayAfter(count: number): number {
    const { threshold, baseMs, capMs } = this.opts;
    if (count < threshold) return 0;
    // Past ~2^30 the product is far beyond any cap; stop doubling there.
    return Math.min(baseMs * 2 ** Math.min(count - threshold, 30), capMs);
  }

  /** Milliseconds until key may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const e = this.live(key);
    if (!e) return 0;
    return Math.max(0, e.last + this.delayAfter(e.count) - this.now());
  }

  fail(key: string): void {
    const now = this.now();
    const count = (this.live(key)?.count ?? 0) + 1;
    // Re-inserted at the end: eviction drops the keys that failed least recently.
    this.entries.delete(key);
    if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { count, last: now });
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** How many keys are held (for tests of the memory bound). */
  get size(): number {
    return this.entries.size;
  }

  private live(key: string): { count: number; last: number } | undefined {
    const e = this.entries.get(key);
    if (e && e.last + this.opts.forgetMs <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}
