// A fixed-window failure counter per key (login attempts per client address and username).
// Memory stays bounded: at most maxKeys keys, the oldest dropped first.

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
