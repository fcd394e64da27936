// Unit tests for PingTracker: RTT from a Pong of a Ping it sent, and the peer's own reported
// RTT (Ping.last_rtt_ms), which the dashboard uses instead of pinging a chatty agent itself.
import assert from "node:assert/strict";
import { PingTracker } from "./ping.ts";

Deno.test("PingTracker: RTT from the Pong of a sent Ping; unknown Pongs are ignored", () => {
  const p = new PingTracker();
  const ping = p.next(1_000);
  p.pong("999", 1_500);
  assert.equal(p.rttMs, null);
  p.pong(ping.seq, 1_012);
  assert.equal(p.rttMs, 12);
  assert.equal(p.next(2_000).last_rtt_ms, 12);
});

Deno.test("PingTracker.reported takes the peer's RTT unless it is nonsense", () => {
  const cases: Array<[number, number | null]> = [
    [3.5, 3.5],
    [0, null],
    [-1, null],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
    [10_000_000, null],
  ];
  for (const [reported, want] of cases) {
    const p = new PingTracker();
    p.reported(reported);
    assert.equal(p.rttMs, want, String(reported));
  }
});
