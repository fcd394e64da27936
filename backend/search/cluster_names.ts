// Loads the names of every search kind of one cluster as one person sees it, a few kinds at a
// time, and exposes them as they arrive: a search whose deadline comes first still uses the
// kinds that answered. `done` resolves once every kind was tried, or rejects when the cluster
// gives no answer at all (ClusterUnavailableError) or the load's own time runs out.
import type { ClusterClient } from "../cluster/client.ts";
import type { Loading } from "./cache.ts";
import { SEARCH_KINDS, type SearchKind } from "./kinds.ts";
import { KindListError, type KindNames, listNames } from "./names.ts";

/** Kinds listed at once on one cluster. */
export const KIND_CONCURRENCY = 4;

export interface ClusterNames {
  /** Kinds listed so far (absent: not readable for the person, or not served). */
  readonly kinds: KindNames[];
  /** Kinds the cluster answered with another error: its message. */
  readonly errors: string[];
  /** Every kind tried; rejects when the cluster gave no answer. */
  readonly done: Promise<void>;
}

/** Starts listing; gives up after `timeoutMs` (the load outlives a search's shorter deadline). */
export function loadClusterNames(
  client: ClusterClient,
  timeoutMs: number,
  kinds: readonly SearchKind[] = SEARCH_KINDS,
): Loading<ClusterNames> {
  const found: KindNames[] = [];
  const errors: string[] = [];
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new DOMException("the cluster did not answer in time", "TimeoutError")),
    timeoutMs,
  );
  let next = 0;
  const worker = async () => {
    while (next < kinds.length) {
      const kind = kinds[next++];
      try {
        const names = await listNames(client, kind, abort.signal);
        if (names) found.push(names);
      } catch (err) {
        if (err instanceof KindListError) errors.push(err.message);
        else throw err;
      }
    }
  };
  // Ends at the timeout even if a request were to ignore its signal: a load never hangs in the
  // cache.
  const expired = new Promise<never>((_, reject) => {
    abort.signal.addEventListener("abort", () => reject(abort.signal.reason), { once: true });
  });
  const done = Promise.race([
    Promise.all(Array.from({ length: KIND_CONCURRENCY }, worker)),
    expired,
  ]).then(
    () => clearTimeout(timer),
    (err) => {
      clearTimeout(timer);
      // The other kinds' requests end too.
      abort.abort(err);
      throw err;
    },
  );
  // Settled promptly for the cache; a failure is the searcher's to report.
  done.catch(() => {});
  const value: ClusterNames = { kinds: found, errors, done };
  return {
    value,
    settled: done.then(() => found.reduce((n, k) => n + k.names.length, 0) + 1),
  };
}
