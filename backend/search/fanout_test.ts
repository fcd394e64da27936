// Tests of the bounded fan-out with a cutoff (fanout.ts): concurrency never exceeds its bound,
// every outcome is reported, and a task that never settles cannot hold the answer past the cutoff.
import assert from "node:assert/strict";
import { fanOut } from "./fanout.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

Deno.test("fanOut: values, failures and timeouts, at most `concurrency` at once", async () => {
  let running = 0, most = 0;
  const started: number[] = [];
  const cutoff = sleep(300);
  const t0 = performance.now();
  const out = await fanOut([0, 1, 2, 3, 4, 5], { concurrency: 2, cutoff }, async (i) => {
    started.push(i);
    running++;
    most = Math.max(most, running);
    try {
      if (i === 1) throw new Error("refused");
      if (i === 2) await new Promise(() => {}); // never settles
      await sleep(20);
      return i * 10;
    } finally {
      running--;
    }
  });
  const took = performance.now() - t0;
  assert.ok(most <= 2, `at most 2 at once, saw ${most}`);
  assert.deepEqual(out[0], { status: "done", value: 0 });
  assert.equal(out[1].status, "failed");
  assert.deepEqual(out[2], { status: "timeout" });
  assert.deepEqual(out.slice(3), [30, 40, 50].map((value) => ({ status: "done", value })));
  assert.ok(took >= 290 && took < 1000, `answered at the cutoff: ${took} ms`);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
});

Deno.test("fanOut: items not started by the cutoff are timeouts", async () => {
  const out = await fanOut([1, 2, 3], { concurrency: 1, cutoff: sleep(50) }, async (i) => {
    await sleep(200);
    return i;
  });
  assert.deepEqual(out.map((o) => o.status), ["timeout", "timeout", "timeout"]);
});

Deno.test("fanOut: nothing to do answers at once", async () => {
  assert.deepEqual(
    await fanOut([], { concurrency: 4, cutoff: new Promise(() => {}) }, () => {
      throw new Error("not called");
    }),
    [],
  );
});
