// Unit tests for the agent's reconnect delay: exponential backoff with full jitter, capped at 30 s.
import assert from "node:assert/strict";
import { backoffDelay } from "./dialer.ts";

Deno.test("backoffDelay: full jitter between 0 and min(30 s, 500 ms * 2^attempt)", () => {
  const cases: Array<{ attempt: number; ceiling: number }> = [
    { attempt: 0, ceiling: 500 },
    { attempt: 1, ceiling: 1_000 },
    { attempt: 2, ceiling: 2_000 },
    { attempt: 3, ceiling: 4_000 },
    { attempt: 5, ceiling: 16_000 },
    { attempt: 6, ceiling: 30_000 }, // 32 s, capped
    { attempt: 7, ceiling: 30_000 },
    { attempt: 20, ceiling: 30_000 },
    { attempt: 1_000, ceiling: 30_000 }, // no overflow to Infinity/NaN
    { attempt: Number.MAX_SAFE_INTEGER, ceiling: 30_000 },
  ];
  for (const { attempt, ceiling } of cases) {
    assert.equal(backoffDelay(attempt, () => 0), 0, `attempt ${attempt}, random 0`);
    assert.equal(backoffDelay(attempt, () => 0.5), ceiling / 2, `attempt ${attempt}, random 0.5`);
    const top = backoffDelay(attempt, () => 0.999999);
    assert(top < ceiling && top >= ceiling - 1, `attempt ${attempt}: ${top} just under ${ceiling}`);
  }
});

Deno.test("backoffDelay: whole milliseconds, never above the cap, spread over the range", () => {
  const seen = new Set<number>();
  for (let i = 0; i < 2_000; i++) {
    const d = backoffDelay(10);
    assert(Number.isInteger(d) && d >= 0 && d < 30_000, `${d}`);
    seen.add(Math.floor(d / 3_000));
  }
  // Full jitter, not "equal jitter": the lowest and highest tenths of the range both occur.
  assert(seen.has(0) && seen.has(9), `deciles seen: ${[...seen].sort()}`);
});
