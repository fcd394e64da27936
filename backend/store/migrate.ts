// Applies the numbered SQL migrations in migrations/ (NNN_name.up.sql / NNN_name.down.sql).
// All pending steps run in one transaction that first takes a PostgreSQL advisory lock, so two
// dashboards starting at once against one database never both migrate.
import type { Db, Queryable } from "./db.ts";
import { PROJECT_ROOT } from "../../common/project_root.ts";

export interface Migration {
  version: number;
  name: string;
  up: string;
  down: string;
}

const MIGRATION_LOCK = 7_274_001;
const defaultDir = new URL("migrations/", PROJECT_ROOT);

/** Reads and pairs the migration files; every up step needs its down step. */
export async function loadMigrations(dir: URL = defaultDir): Promise<Migration[]> {
  const found = new Map<number, Partial<Migration>>();
  for await (const entry of Deno.readDir(dir)) {
    const m = /^(\d{3})_([a-z0-9_]+)\.(up|down)\.sql$/.exec(entry.name);
    if (!m) continue;
    const version = Number(m[1]);
    const step = found.get(version) ?? { version, name: m[2] };
    if (step.name !== m[2]) {
      throw new Error(`migrations: ${m[1]} has two names (${step.name}, ${m[2]})`);
    }
    step[m[3] as "up" | "down"] = await Deno.readTextFile(new URL(entry.name, dir));
    found.set(version, step);
  }
  const list = [...found.values()].sort((a, b) => a.version! - b.version!);
  for (const m of list) {
    if (m.up === undefined || m.down === undefined) {
      throw new Error(`migrations: ${m.version}_${m.name} needs both .up.sql and .down.sql`);
    }
  }
  return list as Migration[];
}

async function lockedVersions(tx: Queryable): Promise<Set<number>> {
  await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
  await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const rows = await tx.query<{ version: number }>("SELECT version FROM schema_migrations");
  return new Set(rows.map((r) => r.version));
}

/** Applies every pending migration up to target (default: all). Returns the versions applied. */
export async function migrateUp(db: Db, target = Infinity, all?: Migration[]): Promise<number[]> {
  const migrations = all ?? await loadMigrations();
  return await db.transaction(async (tx) => {
    const applied = await lockedVersions(tx);
    const done: number[] = [];
    for (const m of migrations) {
      if (m.version > target || applied.has(m.version)) continue;
      try {
        await tx.exec(m.up);
      } catch (err) {
        throw new Error(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`);
      }
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        m.version,
        m.name,
      ]);
      done.push(m.version);
    }
    return done;
  });
}

/** Reverts applied migrations above target, newest first. Returns the versions reverted. */
export async function migrateDown(db: Db, target: number, all?: Migration[]): Promise<number[]> {
  const migrations = all ?? await loadMigrations();
  return await db.transaction(async (tx) => {
    const applied = await lockedVersions(tx);
    const done: number[] = [];
    for (const m of [...migrations].reverse()) {
      if (m.version <= target || !applied.has(m.version)) continue;
      try {
        await tx.exec(m.down);
      } catch (err) {
        throw new Error(
          `migration ${m.version}_${m.name} (down) failed: ${(err as Error).message}`,
        );
      }
      await tx.query("DELETE FROM schema_migrations WHERE version = $1", [m.version]);
      done.push(m.version);
    }
    return done;
  });
}
