// A slow reader through an agent (issue #23 item 1), against the REAL kube-apiserver and a REAL
// agent process behind a test dashboard: a client reads 1 MB of a ~50 MB `identity` LIST through
// the dashboard's proxy and pauses; the agent must stop reading the API server's answer too (its
// RSS stays well below the list's size), and when the client reads on, the whole list arrives.
// Once as the admin on the main agent (no impersonation), once as a person with two groups on an
// impersonating agent (one Impersonate-Group line per group: only her second group may list).
// Then the same two through a kubeconfig cluster, watching a dashboard process's RSS: Deno's
// fetch for the admin, node:https for the two groups (separate Impersonate-Group lines).
import assert from "node:assert/strict";
import { type ControlPlane, createConfigMaps, kubeRequest } from "../tools/testenv/mod.ts";
import { startTestDashboard } from "../testing/harness.ts";
import { connectCluster } from "../testing/clusters.ts";
import { k8s, mainAgentTest, shared, sleep } from "../e2e/agent_fixtures.ts";
import { sharedControlPlane } from "../tools/testenv/mod.ts";
import { startDashboardProcess } from "../bench/dashboard_process.ts";

const NS = "slow-reader";
const COUNT = 250;
const BYTES = 200_000; // 250 × 200 KB: a 50 MB list
// Paused readers measured +0 to +9 MB with backpressure holding, +46 to +105 MB without.
const RSS_BOUND_MB = 24;
const PATH = `/api/v1/namespaces/${NS}/configmaps`;

let made: Promise<void> | undefined;
/** The big list, made once per run. */
function bigList(cp: ControlPlane): Promise<void> {
  made ??= createConfigMaps(cp, NS, COUNT, BYTES);
  return made;
}

/** The process's resident set in MB (VmRSS). */
async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  assert.ok(m, "no VmRSS");
  return Number(m[1]) / 1024;
}

/**
 * Reads 1 MB of the list `get` answers, pauses 4 s watching process `pid`'s RSS (an agent's or
 * a dashboard's), reads the rest and checks it; fails when the RSS grew by RSS_BOUND_MB or more
 * over its level before the request.
 */
async function pausedRead(
  pid: number,
  get: (path: string) => Promise<Response>,
  what: string,
): Promise<void> {
  // Warm the agent's path (connections, code, buffers) with a 6 MB read, then take its baseline.
  const warm = await get(`${PATH}?limit=30`);
  assert.equal(warm.status, 200, await warm.clone().text());
  await warm.arrayBuffer();
  await sleep(500);
  const before = await rssMb(pid);

  const res = await get(PATH);
  assert.equal(res.status, 200);
  assert.ok(!res.headers.get("content-encoding"), "the list must arrive unencoded");
  const reader = res.body!.getReader();
  const chunks: Uint8Array[] = [];
  let got = 0;
  while (got < 1024 * 1024) {
    const r = await reader.read();
    assert.ok(!r.done, "the list ended early");
    chunks.push(r.value);
    got += r.value.length;
  }
  let peak = before;
  const samples: number[] = [];
  for (let i = 0; i < 16; i++) {
    await sleep(250);
    peak = Math.max(peak, await rssMb(pid));
    samples.push(Math.round(await rssMb(pid)));
  }
  const grew = peak - before;
  console.log(
    `  ${what}: RSS ${before.toFixed(0)} → ${peak.toFixed(0)} MB (+${
      grew.toFixed(0)
    } MB) while the reader paused after ${(got / 1048576).toFixed(1)} MB of a ${
      (COUNT * BYTES / 1048576).toFixed(0)
    } MB list; samples ${samples.join(" ")}`,
  );
  // Read on: the whole list arrives and is valid.
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    chunks.push(r.value);
    got += r.value.length;
  }
  const body = new Uint8Array(got);
  let off = 0;
  for (const c of chunks) {
    body.set(c, off);
    off += c.length;
  }
  const list = JSON.parse(new TextDecoder().decode(body)) as {
    items: Array<{ metadata: { name: string }; data: { v: string } }>;
  };
  const ours = list.items.filter((cm) => cm.metadata.name.startsWith("cm-"));
  assert.equal(ours.length, COUNT);
  assert.ok(ours.every((cm) => cm.data.v.length === BYTES));
  assert.ok(
    grew < RSS_BOUND_MB,
    `${what}: the RSS grew by ${
      grew.toFixed(0)
    } MB while its reader paused (bound ${RSS_BOUND_MB} MB)`,
  );
}

