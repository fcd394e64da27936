// The list-then-watch loop every live view shares (a resource table, the Events page): list,
// watch from the listed resourceVersion, apply each watch line, relist on 410 Gone or an expired
// watch, resume from the last version when the server ends a watch (not in a hot loop), reconnect
// with a growing backoff, and stop on 403/404 (the person may not, or the resource is gone).
import { isAbort, openStream, readText, sleep } from "./api.ts";
import { LineSplitter } from "../../common/lines.ts";

export type WatchLoopState = "loading" | "live" | "retrying" | "stopped";

/** What applying one watch line says (lib/k8s's applyWatchEvent and applyEventWatch answer it). */
export interface WatchStep {
  /** The watch's version expired: list again. */
  expired?: boolean;
  /** The server's ERROR event. */
  error?: string;
  resourceVersion?: string;
}

export interface WatchLoop {
  /** The collection's URL, without query. */
  base: string;
  signal: AbortSignal;
  accept?: string;
  /** A version to watch from at first (the server's own list); "" lists first. */
  from?: string;
  /** Lists the collection (the view's rows replaced); returns its resourceVersion. */
  list(): Promise<string>;
  /** Applies one line of the watch. */
  apply(line: string): WatchStep;
  /** After the lines of one chunk were applied. */
  changed(): void;
  state(s: WatchLoopState): void;
  error(message: string | null): void;
}

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** A watch the server ends sooner than this is resumed after a pause. */
const SHORT_WATCH_MS = 2000;

/** Runs until the signal aborts or the server refuses with 403/404. */
export async function listThenWatch(w: WatchLoop): Promise<void> {
  const { signal } = w;
  let backoff = FIRST_BACKOFF_MS;
  let rv = w.from ?? "";
  while (!signal.aborted) {
    try {
      if (!rv) {
        w.state("loading");
        rv = await w.list();
      }
      const q = new URLSearchParams({
        watch: "true",
        allowWatchBookmarks: "true",
        resourceVersion: rv,
      });
      const opened = Date.now();
      const res = await openStream(`${w.base}?${q}`, signal, w.accept);
      w.state("live");
      w.error(null);
      backoff = FIRST_BACKOFF_MS;
      const lines = new LineSplitter();
      await readText(res, (text) => {
        for (const line of lines.push(text)) {
          const step = w.apply(line);
          if (step.expired) rv = "";
          else if (step.error) throw new Error(step.error);
          else if (step.resourceVersion) rv = step.resourceVersion;
        }
        w.changed();
      });
      if (Date.now() - opened < SHORT_WATCH_MS) await sleep(SHORT_WATCH_MS, signal);
    } catch (err) {
      if (isAbort(err) || signal.aborted) return;
      w.error((err as Error).message);
      const status = (err as { status?: number }).status;
      if (status === 403 || status === 404) {
        w.state("stopped");
        return;
      }
      w.state("retrying");
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      if (status === 410) rv = "";
    }
  }
}
