// The memory reducer: when a collection is due (table), and, in a real Deno process, that an idle
// heap left at a burst's high-water mark is given back with the reducer and kept without it.
import assert from "node:assert/strict";
import {
  collectionDue,
  type LastCollection,
  MEMORY_REDUCER,
  type MemorySample,
} from "./memory_reducer.ts";

const MB = 1024 * 1024;
const sample = (heapMb: number, externalMb: number): MemorySample => ({
  heapTotal: heapMb * MB,
  external: externalMb * MB,
});

Deno.test("collectionDue: the first at once, then on growth, spaced by the pause budget", () => {
  const o = MEMORY_REDUCER;
  const last = (heapMb: number, externalMb: number, pauseMs = 20): LastCollection => ({
    after: sample(heapMb, externalMb),
    endedAt: 1_000_000,
    pauseMs,
  });
  const at = (msAfter: number) => 1_000_000 + msAfter;
  const cases: [string, MemorySample, LastCollection | undefined, number, boolean][] = [
    ["never collected", sample(30, 10), undefined, 0, true],
    ["no growth", sample(30, 10), last(30, 10), at(o.minSpacingMs), false],
    ["heap grew by less than 2 MB", sample(31.9, 10), last(30, 10), at(o.minSpacingMs), false],
    ["heap grew by 2 MB", sample(32, 10), last(30, 10), at(o.minSpacingMs), true],
    ["external grew by 2 MB", sample(30, 12), last(30, 10), at(o.minSpacingMs), true],
    ["heap shrank", sample(20, 10), last(30, 10), at(o.minSpacingMs), false],
    ["grew, but too soon", sample(90, 90), last(30, 10), at(o.minSpacingMs - 1), false],
    // A large heap must grow by a twentieth of itself, not by 2 MB.
    ["400 MB heap grew by 10 MB", sample(410, 10), last(400, 10), at(o.minSpacingMs), false],
    ["400 MB heap grew by 20 MB", sample(420, 10), last(400, 10), at(o.minSpacingMs), true],
    // A collection that stopped the process for 1 s waits 1 s / 0.2 % = 500 s for the next.
    ["after a 1 s pause, 300 s later", sample(900, 10), last(400, 10, 1000), at(300_000), false],
    ["after a 1 s pause, 500 s later", sample(900, 10), last(400, 10, 1000), at(500_000), true],
  ];
  for (const [name, now, previous, nowMs, want] of cases) {
    assert.equal(collectionDue(now, previous, nowMs, o), want, name);
  }
});

/** A Deno process that makes 64 MB of short-lived objects, idles, and prints its heap's size. */
async function idleHeapAfterBurst(withReducer: boolean): Promise<number> {
  const reducer = new URL("./memory_reducer.ts", import.meta.url).href;
  const options = JSON.stringify({ ...MEMORY_REDUCER, checkEveryMs: 100 });
  const script = `
    import { startMemoryReducer } from ${JSON.stringify(reducer)};
    ${withReducer ? "" : "// "}startMemoryReducer(${options});
    let keep = [];
    for (let i = 0; i < 64 * 1024; i++) keep.push({ i, s: "x".repeat(1000) + i });
    keep = [];
    await new Promise((r) => setTimeout(r, 1500));
    console.log(Deno.memoryUsage().heapTotal);
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", script],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
  return Number(new TextDecoder().decode(out.stdout).trim());
}

Deno.test("an idle heap is given back with the reducer, and kept without it", async () => {
  const [kept, givenBack] = await Promise.all([
    idleHeapAfterBurst(false),
    idleHeapAfterBurst(true),
  ]);
  assert.ok(kept > 24 * MB, `without the reducer the heap stays at ${kept / MB} MB`);
  assert.ok(givenBack < 12 * MB, `with it the heap is ${givenBack / MB} MB`);
});
