// Unit tests for the tunnel's byte-stream helpers: coalescing joins what is already buffered
// into pieces near the target size, marks the piece the stream ended with, and never holds back
// data that arrives slowly.
import assert from "node:assert/strict";
import { coalesce, concatBytes, type Piece } from "./chunks.ts";

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

/** A stream of the given chunks, each after `gapMs` (0: all buffered up front). */
function source(chunks: Uint8Array[], gapMs: number): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      if (i < chunks.length) ctrl.enqueue(chunks[i++]);
      else ctrl.close();
    },
  }, { highWaterMark: gapMs ? 0 : chunks.length + 1 });
}

async function pieces(stream: ReadableStream<Uint8Array>, target: number): Promise<Piece[]> {
  const out: Piece[] = [];
  for await (const p of coalesce(stream, target)) out.push(p);
  return out;
}

Deno.test("coalesce", async (t) => {
  const cases: Array<{
    name: string;
    chunks: Uint8Array[];
    gapMs: number;
    target: number;
    sizes: number[];
    lastFlags: boolean[];
  }> = [
    {
      name: "buffered small chunks are joined up to the target",
      chunks: Array.from({ length: 10 }, () => bytes(8)),
      gapMs: 0,
      target: 32,
      sizes: [32, 32, 16],
      lastFlags: [false, false, true],
    },
    {
      name: "a small body is one piece, marked last",
      chunks: [bytes(100)],
      gapMs: 0,
      target: 1024,
      sizes: [100],
      lastFlags: [true],
    },
    {
      name: "a chunk larger than the target passes whole",
      chunks: [bytes(5000), bytes(10)],
      gapMs: 0,
      target: 1024,
      sizes: [5000, 10],
      lastFlags: [false, true],
    },
    {
      name: "slow chunks are passed on one by one, not held for more",
      chunks: [bytes(4), bytes(4), bytes(4)],
      gapMs: 30,
      target: 1024,
      sizes: [4, 4, 4],
      lastFlags: [false, false, false],
    },
    {
      name: "an empty stream yields nothing",
      chunks: [],
      gapMs: 0,
      target: 16,
      sizes: [],
      lastFlags: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const got = await pieces(source(c.chunks, c.gapMs), c.target);
      assert.deepEqual(got.map((p) => p.bytes.length), c.sizes);
      assert.deepEqual(got.map((p) => p.last), c.lastFlags);
      const total = c.chunks.reduce((n, x) => n + x.length, 0);
      assert.equal(got.reduce((n, p) => n + p.bytes.length, 0), total, "no byte lost");
    });
  }
});

Deno.test("coalesce keeps the order of bytes", async () => {
  const chunks = Array.from({ length: 50 }, (_, i) => bytes(7, i));
  const got = await pieces(source(chunks, 0), 64);
  assert.deepEqual(
    concatBytes(got.map((p) => p.bytes), 350),
    concatBytes(chunks, 350),
  );
});

Deno.test("coalesce cancels its source when the consumer stops early", async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull: (ctrl) => ctrl.enqueue(bytes(10)),
    cancel: () => {
      cancelled = true;
    },
  });
  for await (const _ of coalesce(stream, 20)) break;
  assert.equal(cancelled, true);
});
