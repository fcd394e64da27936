// One object kept live through the dashboard's proxy: a watch of its collection narrowed to its
// name (`fieldSelector=metadata.name=…`, no resourceVersion, so the first event is the object as it
// is now), reopened with backoff when the server ends it or it fails (not on 403/404). Used by the
// workload actions' progress; the watch is closed when the island stops using it.
import { useEffect, useState } from "preact/hooks";
import { isAbort, openStream, readText, sleep } from "./api.ts";
import { LineSplitter } from "../../common/lines.ts";

export interface WatchedObject<T> {
  /** The object as the last event had it (null until the first). */
  obj: T | null;
  /** The last error, cleared by the next event. */
  error: string | null;
  /** The object was deleted. */
  gone: boolean;
}

/**
 * Watches the object `name` of the collection at `collectionUrl` (a proxy URL) while `enabled`.
 */
export function useWatchedObject<T>(
  collectionUrl: string,
  name: string,
  enabled: boolean,
): WatchedObject<T> {
  const [state, setState] = useState<WatchedObject<T>>({ obj: null, error: null, gone: false });
  useEffect(() => {
    if (!enabled) return;
    const ctl = new AbortController();
    const { signal } = ctl;
    (async () => {
      let backoff = 1000;
      while (!signal.aborted) {
        const q = new URLSearchParams({
          watch: "true",
          fieldSelector: `metadata.name=${name}`,
        });
        const opened = Date.now();
        try {
          const res = await openStream(`${collectionUrl}?${q}`, signal);
          backoff = 1000;
          const lines = new LineSplitter();
          await readText(res, (text) => {
            for (const line of lines.push(text)) {
              const ev = JSON.parse(line) as { type: string; object?: T & { message?: string } };
              if (ev.type === "ADDED" || ev.type === "MODIFIED") {
                setState({ obj: ev.object ?? null, error: null, gone: false });
              } else if (ev.type === "DELETED") {
                setState((s) => ({ ...s, gone: true }));
              } else if (ev.type === "ERROR") {
                throw new Error(ev.object?.message ?? "the watch failed");
              }
            }
          });
          if (Date.now() - opened < 2000) await sleep(2000, signal);
        } catch (err) {
          if (isAbort(err) || signal.aborted) return;
          setState((s) => ({ ...s, error: (err as Error).message }));
          const status = (err as { status?: number }).status;
          if (status === 403 || status === 404) return;
          await sleep(backoff, signal);
          backoff = Math.min(backoff * 2, 30_000);
        }
      }
    })();
    return () => ctl.abort();
  }, [collectionUrl, name, enabled]);
  return state;
}
