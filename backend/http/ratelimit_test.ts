// The login limiters with an injected clock: the fixed window per (client, username) and the
// growing per-username delay (1 s, 2 s, 4 s … capped, never a permanent lock, bounded memory).
import assert from "node:assert/strict";
import { FailureLimiter, GrowingDelay, type GrowingDelayOptions } from "./ratelimit.ts";

const OPTS: Omit<GrowingDelayOptions, "now"> = {
  threshold: 10,
  baseMs: 1_000,
  capMs: 60_000,
  forgetMs: 15 * 60_000,
};

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

Deno.test("GrowingDelay.delayAfter doubles past the threshold up to the cap", () => {
  const d = new GrowingDelay(OPTS);
  const cases: [failures: number, waitMs: number][] = [
    [0, 0],
    [1, 0],
    [9, 0],
    [10, 1_000],
    [11, 2_000],
    [12, 4_000],
    [13, 8_000],
    [14, 16_000],
    [15, 32_000],
    [16, 60_000],
    [17, 60_000],
    [1_000, 60_000],
    [Number.MAX_SAFE_INTEGER, 60_000],
  ];
  for (const [failures, want] of cases) assert.equal(d.delayAfter(failures), want, `${failures}`);
});

Deno.test("GrowingDelay: waits grow, pass, and a success clears them", async (t) => {
  type Op =
    | { fail: number }
    | { advance: number }
    | { wait: number }
    | { reset: true };
  const cases: { name: string; ops: Op[] }[] = [
    {
      name: "below the threshold nobody waits",
      ops: [{ fail: 9 }, { wait: 0 }],
    },
    {
      name: "the 10th failure asks for 1 s, counted from that failure",
      ops: [{ fail: 10 }, { wait: 1_000 }, { advance: 400 }, { wait: 600 }, { advance: 600 }, {
        wait: 0,
      }],
    },
    {
      name: "each further failure doubles the wait",
      ops: [
        { fail: 10 },
        { advance: 1_000 },
        { fail: 1 },
        { wait: 2_000 },
        { advance: 2_000 },
        { fail: 1 },
        { wait: 4_000 },
        { advance: 4_000 },
        { fail: 1 },
        { wait: 8_000 },
      ],
    },
    {
      name: "the wait never exceeds the cap, however many failures",
      ops: [{ fail: 500 }, { wait: 60_000 }, { advance: 60_000 }, { wait: 0 }],
    },
    {
      name: "a success (reset) lets the next attempt straight in and starts counting again",
      ops: [{ fail: 20 }, { advance: 60_000 }, { reset: true }, { wait: 0 }, { fail: 9 }, {
        wait: 0,
      }],
    },
    {
      name: "failures are forgotten after forgetMs without one",
      ops: [{ fail: 30 }, { advance: 15 * 60_000 }, { wait: 0 }, { fail: 1 }, { wait: 0 }],
    },
    {
      name: "a failure just before forgetMs keeps the count",
      ops: [{ fail: 12 }, { advance: 15 * 60_000 - 1 }, { fail: 1 }, { wait: 8_000 }],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const clk = clock();
      const d = new GrowingDelay({ ...OPTS, now: clk.now });
      for (const [i, op] of c.ops.entries()) {
        if ("fail" in op) { for (let n = 0; n < op.fail; n++) d.fail("admin"); }
        else if ("advance" in op) clk.advance(op.advance);
        else if ("reset" in op) d.reset("admin");
        else assert.equal(d.retryAfter("admin"), op.wait, `op ${i}: ${JSON.stringify(c.ops)}`);
      }
      assert.equal(d.retryAfter("someone-else"), 0, "other keys are not affected");
    });
  }
});

Deno.test("GrowingDelay keeps at most maxKeys keys, dropping the least recently failed", () => {
  const clk = clock();
  const d = new GrowingDelay({ ...OPTS, maxKeys: 3, now: clk.now });
  for (let i = 0; i < 10; i++) d.fail("a");
  d.fail("b");
  d.fail("c");
  for (let i = 0; i < 10; i++) d.fail("a"); // a is now the most recent
  d.fail("d"); // drops b
  assert.equal(d.size, 3);
  assert.ok(d.retryAfter("a") > 0, "the busiest, most recent key is kept");
  for (let i = 0; i < 1_000; i++) d.fail(`spray-${i}`);
  assert.equal(d.size, 3, "memory stays bounded under a flood of names");
});

Deno.test("FailureLimiter: fixed window per key", async (t) => {
  const cases: { name: string; fails: number; advance: number; want: number }[] = [
    { name: "under the limit", fails: 9, advance: 0, want: 0 },
    { name: "at the limit waits out the window", fails: 10, advance: 0, want: 300_000 },
    { name: "part of the window passed", fails: 10, advance: 100_000, want: 200_000 },
    { name: "window over", fails: 50, advance: 300_000, want: 0 },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const l = new FailureLimiter(10, 300_000);
      const t0 = 5_000;
      for (let i = 0; i < c.fails; i++) l.fail("k", t0);
      assert.equal(l.retryAfter("k", t0 + c.advance), c.want);
      l.reset("k");
      assert.equal(l.retryAfter("k", t0 + c.advance), 0, "reset clears");
    });
  }
});
