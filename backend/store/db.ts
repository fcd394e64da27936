// The dashboard's one database interface, with two implementations speaking the same SQL
// (PostgreSQL): embedded PGlite (Postgres in WASM, in DATA_DIR: pglite_db.ts) and a real
// PostgreSQL through npm:postgres (postgres_db.ts); only the one in use is loaded. Every query is
// parameterised ($1, $2, ...); nothing is ever interpolated.
// LISTEN/NOTIFY carries events between dashboard replicas on one database (replicas/bus.ts).

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

/** Throws unless channel is a valid LISTEN/NOTIFY channel name. */
export function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) throw new Error(`invalid notification channel ${channel}`);
}

/** Opens the store named by the configuration: PostgreSQL when url is set, else PGlite in dir. */
export async function openDb(url: string | undefined, dir: string | undefined): Promise<Db> {
  if (url) return (await import("./postgres_db.ts")).openPostgres(url);
  return await (await import("./pglite_db.ts")).openPglite(dir);
}
