// Tests of the search's name-list cache (cache.ts): one load per key at a time, reuse until the
// TTL, failures dropped, and the bounds on entries and weight.
import assert from "node:assert/strict";
import { LoadCache } from "./cache.ts";

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** A load whose completion the test decides. */
function controlled(value: string) {
  let finish!: (weight: number) => void, fail!: (err: Error) => void;
  const settled = new Promise<number>((res, rej) => {
    finish = res;
    fail = rej;
  });
  return { loading: { value, settled }, finish, fail };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("LoadCache: shares a load, reuses it until the TTL, reloads after", async () => {
  const c = clock();
  const cache = new LoadCache<string>({ ttlMs: 1000, maxEntries: 10, maxWeight: 100, now: c.now });
  let loads = 0;
  const first = controlled("v1");
  const load = () => (loads++, first.loading);
  assert.equal(cache.get("k", load), "v1");
  assert.equal(cache.get("k", load), "v1", "while loading, the same load");
  assert.equal(loads, 1);
  first.finish(3);
  await tick();
  c.advance(999);
  assert.equal(cache.get("k", () => controlled("v2").loading), "v1", "within the TTL");
  c.advance(1);
  assert.equal(cache.get("k", () => controlled("v2").loading), "v2", "after the TTL, a new load");
});

Deno.test("LoadCache: a failed load is dropped at once", async () => {
  const cache = new LoadCache<string>({ ttlMs: 1000, maxEntries: 10, maxWeight: 100 });
  const bad = controlled("bad");
  assert.equal(cache.get("k", () => bad.loading), "bad");
  bad.fail(new Error("cluster gone"));
  await tick();
  assert.equal(cache.get("k", () => controlled("good").loading), "good");
});

Deno.test("LoadCache: keys are separate; bounds on entries and weight, oldest out", async () => {
  const cases: { maxEntries: number; maxWeight: number; weights: number[]; kept: string[] }[] = [
    { maxEntries: 2, maxWeight: 100, weights: [1, 1, 1], kept: ["k1", "k2"] },
    { maxEntries: 10, maxWeight: 5, weights: [2, 2, 2], kept: ["k1", "k2"] },
    { maxEntries: 10, maxWeight: 5, weights: [9, 1], kept: ["k1"] },
    { maxEntries: 10, maxWeight: 100, weights: [1, 1, 1], kept: ["k0", "k1", "k2"] },
  ];
  for (const { maxEntries, maxWeight, weights, kept } of cases) {
    const cache = new LoadCache<string>({ ttlMs: 60_000, maxEntries, maxWeight });
    for (const [i, w] of weights.entries()) {
      const l = controlled(`v${i}`);
      cache.get(`k${i}`, () => l.loading);
      l.finish(w);
      await tick();
    }
    const still = weights.map((_, i) => `k${i}`).filter((k) => cache.peek(k) !== undefined);
    assert.deepEqual(still, kept, JSON.stringify({ maxEntries, maxWeight, weights }));
  }
});
