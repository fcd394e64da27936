// Gives the memory of a burst back to the system. V8 keeps a heap at its high-water mark until
// allocation forces a collection, which an idle process puts off indefinitely: an idle dashboard
// read 54 MB of heap with 30 MB live for minutes after start or after a large upload
// (docs/benchmarks.md, "Dashboard footprint"). This runs a full, compacting collection (V8's
// "last resort" one, which also returns the freed pages) when the heap or the memory outside it
// (ArrayBuffers, WebAssembly memory's wrappers) has grown by `growthBytes` since the last one, at
// most once per `minSpacingMs`. It needs the `gc` function V8 exposes with
// `--v8-flags=--expose-gc` (`deno task start`, `deno task agent`, and the images set it);
// without it, this does nothing.
import { log } from "./log.ts";

export interface MemoryReducerOptions {
  /** How often the heap's size is read (a cheap call). */
  checkEveryMs: number;
  /** Growth of the heap or of external memory since the last collection that triggers one. */
  growthBytes: number;
  /** The least time between two collections, so a busy process is not collected over and over. */
  minSpacingMs: number;
}

export const MEMORY_REDUCER: MemoryReducerOptions = {
  checkEveryMs: 5_000,
  growthBytes: 8 * 1024 * 1024,
  minSpacingMs: 30_000,
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

/**
 * Whether to collect now: the heap or external memory grew by growthBytes since `after` (the
 * sizes right after the last collection; undefined before the first, which is due at once), and
 * minSpacingMs have passed since it.
 */
export function collectionDue(
  now: MemorySample,
  after: MemorySample | undefined,
  msSinceLast: number,
  opts: MemoryReducerOptions,
): boolean {
  if (after === undefined) return true;
  if (msSinceLast < opts.minSpacingMs) return false;
  return now.heapTotal - after.heapTotal >= opts.growthBytes ||
    now.external - after.external >= opts.growthBytes;
}

/** Starts the reducer; the returned function stops it. Its timer keeps no process alive. */
export function startMemoryReducer(opts: MemoryReducerOptions = MEMORY_REDUCER): () => void {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (typeof gc !== "function") {
    log.debug("memory reducer off: V8's gc is not exposed (--v8-flags=--expose-gc)");
    return () => {};
  }
  let after: MemorySample | undefined;
  let lastAt = 0;
  const timer = setInterval(() => {
    const now = Deno.memoryUsage();
    if (!collectionDue(now, after, performance.now() - lastAt, opts)) return;
    const started = performance.now();
    gc({ type: "major", execution: "sync", flavor: "last-resort" });
    lastAt = performance.now();
    after = Deno.memoryUsage();
    log.debug("memory reducer: full collection", {
      ms: Math.round(lastAt - started),
      heapMbBefore: Math.round(now.heapTotal / 1e6),
      heapMbAfter: Math.round(after.heapTotal / 1e6),
      externalMbAfter: Math.round(after.external / 1e6),
    });
  }, opts.checkEveryMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
