// End-to-end: the search across clusters against the REAL kube-apiserver, through both kinds of
// cluster (kubeconfig, kubeconfig impersonating, a REAL agent impersonating), by REST with the
// API description checked on every answer. An object is found by name in all three clusters with
// its page; a person with a role on one cluster only gets nothing from the others, and the kinds
// the cluster's RBAC refuses them (Secrets, for the `view` role) are simply absent; a cluster that
// accepts requests but never answers, and an agent cluster whose agent is stopped, are reported
// as partial within the deadline while the others' results arrive; a bad q is the API's 400.
import assert from "node:assert/strict";
import { ensureNamespace, kubeRequest, sharedControlPlane } from "../../tools/testenv/mod.ts";
import { startTestDashboard, type TestDashboard } from "../../testing/harness.ts";
import {
  bindDashboardRoles,
  connectCluster,
  type ConnectedCluster,
} from "../../testing/clusters.ts";
import { startFakeApiServer } from "../../testing/fake_apiserver.ts";
import { eventually } from "../../testing/eventually.ts";
import type { SearchAnswer } from "./service.ts";

const PASSWORD = "a-long-password-for-tests";

async function createUser(t: TestDashboard, username: string, role: string): Promise<string> {
  const r = await t.api("POST", "/api/users", { username, password: PASSWORD, role }, t.adminToken);
  assert.equal(r.status, 201, r.text);
  return await t.login(username, PASSWORD);
}

