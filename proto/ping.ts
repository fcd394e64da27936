// Round-trip measurement for the Ping/Pong heartbeats both ends send on the control stream.
import type { Ping } from "./gen/agent/v1/Ping.ts";

export class PingTracker {
  private seq = 0;
  private readonly sent = new Map<string, number>();
  rttMs: number | null = null;

  /** The next Ping to send; remembers when it left. */
  next(now = Date.now()): Ping & { seq: string } {
    const seq = String(++this.seq);
    this.sent.set(seq, now);
    if (this.sent.size > 8) this.sent.delete(this.sent.keys().next().value!);
    return { seq, sent_at_ms: String(now), last_rtt_ms: this.rttMs ?? 0 };
  }

  /** Takes the peer's own RTT measurement (Ping.last_rtt_ms; 0 or nonsense means none yet). */
  reported(rttMs: number): void {
    if (Number.isFinite(rttMs) && rttMs > 0 && rttMs < 600_000) this.rttMs = rttMs;
  }

  /** Records the RTT of the Ping this Pong answers (unknown sequence numbers are ignored). */
  pong(seq: string, now = Date.now()): void {
    const at = this.sent.get(seq);
    if (at === undefined) return;
    this.rttMs = now - at;
    this.sent.delete(seq);
  }
}
