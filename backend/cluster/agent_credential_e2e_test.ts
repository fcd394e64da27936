// Regression test for issue #16, finding 1: a dashboard user must never read or change an
// agent's own credential Secret through /api/clusters/{id}/k8s/... . Everything is real: the
// chart is installed with helm into the real kube-apiserver, the real agent runs as the chart's
// ServiceAccount (with the chart's ConfigMap and token Secret, its credential kept in the chart's
// Secret) and a real dashboard carries the requests of a viewer and an editor. The credential
// Secret gets a non-default name (credentialSecret.name), so what is checked here is the agent's
// own guard (agent/credential_guard.ts), not the dashboard proxy's check of the default name.
import assert from "node:assert/strict";
import {
  type ControlPlane,
  ensureNamespace,
  kubeRequest,
  sharedControlPlane,
} from "../../tools/testenv/mod.ts";
import {
  type RunningAgent,
  startTestDashboard,
  type TestDashboard,
} from "../../testing/harness.ts";
import { installChart, startChartAgent } from "../../testing/chart.ts";
import { eventually } from "../../testing/eventually.ts";
import { getCluster, waitForAgentCluster } from "../../testing/clusters.ts";

const OTHER = "other-secret";

type SecretJson = {
  metadata: { name: string; resourceVersion: string };
  data?: Record<string, string>;
};

async function readSecret(cp: ControlPlane, ns: string, name: string): Promise<SecretJson | null> {
  const r = await kubeRequest(cp, "GET", `/api/v1/namespaces/${ns}/secrets/${name}`);
  if (r.status === 404) return null;
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as SecretJson;
}

async function putOther(cp: ControlPlane, ns: string): Promise<void> {
  const r = await kubeRequest(cp, "POST", `/api/v1/namespaces/${ns}/secrets`, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: OTHER },
    stringData: { note: "an ordinary Secret next to the credential" },
  });
  assert.ok(r.status === 201 || r.status === 409, JSON.stringify(r.body));
}

async function makeUser(t: TestDashboard, role: "viewer" | "editor"): Promise<string> {
  const username = `${role}-cred-e2e`;
  const password = `${role}-password-for-e2e`;
  const r = await t.api("POST", "/api/users", { username, password, role }, t.adminToken);
  assert.equal(r.status, 201, r.text);
  return await t.login(username, password);
}

/** Names of the objects a list answer holds, or of the objects a watch stream's events carry. */
function namesIn(text: string): string[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  if (trimmed.startsWith("{") && !trimmed.includes("\n")) {
    const j = JSON.parse(trimmed) as { items?: SecretJson[]; object?: SecretJson };
    if (j.items) return j.items.map((i) => i.metadata.name);
  }
  return trimmed.split("\n").map((l) => JSON.parse(l) as { type: string; object: SecretJson })
    .filter((e) => e.type !== "BOOKMARK" && e.object?.metadata?.name)
    .map((e) => e.object.metadata.name);
}

const presets = [
  // The preset of the report: its agent may get its credential Secret and nothing else secret.
  { preset: "read-only", ns: "agent-cred-ro", secret: "ro-agent-credential", listsSecrets: false },
  // Lists, watches and deletecollection of Secrets are allowed: filtering is what protects it.
  { preset: "admin", ns: "agent-cred-admin", secret: "admin-agent-credential", listsSecrets: true },
] as const;

