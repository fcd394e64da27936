// End-to-end: every person acts as themselves. Against the REAL kube-apiserver (with its audit log),
// REAL kubectl with each user's downloaded kubeconfig, and a REAL agent: on a kubeconfig cluster
// set to impersonate and on an agent cluster (admin preset: impersonation by default), RBAC bound
// to the dashboard user `alice` and to her groups decides what she may do, the API server's audit
// log names her, and a client-sent Impersonate-User changes nothing. Per-cluster roles: a user
// with a role on one cluster only (by id, or by label for a group) sees no other cluster: not in
// lists, not in the live status stream, 404 on its API, proxy and pages.
import assert from "node:assert/strict";
import { ensureNamespace, kubeRequest, sharedControlPlane } from "../../tools/testenv/mod.ts";
import { startTestDashboard, type TestDashboard } from "../../testing/harness.ts";
import { connectCluster, type ConnectionKind, downloadKubeconfig } from "../../testing/clusters.ts";
import { SESSION_COOKIE } from "../../common/session.ts";

const PASSWORD = "a-long-password-for-tests";

async function createUser(
  t: TestDashboard,
  username: string,
  role: string,
  groups: string[] = [],
): Promise<string> {
  const r = await t.api("POST", "/api/users", { username, password: PASSWORD, role }, t.adminToken);
  assert.equal(r.status, 201, r.text);
  const id = (r.json as { id: string }).id;
  if (groups.length) {
    const g = await t.api("PATCH", `/api/users/${id}`, { groups }, t.adminToken);
    assert.equal(g.status, 200, g.text);
  }
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

/** A Role in `ns` allowing `verbs` on `resource`, bound to one subject. */
async function grant(
  cp: Awaited<ReturnType<typeof sharedControlPlane>>,
  ns: string,
  name: string,
  resource: string,
  subject: { kind: "User" | "Group"; name: string },
) {
  await mustCreate(cp, `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name },
    rules: [{ apiGroups: [""], resources: [resource], verbs: ["get", "list", "watch"] }],
  });
  await mustCreate(cp, `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", ...subject }],
  });
}

const kinds: ConnectionKind[] = ["kubeconfig", "agent"];

Deno.test({
  name: "identity: alice acts as herself on a kubeconfig and an agent cluster",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cp = await sharedControlPlane();
    const dash = await startTestDashboard();
    try {
      const alice = await createUser(dash, "alice", "editor", ["team-x"]);
      for (const kind of kinds) {
        await t.step(kind, async () => {
          // No role groups bound (bindRoles false): alice may do exactly what is granted below.
          const cluster = await connectCluster(dash, cp, kind, `id-${kind}`, {
            bindRoles: false,
            impersonate: true,
          });
          try {
            const got = await dash.api("GET", `/api/clusters/${cluster.id}`, undefined, alice);
            assert.equal((got.json as { impersonate: boolean }).impersonate, true);
            assert.equal((got.json as { my_role: string }).my_role, "editor");

            const a = `${kind}-a`, b = `${kind}-b`;
            await ensureNamespace(cp, a);
            await ensureNamespace(cp, b);
            await grant(cp, a, "alice-pods", "pods", { kind: "User", name: "dashboard:alice" });
            await grant(cp, a, "team-x-cms", "configmaps", {
              kind: "Group",
              name: "dashboard:team-x",
            });
            await grant(cp, a, "editors-svcs", "services", {
              kind: "Group",
              name: "dashboard:role:editor",
            });
            const kc = await downloadKubeconfig(dash, cluster.id, alice);
            const kubectl = (args: string[]) => cp.kubectl(args, { kubeconfig: kc });

            const own = await kubectl(["get", "pods", "-n", a]);
            assert.equal(own.code, 0, own.stderr);
            const other = await kubectl(["get", "pods", "-n", b]);
            assert.notEqual(other.code, 0, "pods in b are not alice's to list");
            assert.match(other.stderr, /User "dashboard:alice" cannot list resource "pods"/);
            // Both of her groups reach the API server, each on its own header line.
            for (const resource of ["configmaps", "services"]) {
              const r = await kubectl(["get", resource, "-n", a]);
              assert.equal(r.code, 0, `${resource} through a group binding: ${r.stderr}`);
            }
            // A client-sent impersonation is never forwarded: she is still herself.
            const as = await kubectl(["--as", "system:admin", "get", "pods", "-n", b]);
            assert.notEqual(as.code, 0);
            assert.match(as.stderr, /dashboard:alice/);
            const asGroup = await kubectl([
              "--as",
              "dashboard:alice",
              "--as-group",
              "system:masters",
              "get",
              "pods",
              "-n",
              b,
            ]);
            assert.notEqual(asGroup.code, 0, "a client-sent Impersonate-Group is dropped");

            const events = await cp.auditEvents();
            const listed = events.find((e) =>
              e.requestURI.startsWith(`/api/v1/namespaces/${a}/pods`) &&
              e.impersonatedUser?.username === "dashboard:alice"
            );
            assert.ok(listed, "the API server's audit log names dashboard:alice");
            assert.deepEqual(
              // The API server adds system:authenticated to every impersonated user itself.
              (listed.impersonatedUser?.groups ?? []).filter((g) => g !== "system:authenticated")
                .sort(),
              ["dashboard:role:editor", "dashboard:team-x"],
            );
            assert.ok(
              !events.some((e) =>
                e.impersonatedUser?.username === "system:admin" ||
                e.impersonatedUser?.groups?.includes("system:masters")
              ),
              "no request acted as system:admin or system:masters",
            );
          } finally {
            await cluster.close();
          }
        });
      }
    } finally {
      await dash.stop();
    }
  },
});

