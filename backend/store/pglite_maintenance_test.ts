// PGlite's periodic CHECKPOINT and VACUUM, on a real PGlite data directory: under a steady stream
// of updates its write-ahead log stays bounded and its tables get vacuumed; without them (the
// control case, hour-long intervals) the log grows with every write.
import assert from "node:assert/strict";
import { openPglite } from "./pglite_db.ts";
import type { MaintenanceIntervals } from "./pglite_maintenance.ts";

const SEGMENT = 16 * 1024 * 1024;
/** PostgreSQL keeps min_wal_size (80 MB: 5 segments) recycled, plus the current ones. */
const BOUND = 8 * SEGMENT;

async function walBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(`${dir}/pg_wal`)) {
    if (e.isFile) total += (await Deno.stat(`${dir}/pg_wal/${e.name}`)).size;
  }
  return total;
}

const cases: { name: string; intervals: MaintenanceIntervals; bounded: boolean }[] = [
  { name: "with maintenance", intervals: { checkpointMs: 20, vacuumMs: 50 }, bounded: true },
  {
    name: "without (control)",
    intervals: { checkpointMs: 3_600_000, vacuumMs: 3_600_000 },
    bounded: false,
  },
];

for (const c of cases) {
  Deno.test(`pglite ${c.name}: write-ahead log and vacuum under ~200 MB of updates`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "pglite-maint-" });
    const db = await openPglite(dir, c.intervals);
    try {
      await db.exec(`CREATE TABLE churn (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL);
        INSERT INTO churn SELECT g, 0, repeat('x', 200) FROM generate_series(1, 20000) g;`);
      const [{ start }] = await db.query<{ start: string }>(
        "SELECT pg_current_wal_lsn()::text AS start",
      );
      let written = 0;
      while (written < 200 * 1024 * 1024) {
        await db.query("UPDATE churn SET v = v + 1");
        // The timers run between statements, as between the dashboard's own writes.
        await new Promise((r) => setTimeout(r, 60));
        const [{ bytes }] = await db.query<{ bytes: string }>(
          "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint::text AS bytes",
          [start],
        );
        written = Number(bytes);
      }
      const wal = await walBytes(dir);
      const [{ vacuums }] = await db.query<{ vacuums: number }>(
        "SELECT vacuum_count::int AS vacuums FROM pg_stat_user_tables WHERE relname = 'churn'",
      );
      const seen = `pg_wal ${(wal / 2 ** 20).toFixed(0)} MB after ${
        (written / 2 ** 20).toFixed(0)
      } MB of WAL, ${vacuums} vacuums`;
      if (c.bounded) {
        assert.ok(wal <= BOUND, seen);
        assert.ok(vacuums > 0, seen);
      } else {
        assert.ok(wal > BOUND, seen);
        assert.equal(vacuums, 0, seen);
      }
    } finally {
      await db.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