/** RBAC: only the group dashboard:team-slow may list the namespace's ConfigMaps. */
async function groupMayList(cp: ControlPlane): Promise<void> {
  // Only her second group may list the ConfigMaps: the API server must see both lines.
  const role = "slow-reader-list";
  for (
    const [path, body] of [
      [`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, {
        metadata: { name: role },
        rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] }],
      }],
      [`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
        metadata: { name: role },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role },
        subjects: [{
          apiGroup: "rbac.authorization.k8s.io",
          kind: "Group",
          name: "dashboard:team-slow",
        }],
      }],
    ] as const
  ) {
    const r = await kubeRequest(cp, "POST", path, body);
    assert.ok(r.status === 201 || r.status === 409, `${path}: ${r.status}`);
  }
}

/** An admin's REST call, as the test dashboard and a dashboard process each make it. */
type AdminCall = (
  method: string,
  path: string,
  body: unknown,
) => Promise<{ status: number; json: unknown; text: string }>;

/**
 * The person of the impersonation cases: role viewer and group team-slow, so that the API server
 * sees two Impersonate-Group lines (dashboard:role:viewer, dashboard:team-slow). Their token.
 */
async function slowpoke(
  call: AdminCall,
  login: (username: string, password: string) => Promise<string>,
): Promise<string> {
  const password = "a-long-password-for-tests";
  const u = await call("POST", "/api/users", { username: "slowpoke", password, role: "viewer" });
  assert.equal(u.status, 201, u.text);
  const g = await call("PATCH", `/api/users/${(u.json as { id: string }).id}`, {
    groups: ["team-slow"],
  });
  assert.equal(g.status, 200, g.text);
  return await login("slowpoke", password);
}

const identity = { "accept-encoding": "identity" };

mainAgentTest(
  "agent: a paused reader of a big LIST holds the agent's upstream reads back",
  async (_t, { cp, api, clusterId, agent }) => {
    await bigList(cp);
    await pausedRead(
      agent.process.pid,
      (path) => k8s(api, clusterId, path, { headers: identity }),
      "agent, admin",
    );
  },
);

Deno.test({
  name: "agent: the same for a person with two impersonated groups",
  ...shared,
  async fn() {
    const cp = await sharedControlPlane();
    await bigList(cp);
    await groupMayList(cp);
    const dash = await startTestDashboard();
    let cluster: Awaited<ReturnType<typeof connectCluster>> | undefined;
    try {
      const token = await slowpoke(
        async (method, path, body) => {
          const r = await dash.api(method, path, body, dash.adminToken);
          return { status: r.status, json: r.json, text: r.text };
        },
        dash.login,
      );
      cluster = await connectCluster(dash, cp, "agent", "slow-imp", { bindRoles: false });
      const id = cluster.id;
      await pausedRead(
        cluster.agent!.process.pid,
        (path) =>
          dash.fetch(`/api/clusters/${id}/k8s${path}`, {
            headers: { authorization: `Bearer ${token}`, ...identity },
          }),
        "agent, impersonated, two groups",
      );
    } finally {
      await cluster?.close();
      await dash.stop();
    }
  },
});

Deno.test({
  name: "dashboard: the same through a kubeconfig cluster, as the admin and with two groups",
  ...shared,
  async fn() {
    const cp = await sharedControlPlane();
    await bigList(cp);
    await groupMayList(cp);
    // A dashboard process of its own, so that its RSS is the proxy's alone.
    const dash = await startDashboardProcess();
    try {
      const made = await dash.api("POST", "/api/clusters", {
        name: "slow-kubeconfig",
        kubeconfig: await Deno.readTextFile(cp.kubeconfigPath),
      });
      assert.equal(made.status, 201, await made.clone().text());
      const { id } = await made.json() as { id: string };
      const getAs = (token: string) => (path: string) =>
        fetch(`${dash.url}/api/clusters/${id}/k8s${path}`, {
          client: dash.http,
          headers: { authorization: `Bearer ${token}`, ...identity },
        } as RequestInit);
      await pausedRead(dash.pid, getAs(dash.token), "dashboard, kubeconfig cluster, admin");

      const imp = await dash.api("PATCH", `/api/clusters/${id}`, { impersonate: true });
      assert.equal(imp.status, 200, await imp.text());
      const token = await slowpoke(async (method, path, body) => {
        const r = await dash.api(method, path, body);
        const text = await r.text();
        return { status: r.status, json: text ? JSON.parse(text) : null, text };
      }, dash.login);
      await pausedRead(
        dash.pid,
        getAs(token),
        "dashboard, kubeconfig cluster, impersonated, two groups",
      );
    } finally {
      await dash.stop();
    }
  },
});
