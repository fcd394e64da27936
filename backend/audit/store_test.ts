// The audit trail's store on both PGlite and PostgreSQL: recording (the cluster's name filled in
// by the INSERT, a failure swallowed), the filters (table-driven), keyset pagination and its
// bounds, the export reading page by page, and the retention sweep in batches.
import assert from "node:assert/strict";
import type { Db } from "../store/db.ts";
import { migrateUp } from "../store/migrate.ts";
import { storeCases } from "../../testing/stores.ts";
import { capturedLogs } from "../../testing/logs.ts";
import {
  AUDIT_PAGE_DEFAULT,
  AUDIT_PAGE_MAX,
  AUDIT_SWEEP_BATCH,
  type AuditEntry,
  type AuditEvent,
  type AuditFilter,
  AuditLog,
} from "./store.ts";

const ALICE = "11111111-1111-4111-8111-111111111111";
const BOB = "22222222-2222-4222-8222-222222222222";

/** The store with every query counted. */
function counting(db: Db): { db: Db; queries: () => number } {
  let n = 0;
  return {
    db: {
      kind: db.kind,
      query: (sql, params) => (n++, db.query(sql, params)),
      exec: (sql) => db.exec(sql),
      transaction: (fn) => db.transaction(fn),
      listen: (channel, onPayload, onReconnect) => db.listen(channel, onPayload, onReconnect),
      notify: (channel, payload) => db.notify(channel, payload),
      close: () => db.close(),
    },
    queries: () => n,
  };
}

const entry = (e: Partial<AuditEntry>): AuditEntry => ({
  userId: ALICE,
  username: "alice",
  source: "192.0.2.1",
  clusterId: null,
  verb: "create",
  path: "/api/tokens",
  status: 201,
  ...e,
});

