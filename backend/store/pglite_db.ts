// The embedded store: PGlite (PostgreSQL compiled to WASM) in DATA_DIR, behind the Db interface
// of db.ts, with a small buffer pool, a new data directory copied from the template
// (pglite_template.ts) or else created in a Worker, and periodic CHECKPOINT and VACUUM
// (pglite_maintenance.ts).
import { PGlite } from "@electric-sql/pglite";
import { checkChannel, type Db, type Queryable } from "./db.ts";
import {
  type MaintenanceIntervals,
  PGLITE_MAINTENANCE,
  startPgliteMaintenance,
} from "./pglite_maintenance.ts";
import type { InitAnswer, InitRequest } from "./pglite_init_worker.ts";
import { copyPgliteTemplate, pathExists, PGLITE_TEMPLATE_DIR } from "./pglite_template.ts";
import { PROJECT_ROOT } from "../../common/project_root.ts";
import { log } from "../../common/log.ts";
import { sparsePgliteBundle } from "./pglite_fs_bundle.ts";

/**
 * PostgreSQL settings PGlite runs with, given on its command line (postgresql.conf in the data
 * directory stays as initdb wrote it). Both size memory that ends up resident in the dashboard's
 * (PGlite's WASM memory never shrinks):
 * - shared_buffers, the buffer pool: Postgres' default of 128 MB is touched as it is used; the
 *   dashboard's tables are a few MB even at 10,000 clusters, and the files behind them stay in the
 *   OS page cache. 32 MB took an idle restarted dashboard from ~350 to ~235 MB RSS, 8 MB another
 *   17–30 MB off; each MB less is about 1 MB less touched WASM memory (18.4 MiB at 8 MB, 12.4 at
 *   2 MB, 10.4 at 512 kB). 4 MB still holds the tables of 10,000 clusters.
 * - max_connections: PGlite is one backend, but Postgres sizes its shared memory (lock table,
 *   process slots) for 100; 4 (the least that leaves room for the 3 reserved ones) takes the
 *   shared memory from 16 to 12 MB and the touched WASM memory of an idle dashboard from 21.5 to
 *   17.6 MB.
 * (docs/benchmarks.md, "Dashboard footprint".)
 */
export const PGLITE_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: "4MB",
  max_connections: "4",
};

/** How long a new data directory's initdb may take (a few seconds on a small machine). */
const PGLITE_INIT_TIMEOUT_MS = 120_000;

/**
 * Gives dir a database unless it has one (PG_VERSION): a new directory gets a copy of the template
 * when there is a current one, otherwise initdb runs in a Worker.
 */
async function ensureDatabase(req: InitRequest, template: string): Promise<void> {
  let hasDatabase: boolean, dirExists: boolean;
  try {
    hasDatabase = await pathExists(`${req.dir}/PG_VERSION`);
    dirExists = hasDatabase || await pathExists(req.dir);
  } catch (err) {
    throw new Error(`creating the PGlite database in ${req.dir}: ${(err as Error).message}`);
  }
  if (hasDatabase) return;
  if (!dirExists && await copyPgliteTemplate(template, req.dir)) return;
  await createInWorker(req);
}

/** Creates dir's database in a Worker (pglite_init_worker.ts says why), then ends the Worker. */
async function createInWorker(req: InitRequest): Promise<void> {
  const failed = (why: string) => new Error(`creating the PGlite database in ${req.dir}: ${why}`);
  const worker = new Worker(new URL("backend/store/pglite_init_worker.ts", PROJECT_ROOT), {
    type: "module",
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const answer = await new Promise<InitAnswer>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<InitAnswer>) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(failed(e.message));
      };
      timer = setTimeout(
        () => reject(failed(`initdb took over ${PGLITE_INIT_TIMEOUT_MS / 1000} s`)),
        PGLITE_INIT_TIMEOUT_MS,
      );
      worker.postMessage(req);
    });
    if (!answer.ok) throw failed(answer.message);
  } finally {
    clearTimeout(timer);
    worker.terminate();
  }
}

/**
 * Opens PGlite on dir, creating its database first if needed, with the file-system bundle of an
 * existing database (pglite_fs_bundle.ts) unless PGlite's file table cannot be read.
 */
async function openExisting(dir: string, startParams: string[], template: string): Promise<PGlite> {
  await ensureDatabase({ dir, startParams }, template);
  const sparse = await sparsePgliteBundle();
  if (sparse === null) {
    log.warn("PGlite's file table could not be read; it loads its whole file-system bundle", {
      effect: "~4.7 MB more resident memory",
    });
    return await PGlite.create(dir, { startParams });
  }
  log.debug("PGlite file-system bundle", {
    keptBytes: sparse.keptBytes,
    skippedBytes: sparse.skippedBytes,
  });
  return await PGlite.create(dir, { startParams, fsBundle: sparse.bundle });
}

/**
 * Opens PGlite in dir (created if needed: from the template, else in a Worker), with its periodic
 * CHECKPOINT and VACUUM (see pglite_maintenance.ts) until close(). The caller holds DATA_DIR's
 * lock.
 */
export async function openPglite(
  dir: string | undefined,
  maintenance: MaintenanceIntervals = PGLITE_MAINTENANCE,
  template: string = PGLITE_TEMPLATE_DIR,
): Promise<Db> {
  // Given on the command line, on top of PGlite's own start parameters: postgresql.conf in the
  // data directory is left as initdb wrote it.
  const options = {
    startParams: [
      ...PGlite.defaultStartParams,
      ...Object.entries(PGLITE_SETTINGS).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
    ],
  };
  const pg = dir === undefined
    ? await PGlite.create(options)
    : await openExisting(dir, options.startParams, template);
  const wrap = (q: Pick<PGlite, "query" | "exec">): Queryable => ({
    async query<T>(sql: string, params: unknown[] = []) {
      return (await q.query<T>(sql, params)).rows;
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  const base = wrap(pg);
  const stopMaintenance = startPgliteMaintenance(pg, maintenance);
  return {
    kind: "pglite",
    ...base,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    listen: async (channel, onPayload) => {
      checkChannel(channel);
      const unlisten = await pg.listen(channel, onPayload);
      return async () => {
        if (!pg.closed) await unlisten();
      };
    },
    notify: async (channel, payload) => {
      checkChannel(channel);
      await pg.query("SELECT pg_notify($1, $2)", [channel, payload]);
    },
    close: async () => {
      await stopMaintenance();
      await pg.close();
    },
  };
}
