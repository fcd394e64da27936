// The dashboard's one database interface, with two implementations speaking the same SQL
// (PostgreSQL): embedded PGlite (Postgres in WASM, in DATA_DIR) and a real PostgreSQL through
// npm:postgres. Every query is parameterised ($1, $2, ...); nothing is ever interpolated.
// LISTEN/NOTIFY carries events between dashboard replicas on one database (replicas/bus.ts).
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import {
  type MaintenanceIntervals,
  PGLITE_MAINTENANCE,
  startPgliteMaintenance,
} from "./pglite_maintenance.ts";
import type { InitAnswer, InitRequest } from "./pglite_init_worker.ts";

export type Row = Record<string, unknown>;

/** Something that runs parameterised SQL: the database itself or an open transaction. */
export interface Queryable {
  query<T = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: "pglite" | "postgres";
  /** Runs fn in one transaction: committed when fn resolves, rolled back when it throws. */
  transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R>;
  /**
   * LISTENs on a channel (a lowercase identifier): onPayload gets each notification's payload.
   * On PostgreSQL the listening connection is a dedicated one that reconnects by itself;
   * onReconnect runs after each reconnect, when notifications sent during the gap were lost
   * (PGlite, in process, never has one). Resolves once listening; the function it returns stops.
   */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
  /** NOTIFY: sends payload (under 8000 bytes) to every listener of channel, on commit. */
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

/** LISTEN channels: plain lowercase identifiers, spelled the same quoted or not on both stores. */
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) throw new Error(`invalid notification channel ${channel}`);
}

/**
 * PGlite's buffer pool. Postgres' default of 128 MB ends up resident in the dashboard's memory as
 * it is touched (PGlite's WASM memory never shrinks); the dashboard's tables are a few MB even at
 * 10,000 clusters, and the files behind them stay in the OS page cache. 32 MB took an idle
 * restarted dashboard from ~350 to ~235 MB RSS, 8 MB another 17–30 MB off (docs/benchmarks.md,
 * "Dashboard footprint").
 */
export const PGLITE_SHARED_BUFFERS = "8MB";

/** How long a new data directory's initdb may take (a few seconds on a small machine). */
const PGLITE_INIT_TIMEOUT_MS = 120_000;

/**
 * Creates dir's database unless it has one (PG_VERSION), in a Worker (pglite_init_worker.ts says
 * why), then ends the Worker.
 */
async function createInWorker(req: InitRequest): Promise<void> {
  const failed = (why: string) => new Error(`creating the PGlite database in ${req.dir}: ${why}`);
  try {
    await Deno.stat(`${req.dir}/PG_VERSION`);
    return;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw failed((err as Error).message);
  }
  const worker = new Worker(new URL("./pglite_init_worker.ts", import.meta.url), {
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
 * Opens PGlite in dir (created if needed, in a Worker), with its periodic CHECKPOINT and VACUUM (see
 * pglite_maintenance.ts) until close(). The caller holds DATA_DIR's lock.
 */
export async function openPglite(
  dir: string | undefined,
  maintenance: MaintenanceIntervals = PGLITE_MAINTENANCE,
): Promise<Db> {
  // Given on the command line, on top of PGlite's own start parameters: postgresql.conf in the
  // data directory is left as initdb wrote it.
  const options = {
    startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
  };
  if (dir !== undefined) await createInWorker({ dir, startParams: options.startParams });
  const pg = dir === undefined ? await PGlite.create(options) : await PGlite.create(dir, options);
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

/**
 * Connects to PostgreSQL at url with a bounded pool (and, once something listens, one more
 * connection that only LISTENs).
 */
export function openPostgres(url: string, opts: { max?: number } = {}): Db {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    idle_timeout: 60,
    connect_timeout: 10,
    onnotice: () => {},
    // Dates stay strings/Date objects as the driver returns them; bigints as strings.
  });
  type Sql = typeof sql | postgres.TransactionSql;
  const wrap = (q: Sql): Queryable => ({
    async query<T>(text: string, params: unknown[] = []) {
      const rows = await q.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
      return rows as unknown as T[];
    },
    async exec(text: string) {
      await q.unsafe(text);
    },
  });
  return {
    kind: "postgres",
    ...wrap(sql),
    transaction: async (fn) =>
      (await sql.begin((tx) => fn(wrap(tx)))) as Awaited<ReturnType<typeof fn>>,
    listen: async (channel, onPayload, onReconnect) => {
      checkChannel(channel);
      // The driver's listening connection (idle and lifetime timeouts off) LISTENs again after
      // any reconnect and then calls onlisten, as it does on the first LISTEN.
      let listening = false;
      const { unlisten } = await sql.listen(channel, onPayload, () => {
        if (listening) onReconnect?.();
        listening = true;
      });
      return unlisten;
    },
    notify: async (channel, payload) => {
      checkChannel(channel);
      await sql.unsafe("SELECT pg_notify($1, $2)", [channel, payload]);
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/** Opens the store named by the configuration: PostgreSQL when url is set, else PGlite in dir. */
export function openDb(url: string | undefined, dir: string | undefined): Promise<Db> {
  return url ? Promise.resolve(openPostgres(url)) : openPglite(dir);
}