for (const store of storeCases) {
  Deno.test({
    name: `audit store [${store.name}]: record, filters, pages, export, sweep`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const { db: raw, cleanup } = await store.open();
      try {
        await migrateUp(raw);
        const { db, queries } = counting(raw);
        const audit = new AuditLog(db);
        const [prod] = await db.query<{ id: string }>(
          `INSERT INTO clusters (name, connection_type, kubeconfig_enc, context, server, status)
           VALUES ('prod', 'kubeconfig', '\\x00'::bytea, 'x', 'https://127.0.0.1:1', 'connected')
           RETURNING id`,
        );
        const gone = crypto.randomUUID();

        await t.step("record fills the cluster's name in the same statement", async () => {
          const before = queries();
          await audit.record(
            entry({ clusterId: prod.id, verb: "delete", path: "/x", status: 200 }),
          );
          assert.equal(queries() - before, 1, "one INSERT");
          await audit.record(entry({ clusterId: gone, clusterName: "was-here", status: 204 }));
          await audit.record(entry({ clusterId: gone, verb: "patch" }));
          const { items } = await audit.list({});
          assert.deepEqual(
            items.map((e) => [e.cluster_id, e.cluster_name, e.verb]),
            [[gone, null, "patch"], [gone, "was-here", "create"], [prod.id, "prod", "delete"]],
          );
          const e = items[2];
          assert.equal(typeof e.id, "number");
          assert.ok(e.at instanceof Date && Math.abs(e.at.getTime() - Date.now()) < 60_000);
          assert.deepEqual(
            { ...e, id: 0, at: null },
            {
              id: 0,
              at: null,
              user_id: ALICE,
              username: "alice",
              source: "192.0.2.1",
              cluster_id: prod.id,
              cluster_name: "prod",
              verb: "delete",
              path: "/x",
              status: 200,
              outcome: null,
            },
          );
        });

        await t.step(
          "each event goes to the JSON log; a failed INSERT is logged, not thrown",
          async () => {
            const count = async () => (await audit.list({})).items.length;
            const before = await count();
            const lines = await capturedLogs(async () => {
              await audit.record(entry({ clusterId: prod.id, verb: "patch", status: 200 }));
              await audit.record(entry({ userId: "not-a-uuid", verb: "update" }));
            });
            const [ok, failed] = lines;
            assert.equal(lines.length, 2, JSON.stringify(lines));
            assert.deepEqual({ ...ok, time: null, id: null }, {
              time: null,
              level: "info",
              msg: "audit",
              id: null,
              user_id: ALICE,
              username: "alice",
              source: "192.0.2.1",
              cluster_id: prod.id,
              cluster_name: "prod",
              verb: "patch",
              path: "/api/tokens",
              status: 200,
            });
            assert.equal(failed.level, "error");
            assert.equal(failed.msg, "audit event not stored");
            assert.equal(failed.verb, "update");
            assert.equal(await count(), before + 1, "the failed one is not stored");
          },
        );

        await db.query("DELETE FROM audit_events");
        // 30 events: alternating users, a third on prod, statuses 200/403/500, a login failure.
        for (let i = 0; i < 30; i++) {
          await audit.record(entry({
            userId: i % 2 ? BOB : ALICE,
            username: i % 2 ? "bob" : "alice",
            clusterId: i % 3 === 0 ? prod.id : null,
            verb: i % 5 === 0 ? "delete" : "create",
            status: [200, 403, 500][i % 3],
            path: `/p/${i}`,
          }));
        }
        await audit.record(entry({
          userId: null,
          username: "mallory",
          verb: "login",
          status: 401,
          outcome: "failure",
          path: "/api/auth/login",
        }));
        // The first ten happened two days ago.
        await db.query(
          `UPDATE audit_events SET at = now() - interval '2 days'
           WHERE id IN (SELECT id FROM audit_events ORDER BY id LIMIT 10)`,
        );
        const all = (await audit.list({ limit: 1000 })).items;
        assert.equal(all.length, 31);
        const ids = (pred: (e: AuditEvent, index: number) => boolean) =>
          all.filter((e) => pred(e, 30 - all.indexOf(e))).map((e) => e.id);

        await t.step("filters", async () => {
          const yesterday = new Date(Date.now() - 86400_000);
          // [name, filter, which events (e, its insertion index 0..30)]
          const cases: Array<[string, AuditFilter, (e: AuditEvent, i: number) => boolean]> = [
            ["none", {}, () => true],
            ["user", { user: "bob" }, (e) => e.username === "bob"],
            ["unknown user", { user: "nobody" }, () => false],
            ["cluster", { cluster: prod.id }, (e) => e.cluster_id === prod.id],
            ["verb", { verb: "delete" }, (e) => e.verb === "delete"],
            ["exact status", { status: { from: 403, to: 403 } }, (e) => e.status === 403],
            [
              "status class 4xx",
              { status: { from: 400, to: 499 } },
              (e) => e.status >= 400 && e.status < 500,
            ],
            ["since", { since: yesterday }, (_, i) => i >= 10],
            ["until", { until: yesterday }, (_, i) => i < 10],
            [
              "combined",
              { user: "alice", cluster: prod.id, status: { from: 200, to: 299 } },
              (e) => e.username === "alice" && e.cluster_id === prod.id && e.status === 200,
            ],
            ["login failures", { verb: "login" }, (e) => e.outcome === "failure"],
          ];
          for (const [name, filter, pred] of cases) {
            const got = (await audit.list({ ...filter, limit: 1000 })).items.map((e) => e.id);
            const want = ids(pred);
            assert.deepEqual(got, want, name);
            if (name !== "unknown user") assert.ok(want.length > 0, `${name} selects something`);
          }
        });

        await t.step("keyset pages: newest first, no overlap, to the end", async () => {
          const seen: number[] = [];
          let before: number | undefined;
          let pages = 0;
          for (;;) {
            const page = await audit.list({ limit: 7, before });
            pages++;
            seen.push(...page.items.map((e) => e.id));
            if (page.next_before === null) break;
            assert.equal(page.items.length, 7);
            assert.equal(page.next_before, page.items[6].id);
            before = page.next_before;
          }
          assert.equal(pages, 5);
          assert.deepEqual(seen, all.map((e) => e.id));
          assert.deepEqual(seen, [...seen].sort((a, b) => b - a), "newest first");
          // A filter carries across pages.
          const bob1 = await audit.list({ user: "bob", limit: 10 });
          const bob2 = await audit.list({ user: "bob", limit: 10, before: bob1.next_before! });
          assert.deepEqual(
            [...bob1.items, ...bob2.items].map((e) => e.id),
            ids((e) => e.username === "bob"),
          );
          assert.equal(bob2.next_before, null);
        });

        await t.step("export reads page by page, every match, newest first", async () => {
          const before = queries();
          const got: number[] = [];
          for await (const e of audit.export({ user: "alice", limit: 2 }, 4)) got.push(e.id);
          const want = ids((e) => e.username === "alice");
          assert.deepEqual(got, want, "the limit does not cut an export");
          assert.equal(queries() - before, Math.ceil((want.length + 1) / 4), "one query a page");
          // Stopping early reads no further page.
          const early = queries();
          for await (const _ of audit.export({}, 4)) break;
          assert.equal(queries() - early, 1);
        });

        await t.step("page size: default and maximum", async () => {
          await db.query(
            `INSERT INTO audit_events (username, verb, path, status)
             SELECT 'bulk', 'create', '/bulk/' || i, 201 FROM generate_series(1, $1::int) i`,
            [AUDIT_PAGE_MAX + 5],
          );
          assert.equal((await audit.list({})).items.length, AUDIT_PAGE_DEFAULT);
          const max = await audit.list({ limit: 50_000 });
          assert.equal(max.items.length, AUDIT_PAGE_MAX);
          assert.notEqual(max.next_before, null);
          assert.equal((await audit.list({ limit: 0 })).items.length, 1, "at least one");
        });

        await t.step("sweep deletes what is older than the retention, in batches", async () => {
          await db.query("DELETE FROM audit_events");
          await db.query(
            `INSERT INTO audit_events (at, username, verb, path, status)
             SELECT now() - make_interval(days => d), 'sweep', 'create', '/s', 201
             FROM (SELECT CASE WHEN i <= $1::int THEN 100 ELSE 89 END AS d
                   FROM generate_series(1, $1::int + 3) i) s`,
            [AUDIT_SWEEP_BATCH + 2],
          );
          await audit.record(entry({}));
          const before = queries();
          assert.equal(await audit.sweep(90), AUDIT_SWEEP_BATCH + 2);
          assert.equal(queries() - before, 2, "two batches");
          const [{ n }] = await db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM audit_events",
          );
          assert.equal(n, 4, "89 days old and the fresh one are kept");
          assert.equal(await audit.sweep(90), 0);
          assert.equal(await audit.sweep(1), 3, "a shorter retention takes the 89-day ones");
        });
      } finally {
        await cleanup();
      }
    },
  });
}
