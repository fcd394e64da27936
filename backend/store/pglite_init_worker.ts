// Runs in a Worker: creates a new PGlite data directory (PostgreSQL's initdb, in WASM) and closes
// it. The initdb peaks at several hundred MB (a second WASM instance with its own memory); in a
// Worker that is terminated afterwards, all of it is released at once, instead of lingering in
// the dashboard's heap until a major garbage collection (docs/benchmarks.md, "Dashboard
// footprint"). The caller (db.ts) then opens the directory in its own thread.
import { PGlite } from "@electric-sql/pglite";

/** What the dashboard posts: the directory and PGlite's start parameters. */
export interface InitRequest {
  dir: string;
  startParams: string[];
}

/** What the worker answers: done, or why not. */
export type InitAnswer = { ok: true } | { ok: false; message: string };

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<InitRequest>) => void) | null;
  postMessage(answer: InitAnswer): void;
};
scope.onmessage = async (e) => {
  try {
    const pg = await PGlite.create(e.data.dir, { startParams: e.data.startParams });
    await pg.close();
    scope.postMessage({ ok: true });
  } catch (err) {
    scope.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  }
};
