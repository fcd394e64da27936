// Shared setup of the agent's end-to-end scenarios (e2e/agent_*_test.ts): a dashboard seen
// through its HTTP API, the agent's /readyz, watches through the dashboard's proxy (and the
// lossless-resume check the restart scenarios share), the live status stream, and a dashboard
// with its main agent connected the way a user would connect one. Every scenario file starts its
// own dashboard and agents from here; the control plane is the file's shared one.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  type ControlPlane,
  ensureNamespace,
  kubeRequest,
  sharedControlPlane,
} from "../tools/testenv/mod.ts";
import {
  type RunningAgent,
  startAgent,
  startTestDashboard,
  type TestDashboard,
} from "../testing/harness.ts";
import { eventually, withTimeout } from "../testing/eventually.ts";
export { withTimeout };
import {
  type ClusterJson,
  createAgentToken,
  serviceAccountKubeconfig,
} from "../testing/clusters.ts";
import { freePorts } from "../tools/ports.ts";
import type { RpcStatus } from "../testing/raw_agent.ts";

/** The scenarios share a control plane, agents and a dashboard across steps. */
export const shared = { sanitizeOps: false, sanitizeResources: false };
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function p99(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)];
}

/** The agent's /readyz: status and text, or status 0 when nothing listens. */
export async function readyz(port: number): Promise<{ status: number; text: string }> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
    return { status: r.status, text: await r.text() };
  } catch (err) {
    return { status: 0, text: (err as Error).message };
  }
}

export async function agentLogTail(agent: RunningAgent, n = 4000): Promise<string> {
  return (await agent.logs().catch(() => "")).slice(-n);
}

// ---------------------------------------------------------------------------------------------
// A dashboard seen only through its HTTP API (in-process or a separate process)

export interface Api {
  url: string;
  adminToken: string;
  api: TestDashboard["api"];
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

export async function listClusters(t: Api): Promise<ClusterJson[]> {
  const r = await t.api("GET", "/api/clusters", undefined, t.adminToken);
  assert.equal(r.status, 200, r.text);
  return (r.json as { items: ClusterJson[] }).items;
}

export function k8s(
  t: Api,
  clusterId: string,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  return t.fetch(`/api/clusters/${clusterId}/k8s${path}`, {
    ...init,
    headers: { authorization: `Bearer ${t.adminToken}`, ...init.headers as Record<string, string> },
  });
}

/** Status events of the dashboard's live cluster stream (SSE), recorded per cluster. */
export function statusStream(t: Api, client?: Deno.HttpClient) {
  const seen: Array<{ id: string; status: string; at: number; beat?: string | null }> = [];
  const abort = new AbortController();
  const done = (async () => {
    const res = await fetch(`${t.url}/api/clusters/events`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
      signal: abort.signal,
      ...(client ? { client } : {}),
    } as RequestInit);
    assert.equal(res.status, 200);
    let buf = "";
    for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1];
        const data = /^data: ?(.*)$/m.exec(block)?.[1];
        if (event === "cluster" && data) {
          const c = JSON.parse(data) as ClusterJson;
          seen.push({
            id: c.id,
            status: c.status,
            at: performance.now(),
            beat: c.last_heartbeat_at,
          });
        } else if (event === "deleted" && data) {
          seen.push({ id: JSON.parse(data).id, status: "deleted", at: performance.now() });
        }
      }
    }
  })().catch(() => {});
  return {
    seen,
    statuses: (id: string) => seen.filter((s) => s.id === id).map((s) => s.status),
    async close() {
      abort.abort();
      await done;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Watches through the dashboard's proxy

export interface WatchEventJson {
  type: string;
  object: { metadata: { name?: string; resourceVersion: string } };
}

/** A watch opened by a client through the proxy; events() yields parsed events until it ends. */
export async function openWatch(t: Api, clusterId: string, path: string, rv: string) {
  const res = await k8s(t, clusterId, `${path}?watch=true&resourceVersion=${rv}`);
  assert.equal(res.status, 200, `watch: ${res.status}`);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let ended: string | null = null;
  return {
    /** The next non-bookmark event, or null when the stream ended (ended then says how). */
    async next(timeoutMs = 15_000): Promise<WatchEventJson | null> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const nl = buf.indexOf("\n");
        if (nl >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const e = JSON.parse(line) as WatchEventJson;
          if (e.type === "BOOKMARK") continue;
          return e;
        }
        if (ended !== null) return null;
        try {
          const r = await withTimeout(reader.read(), Math.max(1, until - Date.now()), "watch");
          if (r.done) ended = "done";
          else buf += r.value;
        } catch (err) {
          if (/timed out after/.test((err as Error).message)) throw err;
          ended = `error: ${(err as Error).message}`;
        }
      }
    },
    get ended() {
      return ended;
    },
    close: () => reader.cancel().catch(() => {}),
  };
}

