// The file-system bundle of an existing database (pglite_fs_bundle.ts): which files it leaves
// unread (table), how it reads PGlite's file table (table), that with the PGlite this project
// pins it skips what it should and copies the rest byte for byte, and that a database opened
// with it still does what the dashboard and PostgreSQL's kept features need.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bundleFiles, sparsePgliteBundle, UNREAD_FILES } from "./pglite_fs_bundle.ts";
import { openPglite } from "./pglite_db.ts";
import { migrateUp } from "./migrate.ts";

const unread = (name: string) => UNREAD_FILES.some((re) => re.test(name));

Deno.test("UNREAD_FILES: initdb's, ICU's, conversions', replication's and pgxs's files only", () => {
  const cases: [string, boolean][] = [
    ["/pglite/share/postgresql/postgres.bki", true],
    ["/pglite/share/postgresql/information_schema.sql", true],
    ["/pglite/share/postgresql/system_views.sql", true],
    ["/pglite/share/postgresql/sql_features.txt", true],
    ["/pglite/icu/icudt76l/coll/ucadata.icu", true],
    ["/pglite/lib/postgresql/utf8_and_iso8859_1.so", true],
    ["/pglite/lib/postgresql/cyrillic_and_mic.so", true],
    ["/pglite/lib/postgresql/latin2_and_win1250.so", true],
    ["/pglite/lib/postgresql/euc2004_sjis2004.so", true],
    ["/pglite/lib/postgresql/libpqwalreceiver.so", true],
    ["/pglite/lib/postgresql/pgxs/src/Makefile.global", true],
    // Kept: what a running database may read.
    ["/pglite/lib/postgresql/plpgsql.so", false],
    ["/pglite/lib/postgresql/dict_snowball.so", false],
    ["/pglite/share/postgresql/extension/plpgsql--1.0.sql", false],
    ["/pglite/share/postgresql/timezone/Europe/Berlin", false],
    ["/pglite/share/postgresql/timezonesets/Default", false],
    ["/pglite/share/postgresql/tsearch_data/english.stop", false],
    ["/pglite/share/postgresql/postgresql.conf.sample", false],
    ["/pglite/bin/postgres", false],
  ];
  for (const [name, want] of cases) assert.equal(unread(name), want, name);
});

Deno.test("bundleFiles: contiguous ranges covering the size, else null", () => {
  const entry = (name: string, start: number, end: number) =>
    `{filename:"${name}",start:${start},end:${end}}`;
  const cases: [string, string, number, number | null][] = [
    ["two files", `x({files:[${entry("/a", 0, 10)},${entry("/b", 10, 25)}]})`, 25, 2],
    ["a gap", `${entry("/a", 0, 10)},${entry("/b", 11, 25)}`, 25, null],
    ["short of the size", `${entry("/a", 0, 10)}`, 25, null],
    ["past the size", `${entry("/a", 0, 30)}`, 25, null],
    ["no table", "module.exports = {}", 25, null],
  ];
  for (const [name, source, size, want] of cases) {
    assert.equal(bundleFiles(source, size)?.length ?? null, want, name);
  }
});

Deno.test("the pinned PGlite's bundle: unread files skipped as zero pages, the rest as they are", async () => {
  const sparse = await sparsePgliteBundle();
  assert.ok(sparse, "PGlite's file table reads as expected");
  assert.ok(sparse.skippedBytes > 4_000_000, `skipped ${sparse.skippedBytes} bytes`);
  const dist = new URL("./", import.meta.resolve("@electric-sql/pglite"));
  const whole = await Deno.readFile(fileURLToPath(new URL("pglite.data", dist)));
  const files = bundleFiles(await Deno.readTextFile(new URL("pglite.js", dist)), whole.length)!;
  const bytes = new Uint8Array(await sparse.bundle.arrayBuffer());
  assert.equal(bytes.length, whole.length);
  for (const f of files) {
    const got = bytes.subarray(f.start, f.end);
    if (unread(f.name)) assert.ok(got.every((b) => b === 0), `${f.name} left zero`);
    else assert.deepEqual(got, whole.subarray(f.start, f.end), `${f.name} copied`);
  }
});

Deno.test("a database opened with it: migrations, time zones, PL/pgSQL and text search work", async () => {
  const root = await Deno.makeTempDir({ prefix: "pglite-bundle-" });
  try {
    const dir = `${root}/pgdata`;
    // Created (a copy of the template, or initdb in a Worker with the whole bundle), then opened
    // with the sparse one, as every dashboard start opens its database.
    const db = await openPglite(dir);
    try {
      await migrateUp(db);
      const [row] = await db.query<{ berlin: string; plpgsql: number; ts: string }>(
        `SELECT (timestamptz '2026-01-01 12:00Z' AT TIME ZONE 'Europe/Berlin')::text AS berlin,
                (SELECT count(*)::int FROM pg_language WHERE lanname = 'plpgsql') AS plpgsql,
                to_tsvector('english', 'clusters running')::text AS ts`,
      );
      assert.deepEqual(row, {
        berlin: "2026-01-01 13:00:00",
        plpgsql: 1,
        ts: "'cluster':1 'run':2",
      });
      await db.exec(
        "DO $$ BEGIN PERFORM set_config('application_name', 'sparse-bundle', false); END $$",
      );
      const [{ name }] = await db.query<{ name: string }>(
        "SELECT current_setting('application_name') AS name",
      );
      assert.equal(name, "sparse-bundle");
    } finally {
      await db.close();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
