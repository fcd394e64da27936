// The audit trail through a real dashboard (HTTPS, a real store): who may read it, that token
// creation, logins (success, failure, rate limit, disabled account), user changes, cluster
// deletion and refusals thrown by handlers are recorded with the right user, verb, status and
// source address, the filters and the JSON lines export, and the admin page.
import assert from "node:assert/strict";
import { startTestDashboard, type TestDashboard } from "../../testing/harness.ts";
import type { AuditEvent } from "./store.ts";
import { withTimeout } from "../../testing/eventually.ts";

type Event = Omit<AuditEvent, "at"> & { at: string };

const within = <T>(p: Promise<T>, what: string, ms = 20_000): Promise<T> =>
  withTimeout(p, ms, what);

async function events(dash: TestDashboard, query = ""): Promise<Event[]> {
  const r = await within(dash.api("GET", `/api/audit${query}`, undefined, dash.adminToken), query);
  assert.equal(r.status, 200, r.text);
  return (r.json as { items: Event[] }).items;
}

/** The newest event matching pred. */
async function newest(dash: TestDashboard, pred: (e: Event) => boolean): Promise<Event> {
  const e = (await events(dash, "?limit=1000")).find(pred);
  assert.ok(e, "no such audit event");
  return e;
}

Deno.test({
  name: "REST: the audit trail records writes and logins; admins read and export it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dash = await startTestDashboard({});
    try {
      const admin = dash.adminToken;
      const adminId = (await dash.d.auth.authenticate(admin))!.id;
      const mkUser = async (username: string, role: "viewer" | "editor") => {
        const r = await dash.api(
          "POST",
          "/api/users",
          { username, password: `${username}-password-123`, role },
          admin,
        );
        assert.equal(r.status, 201, r.text);
        const id = (r.json as { id: string }).id;
        return { id, token: await dash.login(username, `${username}-password-123`) };
      };
      const viewer = await mkUser("audit-viewer", "viewer");
      const editor = await mkUser("audit-editor", "editor");

      await t.step("only admins read the trail and its export", async () => {
        for (const path of ["/api/audit", "/api/audit/export"]) {
          assert.equal((await dash.api("GET", path)).status, 401, `${path} anonymous`);
          for (const [who, token] of [["viewer", viewer.token], ["editor", editor.token]]) {
            const r = await within(dash.api("GET", path, undefined, token), path);
            assert.equal(r.status, 403, `${path} ${who}: ${r.text}`);
            assert.match(r.text, /needs the admin role/);
          }
          assert.equal((await dash.api("GET", path, undefined, admin)).status, 200, path);
        }
      });

      await t.step("creating a user and logging in are recorded", async () => {
        const created = await newest(dash, (e) => e.path === "/api/users" && e.status === 201);
        assert.equal(created.verb, "create");
        assert.equal(created.username, "admin");
        assert.equal(created.user_id, adminId);
        assert.equal(created.source, "127.0.0.1");
        assert.equal(created.cluster_id, null);
        const login = await newest(
          dash,
          (e) => e.verb === "login" && e.username === "audit-viewer",
        );
        assert.deepEqual(
          [login.user_id, login.status, login.outcome, login.path, login.source],
          [viewer.id, 200, "success", "/api/auth/login", "127.0.0.1"],
        );
      });

      await t.step("a token creation: user, verb, status; never the token", async () => {
        const r = await dash.api("POST", "/api/tokens", { name: "audited" }, viewer.token);
        assert.equal(r.status, 201, r.text);
        const token = (r.json as { token: string }).token;
        const e = await newest(dash, (e) => e.path === "/api/tokens");
        assert.deepEqual(
          [e.username, e.user_id, e.verb, e.status, e.source, e.outcome],
          ["audit-viewer", viewer.id, "create", 201, "127.0.0.1", null],
        );
        const dump = await dash.d.db.query<{ row: string }>(
          "SELECT a::text AS row FROM audit_events a",
        );
        assert.ok(!dump.some((d) => d.row.includes(token)), "the token is not stored");
        // And its revocation.
        const id = (r.json as { id: string }).id;
        assert.equal(
          (await dash.api("DELETE", `/api/tokens/${id}`, undefined, viewer.token)).status,
          204,
        );
        const del = await newest(dash, (e) => e.path === `/api/tokens/${id}`);
        assert.deepEqual([del.verb, del.status], ["delete", 204]);
      });

      await t.step(
        "failed, rate-limited and disabled logins, with the attempted username",
        async () => {
          const bad = await dash.api("POST", "/api/auth/login", {
            username: "admin",
            password: "not-the-password",
          });
          assert.equal(bad.status, 401);
          const failed = await newest(dash, (e) => e.verb === "login" && e.status === 401);
          assert.deepEqual(
            [failed.username, failed.user_id, failed.outcome, failed.source],
            ["admin", null, "failure", "127.0.0.1"],
          );
          // A name nobody has: recorded as attempted.
          for (let i = 0; i < 10; i++) {
            const r = await dash.api("POST", "/api/auth/login", {
              username: "ghost",
              password: "x",
            });
            assert.equal(r.status, 401);
          }
          const limited = await dash.api("POST", "/api/auth/login", {
            username: "ghost",
            password: "x",
          });
          assert.equal(limited.status, 429, limited.text);
          const ghost = (await events(dash, "?user=ghost&verb=login")).map((e) => e.outcome);
          assert.deepEqual(ghost, ["rate_limited", ...Array(10).fill("failure")]);
          // A body that is no login at all: a failure without a username.
          const junk = await dash.api("POST", "/api/auth/login", "{not json");
          assert.equal(junk.status, 400);
          const j = (await events(dash, "?verb=login&status=400"))[0];
          assert.deepEqual([j.username, j.outcome], [null, "failure"]);
          // A disabled account with the right password.
          const off = await dash.api("PATCH", `/api/users/${editor.id}`, { disabled: true }, admin);
          assert.equal(off.status, 200, off.text);
          const denied = await dash.api("POST", "/api/auth/login", {
            username: "audit-editor",
            password: "audit-editor-password-123",
          });
          assert.equal(denied.status, 403, denied.text);
          const d = await newest(dash, (e) => e.verb === "login" && e.username === "audit-editor");
          assert.deepEqual([d.status, d.outcome, d.user_id], [403, "disabled", null]);
          assert.equal(
            (await dash.api("PATCH", `/api/users/${editor.id}`, { disabled: false }, admin)).status,
            200,
          );
          editor.token = await dash.login("audit-editor", "audit-editor-password-123");
        },
      );

      await t.step("a user change: verb patch on the user's path", async () => {
        const r = await dash.api("PATCH", `/api/users/${viewer.id}`, { role: "viewer" }, admin);
        assert.equal(r.status, 200, r.text);
        const e = await newest(dash, (e) => e.path === `/api/users/${viewer.id}`);
        assert.deepEqual([e.verb, e.status, e.username], ["patch", 200, "admin"]);
        // The password in the body is never stored.
        const pw = "a-secret-new-password-42";
        const p = await dash.api("PATCH", `/api/users/${viewer.id}`, { password: pw }, admin);
        assert.equal(p.status, 200, p.text);
        const dump = await dash.d.db.query<{ row: string }>(
          "SELECT a::text AS row FROM audit_events a",
        );
        assert.ok(!dump.some((d) => d.row.includes(pw)));
        viewer.token = await dash.login("audit-viewer", pw);
      });

      await t.step("a cluster deletion keeps the cluster's id and name", async () => {
        const [c] = await dash.d.db.query<{ id: string }>(
          `INSERT INTO clusters (name, connection_type, kubeconfig_enc, context, server, status)
           VALUES ('audit-gone', 'kubeconfig', '\\x00'::bytea, 'x', 'https://127.0.0.1:1', 'unreachable')
           RETURNING id`,
        );
        const r = await dash.api("DELETE", `/api/clusters/${c.id}`, undefined, admin);
        assert.equal(r.status, 204, r.text);
        const e = (await events(dash, `?cluster=${c.id}`))[0];
        assert.deepEqual(
          [e.verb, e.status, e.cluster_id, e.cluster_name, e.username, e.path],
          ["delete", 204, c.id, "audit-gone", "admin", `/api/clusters/${c.id}`],
        );
      });

      await t.step("refusals thrown by handlers are recorded with their status", async () => {
        const id = "00000000-0000-4000-8000-000000000000";
        const [c] = await dash.d.db.query<{ id: string }>(
          `INSERT INTO clusters (name, connection_type, kubeconfig_enc, context, server, status)
           VALUES ('audit-refusals', 'kubeconfig', '\\x00'::bytea, 'x', 'https://127.0.0.1:1', 'unreachable')
           RETURNING id`,
        );
        // Through the proxy (its refusals of a real cluster are in audit_e2e_test.ts): an unknown
        // cluster.
        const k8s = `/api/clusters/${id}/k8s/api/v1/namespaces/default`;
        // [who, method, path, body, status, verb, cluster (name)]
        type Case = [string, string, string, unknown, number, string, [string, string | null]?];
        const cases: Case[] = [
          [
            viewer.token,
            "POST",
            "/api/users",
            { username: "x", password: "y", role: "viewer" },
            403,
            "create",
          ],
          [viewer.token, "DELETE", `/api/clusters/${c.id}`, undefined, 403, "delete", [
            c.id,
            "audit-refusals",
          ]],
          [viewer.token, "PATCH", `/api/clusters/${c.id}`, { name: "x" }, 403, "patch", [
            c.id,
            "audit-refusals",
          ]],
          [editor.token, "POST", "/api/clusters/agent-token", {}, 403, "create"],
          [editor.token, "POST", `${k8s}/configmaps`, { kind: "ConfigMap" }, 404, "create", [
            id,
            null,
          ]],
          [editor.token, "DELETE", `${k8s}/secrets`, undefined, 404, "deletecollection", [
            id,
            null,
          ]],
          [admin, "DELETE", `/api/users/${id}`, undefined, 404, "delete"],
          [admin, "POST", "/api/no-such-endpoint", {}, 404, "create"],
        ];
        for (const [token, method, path, body, status, verb, cluster] of cases) {
          const r = await within(dash.api(method, path, body, token), path);
          assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
          const e = (await events(dash, "?limit=1"))[0];
          assert.deepEqual(
            [e.verb, e.path, e.status, e.cluster_id, e.cluster_name],
            [verb, path, status, ...(cluster ?? [null, null])],
            `${method} ${path}`,
          );
        }
      });

      await t.step("filters over REST; a bad filter is a 400", async () => {
        const viewerCreates = await events(dash, "?user=audit-viewer&verb=create&status=2xx");
        assert.ok(viewerCreates.length >= 1);
        for (const e of viewerCreates) {
          assert.deepEqual([e.username, e.verb, Math.floor(e.status / 100)], [
            "audit-viewer",
            "create",
            2,
          ]);
        }
        const refused = await events(dash, "?status=403");
        assert.ok(refused.length >= 3 && refused.every((e) => e.status === 403));
        assert.equal(
          (await events(dash, `?since=${new Date(Date.now() + 3600_000).toISOString()}`)).length,
          0,
        );
        assert.ok((await events(dash, "?until=2100-01-01")).length > 10);
        const page = await dash.api("GET", "/api/audit?limit=2", undefined, admin);
        const { items, next_before } = page.json as { items: Event[]; next_before: number };
        assert.equal(items.length, 2);
        assert.equal(next_before, items[1].id);
        const older = await events(dash, `?limit=2&before=${next_before}`);
        assert.ok(older[0].id < next_before);
        const bad: Array<[string, RegExp]> = [
          ["?status=6xx", /status/],
          ["?status=abc", /status/],
          ["?cluster=prod", /cluster/],
          ["?since=yesterday", /since/],
          ["?limit=0", /limit/],
          ["?limit=1001", /limit/],
          ["?before=-1", /before/],
          ["?verb=DROP%20TABLE", /verb/],
          ["?password=x", /unknown filter password/],
        ];
        for (const [q, message] of bad) {
          const r = await dash.api("GET", `/api/audit${q}`, undefined, admin);
          assert.equal(r.status, 400, `${q}: ${r.text}`);
          assert.equal((r.json as { error: { code: string } }).error.code, "bad_request");
          assert.match(r.text, message, q);
          const x = await dash.api("GET", `/api/audit/export${q}`, undefined, admin);
          assert.equal(x.status, 400, `export ${q}`);
        }
      });

      await t.step("the export: JSON lines of the same filters, as a download", async () => {
        const res = await within(
          dash.fetch("/api/audit/export?verb=login&user=ghost", {
            headers: { authorization: `Bearer ${admin}` },
          }),
          "export",
        );
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "application/x-ndjson");
        assert.match(
          res.headers.get("content-disposition") ?? "",
          /^attachment; filename="audit-.*\.jsonl"$/,
        );
        const text = await within(res.text(), "export body");
        assert.ok(text.endsWith("\n"));
        const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l) as Event);
        assert.equal(lines.length, 11);
        assert.deepEqual(lines, await events(dash, "?verb=login&user=ghost"));
        // Everything, more than one export page's worth.
        await dash.d.db.query(
          `INSERT INTO audit_events (username, verb, path, status)
           SELECT 'bulk', 'create', '/bulk/' || i, 201 FROM generate_series(1, 1200) i`,
        );
        const all = await within(
          dash.api("GET", "/api/audit/export", undefined, admin),
          "full export",
        );
        const ids = all.text.trimEnd().split("\n").map((l) => (JSON.parse(l) as Event).id);
        const [{ n }] = await dash.d.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM audit_events",
        );
        assert.equal(ids.length, n);
        assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
      });

      await t.step("the admin page: filters, table, export link; 403 for others", async () => {
        const page = async (path: string, token: string) => {
          const res = await within(
            dash.fetch(path, { headers: { cookie: `kd_session=${token}` } }),
            path,
          );
          return { status: res.status, html: await res.text() };
        };
        const p = await page("/admin/audit?user=ghost&verb=login", admin);
        assert.equal(p.status, 200, p.html.slice(0, 500));
        assert.match(p.html, /data-testid="audit-table"/);
        assert.equal(p.html.match(/data-audit-id=/g)?.length, 11);
        assert.match(p.html, /rate_limited/);
        assert.match(
          p.html,
          /href="\/api\/audit\/export\?user=ghost&amp;verb=login"/,
          "the export carries the filters",
        );
        assert.match(p.html, /href="\/admin\/audit"[^>]*>.*Audit</s, "the nav link");
        // Pagination: "Older" carries the filters and the last id.
        const all = await page("/admin/audit", admin);
        assert.match(all.html, /href="\/admin\/audit\?before=\d+" [^>]*rel="next"/);
        const bad = await page("/admin/audit?status=9xx", admin);
        assert.equal(bad.status, 400);
        assert.match(bad.html, /status/);
        for (const token of [viewer.token, editor.token]) {
          const r = await page("/admin/audit", token);
          assert.equal(r.status, 403);
          assert.match(r.html, /for admins only/);
          assert.doesNotMatch(r.html, /href="\/admin\/audit"/, "no nav link for non-admins");
        }
      });
    } finally {
      await dash.stop();
    }
  },
});
