// Migrations and durability of both stores: every test below runs against embedded PGlite and a
// real PostgreSQL (testing/stores.ts), except the kill -9 test, which is about PGlite's
// data directory.
import assert from "node:assert/strict";
import type { Db, Queryable } from "./db.ts";
import { openPglite, PGLITE_SETTINGS } from "./pglite_db.ts";
import { openPostgres } from "./postgres_db.ts";
import { loadMigrations, migrateDown, migrateUp, type Migration } from "./migrate.ts";
import { storeCases } from "../../testing/stores.ts";
import { freshPostgresDb } from "../../tools/testpg.ts";

const all = await loadMigrations();
const allVersions = all.map((m) => m.version);
const latest = allVersions[allVersions.length - 1];
/** Versions above v, newest first: what migrateDown(db, v) reverts from the latest. */
const above = (v: number) => allVersions.filter((x) => x > v).reverse();

async function versions(db: Queryable): Promise<number[]> {
  const rows = await db.query<{ version: number }>(
    "SELECT version FROM schema_migrations ORDER BY version",
  );
  return rows.map((r) => r.version);
}

async function tables(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

async function columns(db: Queryable, table: string): Promise<Map<string, { nullable: boolean }>> {
  const rows = await db.query<{ column_name: string; is_nullable: string }>(
    `SELECT column_name, is_nullable FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  );
  return new Map(rows.map((r) => [r.column_name, { nullable: r.is_nullable === "YES" }]));
}

async function count(db: Queryable, table: string): Promise<number> {
  const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return n;
}

/** Rows in every table of 001 and 002: a user with a session and an API token, a cluster. */
async function insertBaseData(db: Queryable, suffix: string): Promise<{ userId: string }> {
  const [{ id: userId }] = await db.query<{ id: string }>(
    "INSERT INTO users (username, password_hash, role) VALUES ($1, 'scrypt$x', 'admin') RETURNING id",
    [`alice${suffix}`],
  );
  await db.query(
    "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 hour')",
    [userId, `session-hash${suffix}`],
  );
  await db.query(
    "INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, 'ci', $2)",
    [userId, `token-hash${suffix}`],
  );
  await db.query(
    "INSERT INTO clusters (name, kubeconfig_enc, context) VALUES ($1, $2, 'ctx')",
    [`kc${suffix}`, new Uint8Array([1, 2, 3])],
  );
  return { userId };
}

/**
 * Rows that need 003 and later: an agent-connected cluster (no kubeconfig), its registration
 * token, the replica holding its stream.
 */
async function insertAgentData(db: Queryable, suffix: string, userId: string): Promise<void> {
  const [{ id: clusterId }] = await db.query<{ id: string }>(
    `INSERT INTO clusters (name, connection_type, agent_id) VALUES ($1, 'agent', $2) RETURNING id`,
    [`agent${suffix}`, `agent-id${suffix}`],
  );
  await db.query(
    `INSERT INTO agent_tokens (token_hash, cluster_name, permissions, created_by, expires_at, cluster_id)
     VALUES ($1, $2, $3::jsonb, $4, now() + interval '1 day', $5)`,
    [
      `agent-token-hash${suffix}`,
      `agent${suffix}`,
      JSON.stringify({ role: "viewer" }),
      userId,
      clusterId,
    ],
  );
  // 011: a replica holding the agent's stream, the shared CA, a sealed token text.
  const [{ id: replicaId }] = await db.query<{ id: string }>(
    `INSERT INTO dashboard_replicas (id, peer_url, version)
     VALUES (gen_random_uuid(), $1, 'test') RETURNING id`,
    [`https://replica${suffix}:8080`],
  );
  await db.query(
    "UPDATE clusters SET agent_replica_id = $1, agent_released_at = now() WHERE id = $2",
    [replicaId, clusterId],
  );
  await db.query(
    `INSERT INTO dashboard_ca (id, cert_pem, key_sealed) VALUES (1, 'cert', '\\x01')
     ON CONFLICT (id) DO NOTHING`,
  );
  await db.query("UPDATE agent_tokens SET token_sealed = '\\x02' WHERE cluster_id = $1", [
    clusterId,
  ]);
  await insertIdentityData(db, suffix, clusterId);
}

/** Rows that need 009: a per-cluster role binding (by id and by label) and an audit event. */
async function insertIdentityData(db: Queryable, suffix: string, clusterId: string): Promise<void> {
  await db.query(
    `INSERT INTO cluster_role_bindings (subject_kind, subject, cluster_id, role)
     VALUES ('user', $1, $2, 'viewer')`,
    [`bob${suffix}`, clusterId],
  );
  await db.query(
    `INSERT INTO cluster_role_bindings (subject_kind, subject, cluster_selector, role)
     VALUES ('group', 'ops', '{"env":"prod"}'::jsonb, 'editor')`,
  );
  await db.query(
    `INSERT INTO audit_events (username, cluster_id, verb, path, status)
     VALUES ($1, $2, 'delete', '/api/clusters/x/k8s/api/v1/namespaces/a/pods/p', 200)`,
    [`bob${suffix}`, clusterId],
  );
}

for (const store of storeCases) {
  Deno.test(`${store.name}: migrations go up and down with data in every table`, async () => {
    const { db, cleanup } = await store.open();
    try {
      assert.deepEqual(await migrateUp(db), allVersions);
      assert.deepEqual(await versions(db), allVersions);
      const { userId } = await insertBaseData(db, "1");
      await insertAgentData(db, "1", userId);
      for (const table of await tables(db)) {
        assert.ok(
          await count(db, table) > 0,
          `no test data in ${table}: add rows for it to insertBaseData/insertAgentData`,
        );
      }

      // All the way down, with data present: only the bookkeeping table remains.
      assert.deepEqual(await migrateDown(db, 0), above(0));
      assert.deepEqual(await versions(db), []);
      assert.deepEqual(await tables(db), ["schema_migrations"]);

      // Up again, fill again, and down to 2: agent clusters (and agent_tokens) go, kubeconfig
      // clusters stay, and kubeconfig_enc is NOT NULL again.
      assert.deepEqual(await migrateUp(db), allVersions);
      const again = await insertBaseData(db, "2");
      await insertAgentData(db, "2", again.userId);
      assert.equal(await count(db, "clusters"), 2);
      assert.deepEqual(await migrateDown(db, 2), above(2));
      assert.deepEqual(await versions(db), [1, 2]);
      assert.ok(!(await tables(db)).includes("agent_tokens"));
      const clusters = await db.query<{ name: string; kubeconfig_enc: Uint8Array }>(
        "SELECT name, kubeconfig_enc FROM clusters",
      );
      assert.deepEqual(clusters.map((c) => c.name), ["kc2"]);
      assert.deepEqual([...clusters[0].kubeconfig_enc], [1, 2, 3]);
      const cols = await columns(db, "clusters");
      assert.equal(cols.get("kubeconfig_enc")?.nullable, false);
      assert.ok(!cols.has("connection_type") && !cols.has("agent_id"));
      await assert.rejects(
        db.query("INSERT INTO clusters (name, kubeconfig_enc) VALUES ('nokc', NULL)"),
        /null value/,
      );
      assert.equal(await count(db, "users"), 1);
      assert.equal(await count(db, "sessions"), 1);
      assert.equal(await count(db, "api_tokens"), 1);

      // Up again: the kept cluster is a kubeconfig cluster and agent clusters work again.
      assert.deepEqual(await migrateUp(db), above(2).reverse());
      assert.deepEqual(await versions(db), allVersions);
      const [kept] = await db.query<{ connection_type: string }>(
        "SELECT connection_type FROM clusters WHERE name = 'kc2'",
      );
      assert.equal(kept.connection_type, "kubeconfig");
      await insertAgentData(db, "3", again.userId);
      assert.equal(await count(db, "clusters"), 2);

      // Nothing pending: migrateUp applies nothing and migrateDown above latest reverts nothing.
      assert.deepEqual(await migrateUp(db), []);
      assert.deepEqual(await migrateDown(db, latest), []);
      assert.deepEqual(await versions(db), allVersions);
      const named = await db.query<{ version: number; name: string; applied_at: Date }>(
        "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
      );
      assert.deepEqual(named.map((r) => r.name), all.map((m) => m.name));
      assert.ok(named.every((r) => r.applied_at instanceof Date));
    } finally {
      await cleanup();
    }
  });

  Deno.test(`${store.name}: down from single sign-on keeps the accounts it can`, async () => {
    const { db, cleanup } = await store.open();
    try {
      await migrateUp(db);
      for (const [username, subject] of [["alice", "s-1"], ["bob@example.com", "s-2"]]) {
        await db.query(
          `INSERT INTO users (username, password_hash, role, sso_issuer, sso_subject)
           VALUES ($1, '!', 'viewer', 'https://idp.example', $2)`,
          [username, subject],
        );
      }
      assert.deepEqual(await migrateDown(db, 11), above(11));
      const users = await db.query<{ username: string; password_hash: string }>(
        "SELECT username, password_hash FROM users ORDER BY username",
      );
      assert.deepEqual([...users], [{ username: "alice", password_hash: "!" }]);
      await migrateUp(db);
    } finally {
      await cleanup();
    }
  });

  Deno.test(`${store.name}: a failing migration rolls back entirely`, async () => {
    const { db, cleanup } = await store.open();
    try {
      const broken: Migration = {
        version: 999,
        name: "broken",
        up:
          "CREATE TABLE half_done (id integer); ALTER TABLE users ADD COLUMN x integer; SELECT * FROM no_such_table;",
        down: "DROP TABLE half_done;",
      };

      // From nothing: even schema_migrations is rolled back with 001..003.
      await assert.rejects(
        migrateUp(db, Infinity, [...all, broken]),
        /migration 999_broken failed/,
      );
      assert.deepEqual(await tables(db), []);

      // From version 1 with data: 002, 003 and the broken step leave no trace.
      assert.deepEqual(await migrateUp(db, 1), [1]);
      await db.query(
        "INSERT INTO users (username, password_hash, role) VALUES ('bob', 'scrypt$x', 'viewer')",
      );
      await assert.rejects(
        migrateUp(db, Infinity, [...all, broken]),
        /migration 999_broken failed/,
      );
      assert.deepEqual(await versions(db), [1]);
      assert.deepEqual(await tables(db), ["api_tokens", "schema_migrations", "sessions", "users"]);
      assert.ok(!(await columns(db, "users")).has("x"));
      assert.equal(await count(db, "users"), 1);

      // A broken down step rolls back the steps reverted before it in the same call.
      const brokenDown = all.map((m) =>
        m.version === 2 ? { ...m, down: "DROP TABLE no_such_table;" } : m
      );
      assert.deepEqual(await migrateUp(db), allVersions.slice(1));
      await assert.rejects(migrateDown(db, 0, brokenDown), /migration 2_clusters \(down\) failed/);
      assert.deepEqual(await versions(db), allVersions);
      assert.ok((await tables(db)).includes("agent_tokens"));
      assert.ok((await columns(db, "clusters")).has("connection_type"));

      // The database is still usable afterwards.
      assert.deepEqual(await migrateDown(db, 0), above(0));
      assert.deepEqual(await migrateUp(db), allVersions);
    } finally {
      await cleanup();
    }
  });
}

Deno.test("postgres: concurrent migrateUp from two connections applies every step once", async () => {
  const fresh = await freshPostgresDb();
  const handles: Db[] = [openPostgres(fresh.url), openPostgres(fresh.url)];
  try {
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(handles.map((h) => migrateUp(h)));
      const sorted = results.map((r) => r.join(",")).sort();
      assert.deepEqual(
        sorted,
        ["", allVersions.join(",")],
        `round ${round}: ${JSON.stringify(results)}`,
      );
      for (const h of handles) assert.deepEqual(await versions(h), allVersions);
      // Down concurrently too: exactly one reverts.
      const downs = await Promise.all(handles.map((h) => migrateDown(h, 0)));
      assert.deepEqual(downs.map((r) => r.join(",")).sort(), ["", above(0).join(",")]);
      for (const h of handles) assert.deepEqual(await versions(h), []);
    }
  } finally {
    await Promise.all(handles.map((h) => h.close()));
    await fresh.drop();
  }
});