Deno.test({
  name: "identity: a role on one cluster shows that cluster only (by id and by label)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cp = await sharedControlPlane();
    const dash = await startTestDashboard();
    try {
      const x = await connectCluster(dash, cp, "kubeconfig", "roles-x");
      const y = await connectCluster(dash, cp, "kubeconfig", "roles-y");
      const lab = await dash.api(
        "PATCH",
        `/api/clusters/${x.id}`,
        { labels: { env: "prod" } },
        dash.adminToken,
      );
      assert.equal(lab.status, 200, lab.text);
      const bob = await createUser(dash, "bob", "none");
      const carol = await createUser(dash, "carol", "none", ["ops"]);
      const bind = (body: unknown, token = dash.adminToken) =>
        dash.api("POST", "/api/role-bindings", body, token);

      await t.step(
        "only admins manage bindings; bad bindings are refused with the reason",
        async () => {
          const byBob = await bind(
            { subject_kind: "user", subject: "bob", role: "admin", cluster_id: x.id },
            bob,
          );
          assert.equal(byBob.status, 403);
          for (
            const [body, why] of [
              [{ subject_kind: "user", subject: "bob", role: "owner", cluster_id: x.id }, /role/],
              [
                { subject_kind: "user", subject: "bob", role: "viewer" },
                /cluster_id or cluster_selector/,
              ],
              [
                { subject_kind: "team", subject: "bob", role: "viewer", cluster_id: x.id },
                /subject_kind/,
              ],
              [
                { subject_kind: "group", subject: "Ops,admins", role: "viewer", cluster_id: x.id },
                /group/,
              ],
              [
                { subject_kind: "group", subject: "ops", role: "viewer", cluster_selector: {} },
                /label/,
              ],
            ] as const
          ) {
            const r = await bind(body);
            assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
            assert.match(r.text, why);
          }
          const missing = await bind({
            subject_kind: "user",
            subject: "bob",
            role: "viewer",
            cluster_id: crypto.randomUUID(),
          });
          assert.equal(missing.status, 404);
        },
      );

      const created = await bind({
        subject_kind: "user",
        subject: "bob",
        role: "viewer",
        cluster_id: x.id,
      });
      assert.equal(created.status, 201, created.text);
      const byLabel = await bind({
        subject_kind: "group",
        subject: "ops",
        role: "editor",
        cluster_selector: { env: "prod" },
      });
      assert.equal(byLabel.status, 201, byLabel.text);

      for (
        const [who, token, role] of [["bob", bob, "viewer"], ["carol", carol, "editor"]] as const
      ) {
        await t.step(`${who} sees cluster x only, as ${role}`, async () => {
          const list = await dash.api("GET", "/api/clusters", undefined, token);
          const items = (list.json as { items: { id: string; my_role: string }[] }).items;
          assert.deepEqual(items.map((i) => [i.id, i.my_role]), [[x.id, role]]);
          assert.equal(
            (await dash.api("GET", `/api/clusters/${y.id}`, undefined, token)).status,
            404,
          );
          assert.equal(
            (await dash.api("GET", `/api/clusters/${y.id}/kubeconfig`, undefined, token)).status,
            404,
          );
          const proxied = await dash.api(
            "GET",
            `/api/clusters/${y.id}/k8s/api/v1/namespaces`,
            undefined,
            token,
          );
          assert.equal(proxied.status, 404);
          assert.equal((proxied.json as { kind: string }).kind, "Status");
          const ok = await dash.api(
            "GET",
            `/api/clusters/${x.id}/k8s/api/v1/namespaces`,
            undefined,
            token,
          );
          assert.equal(ok.status, 200, ok.text);
          const write = await dash.api(
            "POST",
            `/api/clusters/${x.id}/k8s/api/v1/namespaces/default/configmaps`,
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `by-${who}` } },
            token,
          );
          assert.equal(write.status, role === "viewer" ? 403 : 201, write.text);
          const cookie = { cookie: `${SESSION_COOKIE}=${token}` };
          const page = await dash.fetch(`/clusters/${y.id}`, { headers: cookie });
          await page.body?.cancel();
          assert.equal(page.status, 404);
          const own = await dash.fetch(`/clusters/${x.id}`, { headers: cookie });
          await own.body?.cancel();
          assert.equal(own.status, 200);
          // The live status stream sends cluster x only.
          const ac = new AbortController();
          const timer = setTimeout(() => ac.abort(), 10_000);
          try {
            const sse = await dash.fetch("/api/clusters/events", {
              headers: { authorization: `Bearer ${token}` },
              signal: ac.signal,
            });
            const reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
            let text = "";
            const readUntil = async (times: number) => {
              while (text.split(x.id).length - 1 < times) {
                const r = await reader.read();
                if (r.done) break;
                text += r.value;
              }
            };
            await readUntil(1);
            // A change on y, then one on x: x's event arrives after y's would have.
            for (const id of [y.id, x.id]) {
              const r = await dash.api(
                "PATCH",
                `/api/clusters/${id}`,
                { labels: id === x.id ? { env: "prod" } : { touched: who } },
                dash.adminToken,
              );
              assert.equal(r.status, 200, r.text);
            }
            await readUntil(2);
            await reader.cancel();
            assert.ok(text.split(x.id).length - 1 >= 2, "cluster x is on the stream, twice");
            assert.ok(!text.includes(y.id), "cluster y is not");
          } finally {
            clearTimeout(timer);
            ac.abort();
          }
        });
      }

      await t.step("removing the binding takes the cluster away at once", async () => {
        const id = (created.json as { id: string }).id;
        const del = await dash.api(
          "DELETE",
          `/api/role-bindings/${id}`,
          undefined,
          dash.adminToken,
        );
        assert.equal(del.status, 204);
        const list = await dash.api("GET", "/api/clusters", undefined, bob);
        assert.deepEqual((list.json as { items: unknown[] }).items, []);
        const proxied = await dash.api(
          "GET",
          `/api/clusters/${x.id}/k8s/api/v1/namespaces`,
          undefined,
          bob,
        );
        assert.equal(proxied.status, 404);
      });
      await x.close();
      await y.close();
    } finally {
      await dash.stop();
    }
  },
});