async function mustCreate(
  cp: Awaited<ReturnType<typeof sharedControlPlane>>,
  path: string,
  body: unknown,
) {
  const r = await kubeRequest(cp, "POST", path, body);
  assert.ok(r.status === 201 || r.status === 409, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** GET /api/search as `token`, with how long it took. */
async function search(t: TestDashboard, token: string, q: string, limit?: number) {
  const started = performance.now();
  const query = new URLSearchParams({ q, ...(limit ? { limit: String(limit) } : {}) });
  const r = await t.api("GET", `/api/search?${query}`, undefined, token);
  assert.equal(r.status, 200, r.text);
  return { answer: r.json as SearchAnswer, ms: performance.now() - started };
}

/** The ids of the clusters an object of `kind` named `name` was found in. */
const foundIn = (a: SearchAnswer, kind: string, name: string) =>
  a.items.filter((i) => i.kind === kind && i.name === name).map((i) => i.cluster_id).sort();

Deno.test({
  name: "search across clusters: found in three, per-person, RBAC, partial within the deadline",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cp = await sharedControlPlane();
    const dash = await startTestDashboard();
    const clusters: ConnectedCluster[] = [];
    const stopFake: (() => void)[] = [];
    const fake = await startFakeApiServer((req, url) =>
      // Accepts, never answers (until the dashboard gives up): every list but the probe's.
      url.pathname === "/version" || url.pathname === "/api/v1/nodes"
        ? null
        : new Promise<Response>((resolve) => {
          req.signal.addEventListener("abort", () => resolve(new Response(null, { status: 504 })));
          stopFake.push(() => resolve(new Response(null, { status: 504 })));
        })
    );
    try {
      const run = Date.now().toString(36);
      const ns = `search-${run}`;
      const needle = `needle-${run}`;
      await ensureNamespace(cp, ns);
      await mustCreate(cp, `/api/v1/namespaces/${ns}/configmaps`, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: needle },
        data: { v: "not for search answers" },
      });
      await mustCreate(cp, `/api/v1/namespaces/${ns}/secrets`, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `${needle}-secret` },
        stringData: { password: "top-secret-value" },
      });
      await bindDashboardRoles(cp);
      clusters.push(await connectCluster(dash, cp, "kubeconfig", `kc-${run}`));
      clusters.push(
        await connectCluster(dash, cp, "kubeconfig", `kci-${run}`, { impersonate: true }),
      );
      clusters.push(await connectCluster(dash, cp, "agent", `agent-${run}`));
      const ids = clusters.map((c) => c.id).sort();

      await t.step("an object is found by name in all three clusters, with its page", async () => {
        // The first search may come before a cold agent answers: typing on finds them all.
        const { answer } = await eventually("the ConfigMap in three clusters", async () => {
          const s = await search(dash, dash.adminToken, needle.toUpperCase());
          return foundIn(s.answer, "ConfigMap", needle).length === 3 ? s : undefined;
        }, 10_000);
        assert.deepEqual(foundIn(answer, "ConfigMap", needle), ids);
        assert.deepEqual(foundIn(answer, "Secret", `${needle}-secret`), ids);
        assert.deepEqual(answer.partial, []);
        const cm = answer.items.find((i) => i.kind === "ConfigMap" && i.cluster_id === ids[0])!;
        assert.equal(cm.namespace, ns);
        assert.equal(cm.url, `/clusters/${ids[0]}/r/core/v1/configmaps/${ns}/${needle}`);
        // The exact name ranks before longer ones.
        assert.equal(answer.items[0].name, needle);
        assert.ok(!JSON.stringify(answer).includes("top-secret-value"), "no Secret data");
        assert.ok(!JSON.stringify(answer).includes("not for search"), "no ConfigMap data");
        // The namespace by name, and the page of a cluster-wide object.
        const nsHit = (await search(dash, dash.adminToken, ns)).answer.items.find((i) =>
          i.kind === "Namespace" && i.cluster_id === ids[0]
        );
        assert.equal(nsHit?.url, `/clusters/${ids[0]}/r/core/v1/namespaces/_/${ns}`);
      });

      await t.step("clusters by name; the limit cuts and says so", async () => {
        const { answer } = await search(dash, dash.adminToken, `kci-${run}`);
        const c = answer.items.find((i) => i.kind === "Cluster");
        assert.equal(c?.url, `/clusters/${clusters[1].id}`);
        assert.equal(c?.name, `kci-${run}`);
        const cut = (await search(dash, dash.adminToken, needle, 2)).answer;
        assert.equal(cut.items.length, 2);
        assert.equal(cut.truncated, true);
      });

      await t.step("a person sees only their clusters; refused kinds are absent", async () => {
        const viewer = await createUser(dash, `search-viewer-${run}`, "none");
        const nobody = await createUser(dash, `search-nobody-${run}`, "none");
        const bound = await dash.api("POST", "/api/role-bindings", {
          subject_kind: "user",
          subject: `search-viewer-${run}`,
          role: "viewer",
          cluster_id: clusters[1].id,
        }, dash.adminToken);
        assert.equal(bound.status, 201, bound.text);
        const { answer } = await search(dash, viewer, needle);
        assert.deepEqual(
          [...new Set(answer.items.map((i) => i.cluster_id))],
          [clusters[1].id],
          "only the impersonating cluster they hold a role on",
        );
        // As dashboard:role:viewer, bound to `view`: ConfigMaps yes, Secrets no, and no error.
        assert.deepEqual(foundIn(answer, "ConfigMap", needle), [clusters[1].id]);
        assert.deepEqual(foundIn(answer, "Secret", `${needle}-secret`), []);
        assert.deepEqual(answer.partial, []);
        // Nor does a cluster they cannot see answer by its name.
        const byName = await search(dash, viewer, `kc-${run}`);
        assert.deepEqual(byName.answer.items.filter((i) => i.name === `kc-${run}`), []);
        const none = await search(dash, nobody, needle);
        assert.deepEqual(none.answer, { items: [], partial: [], truncated: false });
      });

      await t.step(
        "a cluster that never answers is partial; the others arrive in time",
        async () => {
          const added = await dash.api("POST", "/api/clusters", {
            name: `blackhole-${run}`,
            kubeconfig: fake.kubeconfig,
          }, dash.adminToken);
          assert.equal(added.status, 201, added.text);
          const slowId = (added.json as { id: string }).id;
          // A fresh person: nothing cached.
          const fresh = await createUser(dash, `search-fresh-${run}`, "admin");
          const { answer, ms } = await search(dash, fresh, needle);
          assert.ok(ms < 2_000, `answered in ${ms} ms`);
          const slow = answer.partial.find((p) => p.cluster_id === slowId);
          assert.equal(slow?.reason, "timeout", JSON.stringify(answer.partial));
          assert.equal(slow?.cluster_name, `blackhole-${run}`);
          // The real clusters answered (a cold agent may be late once: typing on finds it).
          assert.ok(foundIn(answer, "ConfigMap", needle).length >= 2, JSON.stringify(answer));
          const again = await search(dash, fresh, needle);
          assert.ok(again.ms < 2_000, `answered again in ${again.ms} ms`);
          assert.deepEqual(foundIn(again.answer, "ConfigMap", needle), ids);
          assert.deepEqual(again.answer.partial.map((p) => p.cluster_id), [slowId]);
          const gone = await dash.api(
            "DELETE",
            `/api/clusters/${slowId}`,
            undefined,
            dash.adminToken,
          );
          assert.equal(gone.status, 204);
        },
      );

      await t.step("an agent cluster whose agent is stopped is partial, in time", async () => {
        await clusters[2].agent!.stop();
        const fresh = await createUser(dash, `search-offline-${run}`, "admin");
        const { answer, ms } = await search(dash, fresh, needle);
        assert.ok(ms < 2_000, `answered in ${ms} ms`);
        const offline = answer.partial.find((p) => p.cluster_id === clusters[2].id);
        assert.ok(
          offline && ["unavailable", "timeout"].includes(offline.reason),
          JSON.stringify(answer.partial),
        );
        assert.deepEqual(
          foundIn(answer, "ConfigMap", needle),
          [clusters[0].id, clusters[1].id].sort(),
        );
      });

      await t.step("a bad q is the API's 400 error body", async () => {
        const cases: [string, RegExp][] = [
          ["", /q: give the text to search for/],
          ["?q=", /q: give the text to search for/],
          ["?q=%20%20", /q: give the text to search for/],
          [`?q=${"x".repeat(101)}`, /at most 100 characters/],
          ["?q=web&limit=0", /limit: must be from 1 to 200/],
          ["?q=web&limit=many", /limit: must be a number/],
        ];
        for (const [query, message] of cases) {
          const r = await dash.api("GET", `/api/search${query}`, undefined, dash.adminToken);
          assert.equal(r.status, 400, `${query}: ${r.text}`);
          const body = r.json as { error: { code: string; message: string } };
          assert.equal(body.error.code, "bad_request");
          assert.match(body.error.message, message);
        }
        const anon = await dash.api("GET", "/api/search?q=web");
        assert.equal(anon.status, 401);
      });
    } finally {
      for (const resolve of stopFake) resolve();
      for (const c of clusters) await c.close();
      await fake.stop();
      await dash.stop();
    }
  },
});