Deno.test(
  "pglite: concurrent migrateUp on one handle applies every step once " +
    "(two handles on one database do not apply: PGlite is one in-process connection)",
  async () => {
    const db = await openPglite(undefined);
    try {
      const results = await Promise.all([migrateUp(db), migrateUp(db)]);
      assert.deepEqual(results.map((r) => r.join(",")).sort(), ["", allVersions.join(",")]);
      assert.deepEqual(await versions(db), allVersions);
    } finally {
      await db.close();
    }
  },
);

Deno.test("pglite: runs with its small buffer pool and few connection slots, and leaves the data directory's postgresql.conf as initdb wrote it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pglite-conf-" });
  try {
    for (const start of ["first start (initdb)", "restart"]) {
      const db = await openPglite(dir);
      try {
        for (const [name, value] of Object.entries(PGLITE_SETTINGS)) {
          const [row] = await db.query<Record<string, string>>(`SHOW ${name}`);
          assert.equal(row[name], value, `${start}: ${name}`);
        }
      } finally {
        await db.close();
      }
      const conf = await Deno.readTextFile(`${dir}/postgresql.conf`);
      // initdb's settings stay (the time zone among them); these are not written there.
      assert.match(conf, /^timezone = /m, start);
      for (const [name, value] of Object.entries(PGLITE_SETTINGS)) {
        assert.doesNotMatch(conf, new RegExp(`^${name} = ${value}`, "m"), start);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pglite: a data directory that cannot be created is a clear error", async () => {
  const file = await Deno.makeTempFile({ prefix: "pglite-not-a-dir-" });
  try {
    await assert.rejects(
      openPglite(`${file}/pgdata`),
      (err: Error) => {
        assert.match(err.message, /^creating the PGlite database in .*pgdata: /, err.message);
        return true;
      },
    );
  } finally {
    await Deno.remove(file);
  }
});

// ---------------------------------------------------------------------------------------------
// kill -9 durability of the embedded store

const childScript = (dbUrl: string, migrateUrl: string) => `
import { openPglite } from ${JSON.stringify(dbUrl)};
import { migrateUp } from ${JSON.stringify(migrateUrl)};
const db = await openPglite(Deno.args[0]);
await migrateUp(db);
await db.exec("CREATE TABLE durability (id integer NOT NULL, part text NOT NULL, payload text NOT NULL, PRIMARY KEY (id, part))");
console.log("ready");
for (let i = 1; ; i++) {
  // Two rows per transaction: after a crash each id has both or neither.
  await db.transaction(async (tx) => {
    await tx.query("INSERT INTO durability (id, part, payload) VALUES ($1, 'a', $2)", [i, "x".repeat(500)]);
    await tx.query("INSERT INTO durability (id, part, payload) VALUES ($1, 'b', $2)", [i, "y".repeat(500)]);
  });
  console.log(String(i)); // synchronous write: printed means committed
}
`;

Deno.test("pglite: every committed row survives kill -9 of the process", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pglite-kill9-" });
  try {
    const script = `${dir}/writer.ts`;
    await Deno.writeTextFile(
      script,
      childScript(
        new URL("./pglite_db.ts", import.meta.url).href,
        new URL("./migrate.ts", import.meta.url).href,
      ),
    );
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const dataDir = `${dir}/data`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", config, script, dataDir],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const printed: number[] = [];
    let ready = false;
    let killed = false;
    const target = 150;
    const watchdog = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
    }, 180_000);
    try {
      let buf = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        const lines = buf.split("\n");
        buf = lines.pop()!;
        for (const line of lines) {
          if (line === "ready") ready = true;
          else if (/^\d+$/.test(line)) printed.push(Number(line));
        }
        if (!killed && printed.length >= target) {
          killed = true;
          child.kill("SIGKILL"); // mid-loop: a transaction is most likely in flight
        }
      }
    } finally {
      clearTimeout(watchdog);
    }
    const status = await child.status;
    const err = await stderr;
    assert.ok(ready && killed, `writer did not get going (ready=${ready}): ${err}`);
    assert.equal(status.signal, "SIGKILL");
    assert.ok(printed.length >= target);

    const db = await openPglite(dataDir);
    try {
      const rows = await db.query<{ id: number; parts: number }>(
        "SELECT id, count(*)::int AS parts FROM durability GROUP BY id ORDER BY id",
      );
      const ids = new Set(rows.map((r) => r.id));
      const missing = printed.filter((id) => !ids.has(id));
      assert.deepEqual(missing, [], "committed ids lost by kill -9");
      assert.ok(rows.every((r) => r.parts === 2), "a transaction was half applied");
      // At most the one transaction in flight at the kill may be there without being printed.
      const last = printed[printed.length - 1];
      assert.ok(
        rows.length === last || rows.length === last + 1,
        `${rows.length} ids after ${last} printed`,
      );
      // The store is fully usable: migrations recorded, writes work.
      assert.deepEqual(await migrateUp(db), []);
      assert.deepEqual(await versions(db), allVersions);
      await db.query("INSERT INTO durability (id, part, payload) VALUES (0, 'a', 'after')");
      assert.equal(await count(db, "durability"), rows.length * 2 + 1);
    } finally {
      await db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
