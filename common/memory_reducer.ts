// Gives the memory of a burst back to the system. V8 keeps a heap at its high-water mark until
// allocation forces a collection, which an idle process puts off indefinitely: an idle dashboard
// read 54 MB of heap with 30 MB live for minutes after start or after a large upload
// (docs/benchmarks.md, "Dashboard footprint"). This runs a full, compacting collection (V8's
// "last resort" one, which also returns the freed pages) when the heap or the memory outside it
// (ArrayBuffers, WebAssembly memories) has grown by `growthBytes` and by `growthRatio` since the
// last one. Such a collection stops the process for its duration (~0.1 s at a 57 MB heap, ~1 s at
// 580 MB), so collections are spaced by at least `minSpacingMs` and by as much as keeps the time
// spent in them under `pauseShare`: a large, busy heap is left to V8's own collector. It needs
// the `gc` function V8 exposes with `--v8-flags=--expose-gc` (`deno task start`,
// `deno task agent`, and the images set it); without it, this does nothing.
import { log } from "./log.ts";

export interface MemoryReducerOptions {
  /** How often the heap's size is read (a cheap call). */
  checkEveryMs: number;
  /** Growth of the heap or of external memory since the last collection that triggers one... */
  growthBytes: number;
  /** ...provided it is also this share of the size after the last collection. */
  growthRatio: number;
  /** The least time between two collections. */
  minSpacingMs: number;
  /** The most of the time the process may spend stopped in these collections (0.002 = 0.2 %). */
  pauseShare: number;
}

/**
 * 2 MB and 5 %: a 512 KiB kubeconfig upload leaves ~3 MB of garbage in a 30 MB heap once its own
 * burst was collected (its JSON body and parsed copies), which a larger threshold left resident
 * for good; at ~60 ms a collection, spaced by at least 30 s, that costs at most 0.2 % of the time.
 */
export const MEMORY_REDUCER: MemoryReducerOptions = {
  checkEveryMs: 5_000,
  growthBytes: 2 * 1024 * 1024,
  growthRatio: 0.05,
  minSpacingMs: 30_000,
  pauseShare: 0.002,
};

/** The options V8's gc extension takes (src/extensions/gc-extension.cc). */
interface GcOptions {
  type: "major";
  execution: "sync";
  flavor: "last-resort";
}
type Gc = (options: GcOptions) => void;

export interface MemorySample {
  heapTotal: number;
  external: number;
}

/** The last collection: the sizes right after it, when it ended, and how long it took. */
export interface LastCollection {
  after: MemorySample;
  endedAt: number;
  pauseMs: number;
}

/**
 * Whether to collect at time nowMs: at once if never collected; otherwise when the heap or
 * external memory grew enough since the last collection and enough time has passed since it.
 */
export function collectionDue(
  now: MemorySample,
  last: LastCollection | undefined,
  nowMs: number,
  opts: MemoryReducerOptions,
): boolean {
  if (last === undefined) return true;
  const spacing = Math.max(opts.minSpacingMs, last.pauseMs / opts.pauseShare);
  if (nowMs - last.endedAt < spacing) return false;
  const grew = (n: number, after: number) =>
    n - after >= Math.max(opts.growthBytes, after * opts.growthRatio);
  return grew(now.heapTotal, last.after.heapTotal) || grew(now.external, last.after.external);
}

/** Starts the reducer; the returned function stops it. Its timer keeps no process alive. */
export function startMemoryReducer(opts: MemoryReducerOptions = MEMORY_REDUCER): () => void {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (typeof gc !== "function") {
    log.debug("memory reducer off: V8's gc is not exposed (--v8-flags=--expose-gc)");
    return () => {};
  }
  let last: LastCollection | undefined;
  const timer = setInterval(() => {
    const now = Deno.memoryUsage();
    if (!collectionDue(now, last, performance.now(), opts)) return;
    const started = performance.now();
    gc({ type: "major", execution: "sync", flavor: "last-resort" });
    const endedAt = performance.now();
    last = { after: Deno.memoryUsage(), endedAt, pauseMs: endedAt - started };
    log.debug("memory reducer: full collection", {
      ms: Math.round(last.pauseMs),
      heapMbBefore: Math.round(now.heapTotal / 1e6),
      heapMbAfter: Math.round(last.after.heapTotal / 1e6),
      externalMbAfter: Math.round(last.after.external / 1e6),
    });
  }, opts.checkEveryMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
