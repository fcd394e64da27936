// The stores every store-backed test runs against: embedded PGlite (in memory) and a real
// PostgreSQL (a fresh database on the test server from tools/testpg.ts, dropped on cleanup).
// Databases come back empty: tests run migrateUp themselves. A test that needs transactions to
// really overlap on PostgreSQL opens a larger pool (open({ max })).
import type { Db } from "../backend/store/db.ts";
import { openPglite } from "../backend/store/pglite_db.ts";
import { openPostgres } from "../backend/store/postgres_db.ts";
import { freshPostgresDb } from "../tools/testpg.ts";

export interface StoreCase {
  name: "pglite" | "postgres";
  /** `max`: the PostgreSQL connection pool's size (PGlite has one connection). */
  open(opts?: { max?: number }): Promise<{ db: Db; cleanup(): Promise<void> }>;
}

export const storeCases: StoreCase[] = [
  {
    name: "pglite",
    async open() {
      const db = await openPglite(undefined);
      return { db, cleanup: () => db.close() };
    },
  },
  {
    name: "postgres",
    async open(opts = {}) {
      const fresh = await freshPostgresDb();
      const db = openPostgres(fresh.url, opts);
      return {
        db,
        async cleanup() {
          try {
            await db.close();
          } finally {
            await fresh.drop();
          }
        },
      };
    },
  },
];
