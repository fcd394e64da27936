// The memory reducer: when a collection is due (table), and, in a real Deno process, that an idle
// heap left at a burst's high-water mark is given back with the reducer and kept without it.
import assert from "node:assert/strict";
import { collectionDue, MEMORY_REDUCER, type MemorySample } from "./memory_reducer.ts";

const MB = 1024 * 1024;
const sample = (heapMb: number, externalMb: number): MemorySample => ({
  heapTotal: heapMb * MB,
  external: externalMb * MB,
});

Deno.test("collectionDue: the first at once, then on growth, spaced", () => {
  const spacing = MEMORY_REDUCER.minSpacingMs;
  const cases: [string, MemorySample, MemorySample | undefined, number, boolean][] = [
    ["never collected", sample(30, 10), undefined, 0, true],
    ["no growth", sample(30, 10), sample(30, 10), spacing, false],
    ["heap grew by less than the threshold", sample(37, 10), sample(30, 10), spacing, false],
    ["heap grew by the threshold", sample(38, 10), sample(30, 10), spacing, true],
    ["external grew by the threshold", sample(30, 18), sample(30, 10), spacing, true],
    ["heap shrank", sample(20, 10), sample(30, 10), spacing, false],
    [
      "grew, but the last collection is too recent",
      sample(90, 90),
      sample(30, 10),
      spacing - 1,
      false,
    ],
  ];
  for (const [name, now, after, since, want] of cases) {
    assert.equal(collectionDue(now, after, since, MEMORY_REDUCER), want, name);
  }
});

/** A Deno process that makes 64 MB of short-lived objects, idles, and prints its heap's size. */
async function idleHeapAfterBurst(withReducer: boolean): Promise<number> {
  const reducer = new URL("./memory_reducer.ts", import.meta.url).href;
  const script = `
    import { startMemoryReducer } from ${JSON.stringify(reducer)};
    ${
    withReducer ? "" : "// "
  }startMemoryReducer({ checkEveryMs: 100, growthBytes: 8 << 20, minSpacingMs: 0 });
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
