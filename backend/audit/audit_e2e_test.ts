// End-to-end: the audit trail with REAL kubectl through the dashboard against a REAL
// kube-apiserver (a kubeconfig cluster), on both stores. A Secret's create and delete, an exec,
// a viewer's refused delete, a token creation and a failed login appear in /api/audit and in the
// export with the right user, cluster (id and name), verb and status; nothing of the Secret's
// value is stored anywhere in audit_events nor exported. Every wait has a timeout.
import assert from "node:assert/strict";
import { createRunningPod, ensureNamespace, sharedControlPlane } from "../../tools/testenv/mod.ts";
import { startTestDashboard, type StoreKind } from "../../testing/harness.ts";
import { connectCluster, downloadKubeconfig } from "../../testing/clusters.ts";
import type { AuditEvent } from "./store.ts";
import { withTimeout } from "../../testing/eventually.ts";

type Event = Omit<AuditEvent, "at"> & { at: string };

const SECRET = "hunter2-very-secret";

const within = <T>(p: Promise<T>, what: string, ms = 30_000): Promise<T> =>
  withTimeout(p, ms, what);

for (const store of ["pglite", "postgres"] as StoreKind[]) {
  Deno.test({
    name:
      `audit e2e [kubeconfig cluster, ${store}]: kubectl create/delete/exec, token, login; no secret`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const cp = await within(sharedControlPlane(), "control plane", 600_000);
      const dash = await within(startTestDashboard({ store }), "dashboard");
      const ns = `audit-e2e-${store}`;
      try {
        await within(ensureNamespace(cp, ns), "namespace");
        await within(createRunningPod(cp, ns, "shell"), "pod");
        const cluster = await within(
          connectCluster(dash, cp, "kubeconfig", "audit-cluster"),
          "connect the cluster",
        );
        const admin = dash.adminToken;
        const adminKc = await within(downloadKubeconfig(dash, cluster.id, admin), "kubeconfig");
        const kubectl = async (args: string[], kc = adminKc) =>
          await within(
            cp.kubectl(["-n", ns, ...args], {
              kubeconfig: kc,
              signal: AbortSignal.timeout(30_000),
            }),
            `kubectl ${args.join(" ")}`,
          );
        const audit = async (query: string) => {
          const r = await within(dash.api("GET", `/api/audit${query}`, undefined, admin), query);
          assert.equal(r.status, 200, r.text);
          return (r.json as { items: Event[] }).items;
        };
        const base = `/api/clusters/${cluster.id}/k8s/api/v1/namespaces/${ns}`;
        const adminEvent = {
          username: "admin",
          user_id: (await dash.d.auth.authenticate(admin))!.id,
          source: "127.0.0.1",
          cluster_id: cluster.id,
          cluster_name: "audit-cluster",
          outcome: null,
        };
        const pick = (e: Event) => ({
          username: e.username,
          user_id: e.user_id,
          source: e.source,
          cluster_id: e.cluster_id,
          cluster_name: e.cluster_name,
          outcome: e.outcome,
          verb: e.verb,
          path: e.path,
          status: e.status,
        });

        await t.step("kubectl create secret and delete secret are recorded", async () => {
          const created = await kubectl([
            "create",
            "secret",
            "generic",
            "s1",
            `--from-literal=password=${SECRET}`,
          ]);
          assert.equal(created.code, 0, created.stderr);
          const deleted = await kubectl(["delete", "secret", "s1"]);
          assert.equal(deleted.code, 0, deleted.stderr);
          const events = await audit(`?cluster=${cluster.id}`);
          assert.deepEqual(events.slice(0, 2).map(pick), [
            { ...adminEvent, verb: "delete", path: `${base}/secrets/s1`, status: 200 },
            { ...adminEvent, verb: "create", path: `${base}/secrets`, status: 201 },
          ]);
          // Reads (kubectl's discovery, the GETs) are not recorded.
          assert.ok(events.every((e) => e.verb !== "get"));
        });

        await t.step("an exec is recorded as exec with its 101, without its command", async () => {
          const r = await kubectl(["exec", "shell", "--", "echo", SECRET]);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.stdout, `${SECRET}\n`);
          const [e] = await audit(`?cluster=${cluster.id}&verb=exec`);
          assert.deepEqual(pick(e), {
            ...adminEvent,
            verb: "exec",
            path: `${base}/pods/shell/exec`,
            status: 101,
          });
        });

        await t.step("a viewer's delete through kubectl is recorded with its 403", async () => {
          const created = await dash.api("POST", "/api/users", {
            username: "audit-viewer",
            password: "audit-viewer-password",
            role: "viewer",
          }, admin);
          assert.equal(created.status, 201, created.text);
          const viewerKc = await downloadKubeconfig(
            dash,
            cluster.id,
            await dash.login("audit-viewer", "audit-viewer-password"),
          );
          const denied = await kubectl(["delete", "pod", "shell"], viewerKc);
          assert.notEqual(denied.code, 0);
          const [e] = await audit(`?cluster=${cluster.id}&user=audit-viewer&verb=delete`);
          assert.equal(e.status, 403);
          assert.equal(e.path, `${base}/pods/shell`);
          // The viewer's kubeconfig download is recorded too (it minted an API token).
          const [dl] = await audit(`?user=audit-viewer&verb=download`);
          assert.equal(dl.status, 200);
          assert.equal(dl.cluster_name, "audit-cluster");
        });

        await t.step("a token creation and a failed login are recorded", async () => {
          const tok = await dash.api("POST", "/api/tokens", { name: "ci" }, admin);
          assert.equal(tok.status, 201, tok.text);
          const bad = await dash.api("POST", "/api/auth/login", {
            username: "admin",
            password: SECRET,
          });
          assert.equal(bad.status, 401);
          const [login, token] = await audit("?limit=2");
          assert.deepEqual(pick(login), {
            username: "admin",
            user_id: null,
            source: "127.0.0.1",
            cluster_id: null,
            cluster_name: null,
            outcome: "failure",
            verb: "login",
            path: "/api/auth/login",
            status: 401,
          });
          assert.deepEqual(pick(token), {
            ...adminEvent,
            cluster_id: null,
            cluster_name: null,
            verb: "create",
            path: "/api/tokens",
            status: 201,
          });
        });

        await t.step("the export has them all; the secret is nowhere", async () => {
          const res = await within(
            dash.fetch("/api/audit/export", { headers: { authorization: `Bearer ${admin}` } }),
            "export",
          );
          assert.equal(res.status, 200);
          const text = await within(res.text(), "export body");
          const exported = text.trimEnd().split("\n").map((l) => JSON.parse(l) as Event);
          assert.deepEqual(exported, await audit("?limit=1000"));
          const has = (verb: string, status: number, path: string) =>
            exported.some((e) => e.verb === verb && e.status === status && e.path === path);
          assert.ok(has("create", 201, `${base}/secrets`));
          assert.ok(has("delete", 200, `${base}/secrets/s1`));
          assert.ok(has("exec", 101, `${base}/pods/shell/exec`));
          assert.ok(has("create", 201, "/api/tokens"));
          assert.ok(has("login", 401, "/api/auth/login"));

          const encoded = btoa(SECRET);
          const rows = await dash.d.db.query<{ row: string }>(
            "SELECT a::text AS row FROM audit_events a",
          );
          assert.ok(rows.length >= 5);
          for (const needle of [SECRET, encoded]) {
            assert.ok(!rows.some((r) => r.row.includes(needle)), `${needle} stored`);
            assert.ok(!text.includes(needle), `${needle} exported`);
          }
        });
      } finally {
        await dash.stop();
        await dash.dropDb?.();
      }
    },
  });
}
