// The minted CA with several replicas on one PostgreSQL (backend/tls.ts): every replica, each with
// its own DATA_DIR, serves certificates from the one CA in the table dashboard_ca (agents pin one
// hash), its key sealed with ENCRYPTION_KEY and never in plain text; a single-replica install's CA
// in DATA_DIR is imported with its pin; replicas starting at once agree on one CA; a replica with
// another encryption key, or with hosts outside the CA's name constraints, fails to start saying
// why. With PGlite the CA stays in DATA_DIR/tls and the table stays empty.
import assert from "node:assert/strict";
import { join } from "node:path";
import { CA_SEAL_AD, loadMintedTls, type SharedCa } from "./tls.ts";
import { ConfigError } from "./config.ts";
import { SecretBox } from "./crypto/secretbox.ts";
import { encodeBase64 } from "./crypto/encoding.ts";
import type { Db, Queryable } from "./store/db.ts";
import { openPostgres } from "./store/postgres_db.ts";
import { migrateUp } from "./store/migrate.ts";
import { certificateHash } from "../proto/wire.ts";
import { freshPostgresDb } from "../tools/testpg.ts";
import { startTestDashboard } from "../testing/harness.ts";

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;
/** Dashboards keep connections and timers the sanitizers would report between steps. */
const E2E = { sanitizeOps: false, sanitizeResources: false };

const newKey = () => encodeBase64(crypto.getRandomValues(new Uint8Array(32)));

