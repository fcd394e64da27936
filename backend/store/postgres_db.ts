// A real PostgreSQL behind the Db interface of db.ts, through npm:postgres: a bounded pool, and
// one more connection that only LISTENs once something listens.
import postgres from "postgres";
import { checkChannel, type Db, type Queryable } from "./db.ts";

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
