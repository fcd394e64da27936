// The stores every store-backed test runs against: embedded PGlite (in memory) and a real
// PostgreSQL (a fresh database on the test server from tools/testpg.ts, dropped on cleanup).
// Databases come back empty: tests run migrateUp themselves.
import { type Db, openPglite, openPostgres } from "../store/db.ts";
import { freshPostgresDb } from "../../tools/testpg.ts";

export interface StoreCase {
  name: "pglite" | "postgres";
  open(): Promise<{ db: Db; cleanup(): Promise<void> }>;
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
    async open() {
      const fresh = await freshPostgresDb();
      const db = openPostgres(fresh.url);
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