async function openssl(args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

/** Asserts that the server certificate (first of certPem) verifies against caPem. */
async function assertIssuedBy(certPem: string, caPem: string): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tls-verify-" });
  try {
    await Deno.writeTextFile(join(dir, "ca.pem"), caPem);
    await Deno.writeTextFile(join(dir, "leaf.pem"), certPem.match(PEM_CERT)![0]);
    const r = await openssl(["verify", "-CAfile", join(dir, "ca.pem"), join(dir, "leaf.pem")]);
    assert.equal(r.code, 0, r.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** A CA as earlier versions minted it (no NameConstraints) in dataDir/tls; returns its PEM. */
async function legacyCa(dataDir: string): Promise<string> {
  const tlsDir = join(dataDir, "tls");
  await Deno.mkdir(tlsDir, { recursive: true });
  const r = await openssl([
    ...["req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
    ...["-keyout", join(tlsDir, "ca.key"), "-out", join(tlsDir, "ca.crt"), "-days", "30"],
    ...["-subj", "/CN=kube-dashboard CA"],
    ...["-addext", "basicConstraints=critical,CA:TRUE,pathlen:0"],
    ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  ]);
  assert.equal(r.code, 0, r.out);
  return await Deno.readTextFile(join(tlsDir, "ca.crt"));
}

interface CaRow {
  cert_pem: string;
  key_sealed: Uint8Array;
}

async function caRows(db: Queryable): Promise<CaRow[]> {
  return await db.query<CaRow>("SELECT cert_pem, key_sealed FROM dashboard_ca");
}

/** A fresh, migrated PostgreSQL database; close() disconnects and drops it. */
async function migratedPostgres(): Promise<{ url: string; db: Db; close(): Promise<void> }> {
  const pg = await freshPostgresDb();
  const db = openPostgres(pg.url, { max: 2 });
  await migrateUp(db);
  return {
    url: pg.url,
    db,
    async close() {
      await db.close();
      await pg.drop();
    },
  };
}

/** Temp dirs made through it are removed by removeAll(). */
function tempDirs() {
  const dirs: string[] = [];
  return {
    async make(prefix: string): Promise<string> {
      const dir = await Deno.makeTempDir({ prefix });
      dirs.push(dir);
      return dir;
    },
    async removeAll(): Promise<void> {
      for (const dir of dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

Deno.test({
  name: "replicas on one PostgreSQL serve one CA, its key sealed in the database",
  ...E2E,
  async fn(t) {
    const pg = await freshPostgresDb();
    const dirs = tempDirs();
    const encryptionKey = newKey();
    const start = async (dataDir: string, key: string | undefined) =>
      await startTestDashboard({ databaseUrl: pg.url, dataDir, encryptionKey: key });
    const [dirA, dirB] = [await dirs.make("replica-a-"), await dirs.make("replica-b-")];
    const a = await start(dirA, encryptionKey);
    let b = await start(dirB, encryptionKey);
    try {
      const [row] = await caRows(a.d.db);

      await t.step("both replicas pin the same CA: the one in dashboard_ca", async () => {
        assert.ok(a.d.caHash);
        assert.equal(b.d.caHash, a.d.caHash);
        assert.equal(await certificateHash(row.cert_pem), a.d.caHash);
        assert.equal((await caRows(a.d.db)).length, 1);
      });

      await t.step(
        "the CA's key is sealed with ENCRYPTION_KEY, not stored in plain text",
        async () => {
          const stored = new TextDecoder().decode(row.key_sealed);
          assert.doesNotMatch(stored, /PRIVATE KEY/);
          assert.doesNotMatch(row.cert_pem, /PRIVATE KEY/);
          const box = await SecretBox.fromBase64(encryptionKey);
          assert.match(await box.open(row.key_sealed, CA_SEAL_AD), /^-----BEGIN PRIVATE KEY-----/);
          await assert.rejects(box.open(row.key_sealed, "another row"), /cannot decrypt/);
        },
      );

      await t.step("each DATA_DIR has the CA's certificate, not its key", async () => {
        for (const dir of [dirA, dirB]) {
          assert.equal(await Deno.readTextFile(join(dir, "tls", "ca.crt")), row.cert_pem);
          assert.equal(await exists(join(dir, "tls", "ca.key")), false, dir);
        }
      });

      await t.step("each replica serves its own server certificate from that CA", async () => {
        const certs = [];
        for (const dir of [dirA, dirB]) {
          const certPem = await Deno.readTextFile(join(dir, "tls", "server.crt"));
          await assertIssuedBy(certPem, row.cert_pem);
          certs.push(certPem);
        }
        assert.notEqual(certs[0], certs[1]);
        const res = await a.fetch("/healthz");
        assert.equal(res.status, 200);
        await res.body?.cancel();
      });

      await t.step("a restarted replica keeps the CA and its own server certificate", async () => {
        const before = await Deno.readTextFile(join(dirB, "tls", "server.crt"));
        await b.stop();
        b = await start(dirB, encryptionKey);
        assert.equal(b.d.caHash, a.d.caHash);
        assert.equal(await Deno.readTextFile(join(dirB, "tls", "server.crt")), before);
      });

      const wrongKeys: Array<{ name: string; key: string | undefined }> = [
        { name: "another ENCRYPTION_KEY", key: newKey() },
        { name: "no ENCRYPTION_KEY (its own DATA_DIR/encryption.key)", key: undefined },
      ];
      for (const c of wrongKeys) {
        await t.step(`a replica with ${c.name} fails to start, naming ENCRYPTION_KEY`, async () => {
          const dir = await dirs.make("replica-wrong-key-");
          await assert.rejects(start(dir, c.key), (err: unknown) => {
            assert.ok(err instanceof ConfigError, String(err));
            assert.match(
              err.message,
              /CA in the database \(table dashboard_ca\) cannot be decrypted .*every replica must run with the same ENCRYPTION_KEY/,
            );
            return true;
          });
          assert.equal(await exists(join(dir, "tls", "server.crt")), false);
        });
      }
    } finally {
      await b.stop();
      await a.stop();
      await pg.drop();
      await dirs.removeAll();
    }
  },
});

Deno.test({
  name: "a single-replica install's CA in DATA_DIR is imported into PostgreSQL, pin kept",
  ...E2E,
  async fn(t) {
    const cases: Array<{ name: string; prepare(dataDir: string): Promise<string> }> = [
      {
        name: "a CA minted by a PGlite dashboard",
        async prepare(dataDir) {
          const alone = await startTestDashboard({ dataDir });
          await alone.stop();
          assert.ok(alone.d.caHash);
          return alone.d.caHash;
        },
      },
      {
        name: "a CA from an earlier version (no name constraints)",
        prepare: async (dataDir) => await certificateHash(await legacyCa(dataDir)),
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const pg = await freshPostgresDb();
        const dirs = tempDirs();
        const encryptionKey = newKey();
        try {
          const dataDir = await dirs.make("upgrading-");
          const pinned = await c.prepare(dataDir);
          const caPem = await Deno.readTextFile(join(dataDir, "tls", "ca.crt"));
          const first = await startTestDashboard({ databaseUrl: pg.url, dataDir, encryptionKey });
          const second = await startTestDashboard({
            databaseUrl: pg.url,
            dataDir: await dirs.make("new-replica-"),
            encryptionKey,
          });
          try {
            assert.equal(first.d.caHash, pinned);
            assert.equal(second.d.caHash, pinned);
            const rows = await caRows(first.d.db);
            assert.equal(rows.length, 1);
            assert.equal(rows[0].cert_pem, caPem);
            assert.doesNotMatch(new TextDecoder().decode(rows[0].key_sealed), /PRIVATE KEY/);
            await assertIssuedBy(
              await Deno.readTextFile(join(second.dataDir, "tls", "server.crt")),
              caPem,
            );
          } finally {
            await second.stop();
            await first.stop();
          }
        } finally {
          await pg.drop();
          await dirs.removeAll();
        }
      });
    }
  },
});

Deno.test({
  name: "replicas starting at once on an empty dashboard_ca agree on one CA",
  ...E2E,
  async fn(t) {
    await t.step("six replicas, each having read no row before any inserts", async () => {
      const pg = await migratedPostgres();
      const dirs = tempDirs();
      const box = await SecretBox.fromBase64(newKey());
      const n = 6;
      // A barrier: every replica's first read of dashboard_ca finds it empty before any of them
      // inserts, so all of them race to insert their own candidate.
      let reads = 0;
      let inserts = 0;
      const allRead = Promise.withResolvers<void>();
      const replicas: Array<{ db: Db; shared: SharedCa; dataDir: string }> = [];
      try {
        for (let i = 0; i < n; i++) {
          const db = openPostgres(pg.url, { max: 1 });
          const racing: Queryable = {
            async query<T>(sql: string, params?: unknown[]): Promise<T[]> {
              if (sql.startsWith("INSERT INTO dashboard_ca")) inserts++;
              const rows = await db.query<T>(sql, params);
              if (/^SELECT .* FROM dashboard_ca/.test(sql) && ++reads <= n) {
                if (reads === n) allRead.resolve();
                await allRead.promise;
              }
              return rows;
            },
            exec: (sql) => db.exec(sql),
          };
          const dataDir = await dirs.make(`racing-${i}-`);
          // Half of them bring a CA of their own (as an upgrading install would).
          if (i % 2) await loadMintedTls(dataDir, ["127.0.0.1"]);
          replicas.push({ db, shared: { db: racing, box }, dataDir });
        }
        const results = await Promise.all(
          replicas.map((r) => loadMintedTls(r.dataDir, ["127.0.0.1"], r.shared)),
        );
        assert.equal(inserts, n, "every replica tried to store its own CA");
        const rows = await caRows(pg.db);
        assert.equal(rows.length, 1);
        const winner = await certificateHash(rows[0].cert_pem);
        for (const [i, tls] of results.entries()) {
          assert.equal(tls.caHash, winner, `replica ${i}`);
          assert.equal(tls.caPem, rows[0].cert_pem);
          await assertIssuedBy(tls.certPem, rows[0].cert_pem);
          const dir = join(replicas[i].dataDir, "tls");
          assert.equal(await Deno.readTextFile(join(dir, "ca.crt")), rows[0].cert_pem);
          if (i % 2) {
            // Its own CA lost (kept in place) or won (then the same CA is in the database).
            const aside = [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("unused-ca-"));
            assert.equal(aside.length, (await exists(join(dir, "ca.key"))) ? 0 : 2, dir);
          }
        }
      } finally {
        for (const r of replicas) await r.db.close();
        await pg.close();
        await dirs.removeAll();
      }
    });

    await t.step("two dashboards started together on a new database", async () => {
      const pg = await freshPostgresDb();
      const dirs = tempDirs();
      const encryptionKey = newKey();
      try {
        const [a, b] = await Promise.all([
          startTestDashboard({
            databaseUrl: pg.url,
            dataDir: await dirs.make("together-a-"),
            encryptionKey,
          }),
          startTestDashboard({
            databaseUrl: pg.url,
            dataDir: await dirs.make("together-b-"),
            encryptionKey,
          }),
        ]);
        try {
          assert.ok(a.d.caHash);
          assert.equal(b.d.caHash, a.d.caHash);
          assert.equal((await caRows(a.d.db)).length, 1);
        } finally {
          await b.stop();
          await a.stop();
        }
      } finally {
        await pg.drop();
        await dirs.removeAll();
      }
    });
  },
});

Deno.test("the shared CA keeps the name constraints it was minted with", async (t) => {
  const pg = await migratedPostgres();
  const dirs = tempDirs();
  const shared: SharedCa = { db: pg.db, box: await SecretBox.fromBase64(newKey()) };
  try {
    const first = await loadMintedTls(await dirs.make("nc-first-"), ["dash.example.org"], shared);
    const cases: Array<{ hosts: string[]; refused?: RegExp }> = [
      { hosts: ["dash.example.org"] },
      { hosts: ["replica-2.dash.example.org", "dash.example.org"] },
      {
        hosts: ["other.example.net", "dash.example.org"],
        refused:
          /would name other\.example\.net, which the dashboard's CA \(in the database, table dashboard_ca\) may not sign for: it was minted for .*dash\.example\.org.*Every replica uses this one CA.*give this replica a PUBLIC_URL \/ GRPC_PUBLIC_ADDR within those names, or rotate the CA/,
      },
      { hosts: ["10.9.9.9"], refused: /would name 10\.9\.9\.9, .*table dashboard_ca/ },
    ];
    for (const c of cases) {
      await t.step(
        `a replica for ${c.hosts.join(", ")}: ${c.refused ? "refused" : "served"}`,
        async () => {
          const dataDir = await dirs.make("nc-replica-");
          if (!c.refused) {
            const tls = await loadMintedTls(dataDir, c.hosts, shared);
            assert.equal(tls.caHash, first.caHash);
            await assertIssuedBy(tls.certPem, first.caPem);
            return;
          }
          await assert.rejects(loadMintedTls(dataDir, c.hosts, shared), (err: unknown) => {
            assert.ok(err instanceof ConfigError, String(err));
            assert.match(err.message, c.refused!);
            return true;
          });
          assert.deepEqual([...Deno.readDirSync(join(dataDir, "tls"))], [], "nothing written");
        },
      );
    }
  } finally {
    await pg.close();
    await dirs.removeAll();
  }
});

Deno.test("a DATA_DIR's own CA that is not the shared one is set aside, its leaf re-issued", async () => {
  const pg = await migratedPostgres();
  const dirs = tempDirs();
  const shared: SharedCa = { db: pg.db, box: await SecretBox.fromBase64(newKey()) };
  try {
    const first = await loadMintedTls(await dirs.make("aside-first-"), ["127.0.0.1"], shared);
    // A replica that once ran alone (PGlite) and minted a CA no agent of this database pins.
    const dataDir = await dirs.make("aside-alone-");
    const alone = await loadMintedTls(dataDir, ["127.0.0.1"]);
    const tls = await loadMintedTls(dataDir, ["127.0.0.1"], shared);
    assert.equal(tls.caHash, first.caHash);
    assert.notEqual(tls.certPem, alone.certPem, "the server certificate is re-issued");
    await assertIssuedBy(tls.certPem, first.caPem);
    const dir = join(dataDir, "tls");
    assert.equal(await Deno.readTextFile(join(dir, "ca.crt")), first.caPem);
    assert.equal(await exists(join(dir, "ca.key")), false);
    const tag = alone.caHash.replace("sha256:", "").slice(0, 16);
    assert.equal(await Deno.readTextFile(join(dir, `unused-ca-${tag}.crt`)), alone.caPem);
    assert.match(await Deno.readTextFile(join(dir, `unused-ca-${tag}.key`)), /PRIVATE KEY/);
  } finally {
    await pg.close();
    await dirs.removeAll();
  }
});

Deno.test({
  name: "with PGlite the CA stays in DATA_DIR/tls and dashboard_ca stays empty",
  ...E2E,
  async fn() {
    const dash = await startTestDashboard({ store: "pglite" });
    try {
      const caPem = await Deno.readTextFile(join(dash.dataDir, "tls", "ca.crt"));
      assert.equal(dash.d.caHash, await certificateHash(caPem));
      const key = await Deno.stat(join(dash.dataDir, "tls", "ca.key"));
      assert.equal(key.mode! & 0o777, 0o600);
      assert.deepEqual(await caRows(dash.d.db), []);
    } finally {
      await dash.stop();
      await Deno.remove(dash.dataDir, { recursive: true });
    }
  },
});