Deno.test("agent credential Secret: viewers and editors can neither read nor change it", async (t) => {
  const cp = await sharedControlPlane();
  const dash = await startTestDashboard();
  const agents: RunningAgent[] = [];
  try {
    const viewer = await makeUser(dash, "viewer");
    const editor = await makeUser(dash, "editor");
    for (const p of presets) {
      await t.step(`preset ${p.preset}, credential Secret ${p.ns}/${p.secret}`, async (t) => {
        const name = `cred-${p.preset}`;
        const tok = await dash.api("POST", "/api/clusters/agent-token", {
          cluster_name: name,
          permissions: p.preset,
        }, dash.adminToken);
        assert.equal(tok.status, 201, tok.text);
        await ensureNamespace(cp, p.ns);
        await installChart(cp, p.ns, {
          dashboard: { url: dash.d.agentUrl, caHash: dash.d.caHash },
          token: (tok.json as { token: string }).token,
          clusterName: name,
          credentialSecret: { name: p.secret },
          rbac: { preset: p.preset },
        });
        await putOther(cp, p.ns);
        // The same name in another namespace is not the agent's; only whole-cluster lists hide it.
        await ensureNamespace(cp, `${p.ns}-elsewhere`);
        await kubeRequest(cp, "POST", `/api/v1/namespaces/${p.ns}-elsewhere/secrets`, {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: p.secret },
          stringData: { note: "not an agent's" },
        });

        let agent = await startChartAgent(dash, cp, p.ns, { withToken: true });
        agents.push(agent);
        const cluster = await waitForAgentCluster(dash, name, 30_000).catch(async (err) => {
          throw new Error(`${err.message}\n${(await agent.logs()).slice(-3000)}`);
        });
        // People act as the agent here (no impersonation), where its credential is most exposed:
        // its own rights are theirs. The guard works on paths, whoever the request acts as.
        const off = await dash.api(
          "PATCH",
          `/api/clusters/${cluster.id}`,
          { impersonate: false },
          dash.adminToken,
        );
        assert.equal(off.status, 200, off.text);
        const stored = await eventually("the credential stored", async () => {
          const s = await readSecret(cp, p.ns, p.secret);
          return s?.data?.["credential.json"] ? s : undefined;
        });
        const b64 = stored.data!["credential.json"];
        const credential = (JSON.parse(atob(b64)) as { credential: string }).credential;
        const objPath = `/api/v1/namespaces/${p.ns}/secrets/${p.secret}`;

        /** A request through the dashboard's proxy; no answer may ever carry the credential. */
        const through = async (token: string, method: string, path: string, body?: unknown) => {
          const res = await dash.fetch(`/api/clusters/${cluster.id}/k8s${path}`, {
            method,
            headers: {
              authorization: `Bearer ${token}`,
              ...(body === undefined ? {} : {
                "content-type": method === "PATCH"
                  ? "application/merge-patch+json"
                  : "application/json",
              }),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const text = await res.text();
          const what = `${method} ${path} -> ${res.status}`;
          assert.ok(!text.includes(b64) && !text.includes(credential), `${what} leaked it`);
          return { status: res.status, text, what };
        };
        const refused = async (token: string, method: string, path: string, body?: unknown) => {
          const r = await through(token, method, path, body);
          assert.equal(r.status, 403, `${r.what}: ${r.text.slice(0, 300)}`);
          const status = JSON.parse(r.text) as { kind: string; code: number; message: string };
          assert.equal(status.kind, "Status", r.what);
          assert.equal(status.code, 403, r.what);
          return status.message;
        };

        const last = p.secret.at(-1)!;
        const objectReads = [
          objPath,
          `${objPath}/`,
          `/api/v1//namespaces/${p.ns}//secrets//${p.secret}`,
          `${objPath.slice(0, -1)}%${last.charCodeAt(0).toString(16)}`,
          `/api/v1/namespaces/${p.ns}/%73ecrets/${p.secret}`,
          `${objPath}?watch=true&timeoutSeconds=2`,
          `/api/v1/watch/namespaces/${p.ns}/secrets/${p.secret}?timeoutSeconds=2`,
          `${objPath}?fieldSelector=metadata.name%3D${p.secret}`,
        ];
        for (const [who, token] of [["viewer", viewer], ["editor", editor]] as const) {
          await t.step(`${who}: every read of the object is refused by the agent`, async () => {
            for (const path of objectReads) {
              assert.match(
                await refused(token, "GET", path),
                /holds this agent's credential/,
                path,
              );
            }
          });
        }

        await t.step("editor: PUT, PATCH, DELETE and apply of the object are refused", async () => {
          const evil = {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: p.secret, namespace: p.ns },
            data: { "credential.json": btoa("{}") },
          };
          for (
            const [method, path, body] of [
              ["PUT", objPath, evil],
              ["PATCH", objPath, { data: { "credential.json": btoa("{}") } }],
              ["DELETE", objPath, undefined],
              ["DELETE", `${objPath}/`, undefined],
              ["PATCH", `${objPath}?fieldManager=kubectl&force=true`, evil],
            ] as const
          ) {
            assert.match(await refused(editor, method, path, body), /agent's credential/);
          }
          // A viewer is stopped earlier, by the dashboard (viewers only read).
          await refused(viewer, "PUT", objPath, evil);
          await refused(viewer, "DELETE", objPath);
        });

        if (p.listsSecrets) {
          for (const [who, token] of [["viewer", viewer], ["editor", editor]] as const) {
            await t.step(`${who}: lists and watches of Secrets leave it out`, async () => {
              const cases: Array<[path: string, expect: string[]]> = [
                [`/api/v1/namespaces/${p.ns}/secrets`, [OTHER]],
                [`/api/v1/namespaces/${p.ns}/secrets/`, [OTHER]],
                [
                  `/api/v1/namespaces/${p.ns}/secrets?fieldSelector=metadata.name%3D${p.secret}`,
                  [],
                ],
                [`/api/v1/namespaces/${p.ns}/secrets?fieldSelector=metadata.name%3D${OTHER}`, [
                  OTHER,
                ]],
                [`/api/v1/namespaces/${p.ns}/secrets?watch=true&timeoutSeconds=2`, [OTHER]],
                [`/api/v1/watch/namespaces/${p.ns}/secrets?timeoutSeconds=2`, [OTHER]],
                [`/api/v1/secrets`, [OTHER]],
                [`/api/v1/secrets?watch=1&timeoutSeconds=2`, [OTHER]],
                [`/api/v1/watch/secrets?timeoutSeconds=2`, [OTHER]],
              ];
              for (const [path, expect] of cases) {
                const r = await through(token, "GET", path);
                assert.equal(r.status, 200, `${r.what}: ${r.text.slice(0, 300)}`);
                const names = namesIn(r.text);
                assert.ok(!names.includes(p.secret), `${r.what} listed ${p.secret}: ${names}`);
                for (const n of expect) {
                  assert.ok(names.includes(n), `${r.what} lacks ${n}: ${names}`);
                }
              }
              // Other namespaces are untouched: the same name there is listed by namespace.
              const elsewhere = await through(
                token,
                "GET",
                `/api/v1/namespaces/${p.ns}-elsewhere/secrets`,
              );
              assert.deepEqual(namesIn(elsewhere.text), [p.secret]);
            });
          }

          await t.step("editor: deletecollection never deletes it", async () => {
            const targeted = await through(
              editor,
              "DELETE",
              `/api/v1/namespaces/${p.ns}/secrets?fieldSelector=metadata.name%3D${p.secret}`,
            );
            assert.equal(targeted.status, 200, targeted.text.slice(0, 300));
            assert.deepEqual(namesIn(targeted.text), []);
            const all = await through(editor, "DELETE", `/api/v1/namespaces/${p.ns}/secrets`);
            assert.equal(all.status, 200, all.text.slice(0, 300));
            assert.ok(namesIn(all.text).includes(OTHER), all.text.slice(0, 300));
            assert.equal(await readSecret(cp, p.ns, OTHER), null, "the other Secret was deleted");
          });
        }

        await t.step("the credential Secret is exactly as the agent wrote it", async () => {
          const now = await readSecret(cp, p.ns, p.secret);
          assert.equal(now?.metadata.resourceVersion, stored.metadata.resourceVersion);
          assert.deepEqual(now?.data, stored.data);
        });

        await t.step(
          "the agent's own access still works: a restart reconnects with it",
          async () => {
            await agent.stop();
            await eventually(
              "the cluster disconnected",
              async () => (await getCluster(dash, cluster.id)).status !== "connected",
            );
            agent = await startChartAgent(dash, cp, p.ns, { withToken: false });
            agents.push(agent);
            const again = await waitForAgentCluster(dash, name, 30_000);
            assert.equal(again.id, cluster.id);
            await refused(viewer, "GET", objPath);
            await agent.stop();
            assert.doesNotMatch(await agent.logs(), /registered with the dashboard/);
          },
        );
      });
    }
  } finally {
    for (const a of agents) await a.stop();
    await dash.stop();
  }
});