/** Reads a watch's events (a namespace's own objects may still show up) until it ends. */
export async function untilEnded(
  watch: Awaited<ReturnType<typeof openWatch>>,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (await watch.next(Math.max(1, until - Date.now())) !== null) { /* keep reading */ }
}

/**
 * Opens a watch, sees one change, takes the path down with `down()`, makes changes while it is
 * down, brings it back with `up()`, reopens the watch from the last resourceVersion it saw and
 * checks that every change arrives, in order.
 */
export async function watchResumeCheck(
  cp: ControlPlane,
  t: () => Api,
  clusterId: string,
  ns: string,
  down: () => Promise<void>,
  up: () => Promise<void>,
): Promise<void> {
  await ensureNamespace(cp, ns);
  const path = `/api/v1/namespaces/${ns}/configmaps`;
  const list = await (await k8s(t(), clusterId, path)).json();
  const watch = await openWatch(t(), clusterId, path, list.metadata.resourceVersion);
  const create = async (name: string) => {
    const r = await kubeRequest(cp, "POST", `/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name },
      data: { v: "1" },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };
  const tag = crypto.randomUUID().slice(0, 6);
  await create(`before-${tag}`);
  let first = await watch.next();
  while (first && first.object.metadata.name === "kube-root-ca.crt") first = await watch.next();
  assert.equal(first?.type, "ADDED");
  assert.equal(first?.object.metadata.name, `before-${tag}`);
  const lastRv = first!.object.metadata.resourceVersion;

  await down();
  // The client notices that its watch ended (promptly, not after a timeout).
  const endedIn = performance.now();
  await untilEnded(watch, 10_000);
  const endMs = performance.now() - endedIn;

  // Changes while nobody watches.
  await create(`during-a-${tag}`);
  await create(`during-b-${tag}`);
  const patched = await kubeRequest(
    cp,
    "PATCH",
    `/api/v1/namespaces/${ns}/configmaps/before-${tag}`,
    { data: { v: "2" } },
    "application/merge-patch+json",
  );
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  const deleted = await kubeRequest(
    cp,
    "DELETE",
    `/api/v1/namespaces/${ns}/configmaps/during-b-${tag}`,
  );
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));

  await up();
  const resumed = await openWatch(t(), clusterId, path, lastRv);
  try {
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const e = await resumed.next();
      assert(e, `the resumed watch ended early (${resumed.ended}); got ${got.join(", ")}`);
      if (!e.object.metadata.name?.endsWith(tag)) {
        i--;
        continue;
      }
      got.push(`${e.type} ${e.object.metadata.name}`);
    }
    assert.deepEqual(got, [
      `ADDED during-a-${tag}`,
      `ADDED during-b-${tag}`,
      `MODIFIED before-${tag}`,
      `DELETED during-b-${tag}`,
    ]);
  } finally {
    await resumed.close();
  }
  console.log(`  watch ended ${endMs.toFixed(0)} ms after the path went down; resumed losslessly`);
}

// ---------------------------------------------------------------------------------------------

export async function expectStatus(
  p: Promise<RpcStatus>,
  code: grpc.status,
  details: RegExp,
  what: string,
): Promise<void> {
  const s = await withTimeout(p, 15_000, what);
  assert.equal(grpc.status[s.code], grpc.status[code], `${what}: ${s.details}`);
  assert.match(s.details, details, what);
}

// ---------------------------------------------------------------------------------------------
// A dashboard with agents

/** A dashboard (PGlite, 1 s heartbeats) beside the control plane, and what its agents need. */
export interface AgentScene {
  cp: ControlPlane;
  dash: TestDashboard;
  api: Api;
  caPem: string;
  /** A namespace every scenario may read ("agent-e2e"). */
  ns: string;
  /** The main agent's health server (/readyz). */
  healthPort: number;
  agentEnv: Record<string, string>;
  /** The main agent's kubeconfig: ServiceAccount agent-e2e-main, cluster-admin. */
  agentKubeconfig: string;
}

/** Starts a test dashboard and prepares the main agent's ServiceAccount and health port. */
export async function startAgentScene(): Promise<AgentScene> {
  const cp = await sharedControlPlane();
  const dash = await startTestDashboard({ store: "pglite", heartbeatSeconds: 1 });
  const caPem = await Deno.readTextFile(`${dash.dataDir}/tls/ca.crt`);
  const api: Api = {
    url: dash.d.url,
    adminToken: dash.adminToken,
    api: dash.api,
    fetch: dash.fetch,
  };
  const ns = "agent-e2e";
  await ensureNamespace(cp, ns);
  const [healthPort] = freePorts(1);
  const agentEnv = { HEALTH_ADDR: `127.0.0.1:${healthPort}` };
  const agentKubeconfig = await serviceAccountKubeconfig(cp, "agent-e2e-main", "cluster-admin");
  return { cp, dash, api, caPem, ns, healthPort, agentEnv, agentKubeconfig };
}

/**
 * Connects the main agent as a user would (a token over REST, the agent started with it) and
 * waits until its cluster is connected with its ClusterInfo. e2e/agent_registration_test.ts
 * checks this path itself; the other scenarios start from it.
 */
export async function connectMainAgent(
  scene: AgentScene,
  name = "e2e-main",
): Promise<{ agent: RunningAgent; clusterId: string }> {
  const { token } = await createAgentToken(scene.dash, name);
  const agent = await startAgent({
    dashboardUrl: scene.dash.d.agentUrl,
    caHash: scene.dash.d.caHash,
    kubeconfig: scene.agentKubeconfig,
    token,
    extraEnv: scene.agentEnv,
  });
  try {
    const c = await eventually(`${name} connected`, async () => {
      const c = (await listClusters(scene.api)).find((c) => c.name === name);
      return c?.status === "connected" && c.cluster_info ? c : undefined;
    }, { timeoutMs: 20_000, intervalMs: 25 });
    return { agent, clusterId: c.id };
  } catch (err) {
    const log = await agentLogTail(agent);
    await agent.stop();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
}

/**
 * A scenario on its own scene with the main agent connected (connectMainAgent): `body` runs the
 * test's steps; afterwards the main agent and the dashboard are stopped, whatever happened.
 */
export function mainAgentTest(
  name: string,
  body: (
    t: Deno.TestContext,
    s: AgentScene & { agent: RunningAgent; clusterId: string },
  ) => Promise<void>,
): void {
  Deno.test({
    name,
    ...shared,
    async fn(t) {
      const scene = await startAgentScene();
      let agent: RunningAgent | undefined;
      try {
        const main = await connectMainAgent(scene);
        agent = main.agent;
        await body(t, { ...scene, ...main });
      } finally {
        await agent?.stop();
        await scene.dash.stop();
      }
    },
  });
}
