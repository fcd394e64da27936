// Acceptance tests of the cluster agent, end to end against a REAL kube-apiserver and the REAL
// agent process (deno run agent/main.ts, ServiceAccount tokens from the TokenRequest API):
// registration and ClusterInfo, RBAC of the agent's ServiceAccount, single-use registration
// tokens on both stores, restarts of the agent and (kill -9) of the dashboard, cluster deletion,
// head-of-line blocking, malformed and out-of-order messages on the wire, dropped streams and the
// agent's health endpoints. Figures (time to connected, p99s, reconnect times) are printed.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { agentProto, certificateHash } from "../../proto/wire.ts";
import type { AgentMessage__Output } from "../../proto/gen/agent/v1/AgentMessage.ts";
import type {
  DashboardMessage,
  DashboardMessage__Output,
} from "../../proto/gen/agent/v1/DashboardMessage.ts";
import type { TunnelUp__Output } from "../../proto/gen/agent/v1/TunnelUp.ts";
import type { TunnelDown__Output } from "../../proto/gen/agent/v1/TunnelDown.ts";
import {
  type ControlPlane,
  createConfigMaps,
  createNode,
  ensureNamespace,
  kubeRequest,
  sharedControlPlane,
} from "../../tools/testenv.ts";
import {
  ADMIN_PASSWORD,
  eventually,
  ROOT,
  type RunningAgent,
  startAgent,
  startTestDashboard,
  type StoreKind,
  type TestDashboard,
} from "../testing/harness.ts";
import {
  type ClusterJson,
  connectCluster,
  createAgentToken,
  getCluster,
  serviceAccountKubeconfig,
} from "../testing/clusters.ts";
import { freePorts } from "../../tools/ports.ts";
import { hello, rawCall, rawClient, register, type RpcStatus } from "../testing/raw_agent.ts";
import { MAX_UNAUTHENTICATED_PER_ADDRESS } from "./agent_server.ts";

/** Concurrent registrations with one token in the single-use test. */
const RACERS = 50;

const shared = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls fn every intervalMs until it returns something truthy; throws after timeoutMs. */
async function poll<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
  intervalMs = 25,
): Promise<T> {
  const until = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (performance.now() > until) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    }
    await sleep(intervalMs);
  }
}

function p99(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)];
}

/** The agent's /readyz: status and text, or status 0 when nothing listens. */
async function readyz(port: number): Promise<{ status: number; text: string }> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
    return { status: r.status, text: await r.text() };
  } catch (err) {
    return { status: 0, text: (err as Error).message };
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function agentLogTail(agent: RunningAgent, n = 4000): Promise<string> {
  return (await agent.logs().catch(() => "")).slice(-n);
}

// ---------------------------------------------------------------------------------------------
// A dashboard seen only through its HTTP API (in-process or a separate process)

interface Api {
  url: string;
  adminToken: string;
  api: TestDashboard["api"];
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

async function kubeconfigFor(t: Api, clusterId: string): Promise<string> {
  const r = await t.api("GET", `/api/clusters/${clusterId}/kubeconfig`, undefined, t.adminToken);
  assert.equal(r.status, 200, r.text);
  const path = await Deno.makeTempFile({ suffix: ".kubeconfig" });
  await Deno.writeTextFile(path, r.text);
  return path;
}

async function listClusters(t: Api): Promise<ClusterJson[]> {
  const r = await t.api("GET", "/api/clusters", undefined, t.adminToken);
  assert.equal(r.status, 200, r.text);
  return (r.json as { items: ClusterJson[] }).items;
}

function k8s(t: Api, clusterId: string, path: string, init: RequestInit = {}): Promise<Response> {
  return t.fetch(`/api/clusters/${clusterId}/k8s${path}`, {
    ...init,
    headers: { authorization: `Bearer ${t.adminToken}`, ...init.headers as Record<string, string> },
  });
}

/** Status events of the dashboard's live cluster stream (SSE), recorded per cluster. */
function statusStream(t: Api, client?: Deno.HttpClient) {
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

interface WatchEventJson {
  type: string;
  object: { metadata: { name?: string; resourceVersion: string } };
}

/** A watch opened by a client through the proxy; events() yields parsed events until it ends. */
async function openWatch(t: Api, clusterId: string, path: string, rv: string) {
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
async function untilEnded(
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
async function watchResumeCheck(
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

async function expectStatus(
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
// The dashboard as a separate process (for kill -9)

interface DashboardProcess extends Api {
  child: Deno.ChildProcess;
  caPem: string;
  http: Deno.HttpClient;
  logs(): Promise<string>;
  kill(signal: Deno.Signal): Promise<void>;
}

async function spawnDashboard(
  dataDir: string,
  httpPort: number,
  grpcPort: number,
  /** A session of the previous run on this DATA_DIR (sessions live in the store): no login. */
  adminToken?: string,
): Promise<DashboardProcess> {
  const logFile = await Deno.makeTempFile({ prefix: "dash-proc-log-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-no-legacy-abort", "-A", `${ROOT}backend/main.ts`],
    env: {
      DATA_DIR: dataDir,
      HTTP_ADDR: `127.0.0.1:${httpPort}`,
      GRPC_ADDR: `127.0.0.1:${grpcPort}`,
      ADMIN_PASSWORD,
      AGENT_HEARTBEAT_SECONDS: "1",
      LOG_LEVEL: "info",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = await Deno.open(logFile, { write: true, append: true });
  const copy = async (from: ReadableStream<Uint8Array>) => {
    for await (const chunk of from) {
      for (let off = 0; off < chunk.length;) off += await out.write(chunk.subarray(off));
    }
  };
  const pump = Promise.all([copy(child.stdout), copy(child.stderr)]).catch(() => {});
  const url = `https://127.0.0.1:${httpPort}`;
  const caPem = await poll(
    "the dashboard's CA",
    () => Deno.readTextFile(`${dataDir}/tls/ca.crt`).catch(() => ""),
    90_000,
    50,
  );
  const http = Deno.createHttpClient({ caCerts: [caPem] });
  const fetchIt = (path: string, init: RequestInit = {}) =>
    fetch(url + path, { ...init, client: http } as RequestInit);
  await poll(
    "the dashboard process to be ready",
    async () => {
      const r = await fetchIt("/readyz", { signal: AbortSignal.timeout(1000) });
      await r.body?.cancel();
      return r.status === 200;
    },
    90_000,
    10,
  ).catch(async (err) => {
    throw new Error(`${err.message}\n${(await Deno.readTextFile(logFile)).slice(-3000)}`);
  });
  const api: TestDashboard["api"] = async (method, path, body, token) => {
    const res = await fetchIt(path, {
      method,
      headers: {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch { /* not JSON */ }
    return { status: res.status, json, text };
  };
  if (!adminToken) {
    const login = await api("POST", "/api/auth/login", {
      username: "admin",
      password: ADMIN_PASSWORD,
    });
    assert.equal(login.status, 200, login.text);
    adminToken = (login.json as { token: string }).token;
  }
  return {
    url,
    child,
    caPem,
    http,
    adminToken,
    api,
    fetch: fetchIt,
    logs: () => Deno.readTextFile(logFile),
    async kill(signal) {
      try {
        child.kill(signal);
      } catch { /* gone */ }
      await child.status;
      await pump;
      out.close();
      http.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------

const CRD_NAME = "widgets.agent-e2e.example.com";

async function createCrd(cp: ControlPlane): Promise<void> {
  const r = await kubeRequest(
    cp,
    "POST",
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
    {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: CRD_NAME },
      spec: {
        group: "agent-e2e.example.com",
        names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
        scope: "Namespaced",
        versions: [{
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          },
        }],
      },
    },
  );
  assert(r.status === 201 || r.status === 409, JSON.stringify(r.body));
}

Deno.test({
  name: "agent e2e: register, ClusterInfo, RBAC, wire abuse, head-of-line, restart, drop, delete",
  ...shared,
  async fn(t) {
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
    await createNode(cp, "agent-e2e-node");
    await createCrd(cp);
    const [healthPort] = freePorts(1);
    const agentEnv = { HEALTH_ADDR: `127.0.0.1:${healthPort}` };
    const agentKubeconfig = await serviceAccountKubeconfig(cp, "agent-e2e-main", "cluster-admin");
    let agent: RunningAgent | undefined;
    let clusterId = "";
    /** Starts the agent again from its state dir (no token) and waits until it is connected. */
    const restartAgent = async () => {
      agent = await startAgent({
        dashboardUrl: dash.d.agentUrl,
        caHash: dash.d.caHash,
        kubeconfig: agentKubeconfig,
        stateDir: agent!.stateDir,
        extraEnv: agentEnv,
      });
      await eventually(
        "the agent to reconnect",
        async () =>
          (await getCluster(dash, clusterId)).status === "connected" &&
          dash.d.hub.session(clusterId),
        20_000,
      );
    };
    let ro: Awaited<ReturnType<typeof connectCluster>> | undefined;
    const raw = rawClient(dash.d.grpcAddr, caPem);
    try {
      await t.step("token over REST -> the agent registers -> connected within 5 s", async () => {
        const { token } = await createAgentToken(dash, "e2e-main");
        const started = performance.now();
        agent = await startAgent({
          dashboardUrl: dash.d.agentUrl,
          caHash: dash.d.caHash,
          kubeconfig: agentKubeconfig,
          token,
          extraEnv: agentEnv,
        });
        const c = await poll(
          "e2e-main connected",
          async () => {
            const c = (await listClusters(api)).find((c) => c.name === "e2e-main");
            return c?.status === "connected" && c.cluster_info ? c : undefined;
          },
          20_000,
          25,
        ).catch(async (err) => {
          throw new Error(`${err.message}\n${await agentLogTail(agent!)}`);
        });
        const elapsed = performance.now() - started;
        clusterId = c.id;
        console.log(
          `  time to connected (agent spawn -> status connected): ${elapsed.toFixed(0)} ms`,
        );
        assert(elapsed <= 5_000, `connected after ${elapsed.toFixed(0)} ms, over 5 s`);

        const nodes = (await kubeRequest(cp, "GET", "/api/v1/nodes")).body as { items: unknown[] };
        const namespaces = ((await kubeRequest(cp, "GET", "/api/v1/namespaces")).body as {
          items: { metadata: { name: string } }[];
        }).items.map((i) => i.metadata.name).sort();
        assert.equal(c.connection_type, "agent");
        assert.equal(c.kubernetes_version, cp.version);
        assert.equal(c.node_count, nodes.items.length);
        assert(nodes.items.length >= 1);
        assert.equal(c.cluster_info!.kubernetes_version, cp.version);
        assert.equal(c.cluster_info!.node_count, nodes.items.length);
        // The list carries only counts; the names are on the cluster itself.
        const full = (await getCluster(dash, c.id)).cluster_info!;
        assert.deepEqual([...full.namespaces].sort(), namespaces);
        assert(full.crds.includes(CRD_NAME), `CRDs: ${full.crds}`);
        assert.match(c.agent_version ?? "", /^\d+\.\d+\.\d+/);
        assert.equal((await readyz(healthPort)).status, 200);
      });

      await t.step(
        "read-only ServiceAccount: kubectl delete gets the cluster's own 403",
        async () => {
          ro = await connectCluster(dash, cp, "agent", "e2e-ro", { clusterRole: "view" });
          const cm = await kubeRequest(cp, "POST", `/api/v1/namespaces/${ns}/configmaps`, {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "victim" },
          });
          assert(cm.status === 201 || cm.status === 409);
          const kc = await kubeconfigFor(api, ro.id);
          const get = await cp.kubectl(["get", "configmap", "victim", "-n", ns, "-o", "name"], {
            kubeconfig: kc,
          });
          assert.equal(get.code, 0, get.stderr);
          const del = await cp.kubectl(["delete", "configmap", "victim", "-n", ns], {
            kubeconfig: kc,
          });
          assert.notEqual(del.code, 0);
          console.log(`  kubectl delete as the viewer ServiceAccount: ${del.stderr.trim()}`);
          assert.match(del.stderr, /Error from server \(Forbidden\)/);
          assert.match(del.stderr, /system:serviceaccount:dashboard-agent-tests:agent-e2e-ro/);
          assert.match(del.stderr, /cannot delete resource "configmaps"/);
          const still = await kubeRequest(cp, "GET", `/api/v1/namespaces/${ns}/configmaps/victim`);
          assert.equal(still.status, 200, "the ConfigMap survived");
        },
      );

      await t.step("malformed, oversized and out-of-order messages from an agent", async (s) => {
        const base = dash.d.hub.size;
        assert.equal(base, 2);
        await s.step("Register: wrong protocol version, oversized, garbage token", async () => {
          const v = await register(raw, "a.b.c", 99);
          assert.equal(grpc.status[v.code], "FAILED_PRECONDITION");
          assert.match(v.details, /agent protocol v99 is not supported by this dashboard \(v1\)/);
          const big = await register(raw, "x".repeat(18 * 1024 * 1024));
          assert.equal(grpc.status[big.code], "RESOURCE_EXHAUSTED", big.details);
          const long = await register(raw, "x".repeat(5000));
          assert.equal(grpc.status[long.code], "INVALID_ARGUMENT", long.details);
          const junk = await register(raw, "not-a-jwt");
          assert.equal(grpc.status[junk.code], "PERMISSION_DENIED");
          assert.match(junk.details, /not valid for this dashboard/);
        });
        await s.step(
          "Stream: ping before hello, bad versions, bad credentials, huge hello",
          async () => {
            const early = rawCall<DashboardMessage__Output>(raw, "Stream", "kda_nope");
            early.write({ ping: { seq: "1", sent_at_ms: String(Date.now()) } });
            await expectStatus(
              early.status,
              grpc.status.FAILED_PRECONDITION,
              /first message must be hello/,
              "ping before hello",
            );
            const version = rawCall<DashboardMessage__Output>(raw, "Stream", "kda_nope");
            version.write(hello({ protocol_version: 7 }));
            await expectStatus(
              version.status,
              grpc.status.FAILED_PRECONDITION,
              /agent protocol v7 is not supported.*upgrade the agent/,
              "wrong protocol version",
            );
            for (
              const cred of ["", "kda_" + "A".repeat(43), "garbage", "kda_" + "A".repeat(5000)]
            ) {
              const bad = rawCall<DashboardMessage__Output>(raw, "Stream", cred);
              bad.write(hello());
              await expectStatus(
                bad.status,
                grpc.status.UNAUTHENTICATED,
                /credential is not valid/,
                `bad credential ${cred.slice(0, 10)}`,
              );
            }
            const huge = rawCall<DashboardMessage__Output>(raw, "Stream", "kda_nope");
            huge.write(hello({
              cluster_info: { namespaces: Array.from({ length: 18_000 }, () => "n".repeat(1000)) },
            }));
            await expectStatus(huge.status, grpc.status.RESOURCE_EXHAUSTED, /./, "18 MB hello");
            await sleep(100);
            assert.equal(dash.d.hub.size, base);
          },
        );

        // A real credential for the rest: a raw "agent" registered with its own token.
        const { token } = await createAgentToken(dash, "e2e-raw");
        const reg = await register(raw, token);
        assert.equal(grpc.status[reg.code], "OK", reg.details);
        const credential = reg.credential!;

        await s.step(
          "Tunnel: unknown session token, unknown request id, no open frame",
          async () => {
            const unknown = rawCall(raw, "Tunnel", "kss_unknown");
            unknown.write({ open: { request_id: "x" } });
            await expectStatus(
              unknown.status,
              grpc.status.UNAUTHENTICATED,
              /unknown or expired session/,
              "unknown session",
            );
            const session = rawCall<DashboardMessage__Output>(raw, "Stream", credential);
            session.write(hello());
            const accepted = (await session.waitFor((m) => m.msg === "accepted")).accepted!;
            assert.equal(accepted.cluster_id, reg.clusterId);
            assert.equal(dash.d.hub.size, base + 1);
            const noSuch = rawCall(raw, "Tunnel", accepted.session_token);
            noSuch.write({ open: { request_id: crypto.randomUUID() } });
            await expectStatus(
              noSuch.status,
              grpc.status.NOT_FOUND,
              /no pending request/,
              "bad id",
            );
            const bodyFirst = rawCall(raw, "Tunnel", accepted.session_token);
            bodyFirst.write({ body: { data: Buffer.from("hi") } });
            await expectStatus(
              bodyFirst.status,
              grpc.status.NOT_FOUND,
              /no pending request/,
              "body",
            );
            const garbageTunnel = rawCall(raw, "Tunnel", accepted.session_token);
            garbageTunnel.write(Buffer.from([0x0f, 0xff, 0xff]));
            const gs = await withTimeout(garbageTunnel.status, 15_000, "garbage tunnel");
            assert.notEqual(gs.code, grpc.status.OK);
            // The session survived all of that.
            session.write({ ping: { seq: "42", sent_at_ms: String(Date.now()) } });
            const pong = await session.waitFor((m) => m.msg === "pong");
            assert.equal(pong.pong!.seq, "42");
            session.call.cancel();
            await eventually(
              "the cancelled session to be gone",
              () => Promise.resolve(dash.d.hub.size === base),
              5_000,
            );
          },
        );

        await s.step(
          "idle tunnels: handed requests directly and reused; capped; retired by a stray frame",
          async () => {
            const session = rawCall<DashboardMessage__Output>(raw, "Stream", credential);
            session.write(hello());
            const accepted = (await session.waitFor((m) => m.msg === "accepted")).accepted!;
            assert.equal(accepted.idle_tunnels, dash.d.hub.opts.idleTunnels);
            assert.equal(accepted.max_idle_tunnels, dash.d.hub.opts.maxIdleTunnels);
            const live = () => dash.d.hub.session(reg.clusterId!)!;
            const idle = rawCall<TunnelDown__Output>(raw, "Tunnel", accepted.session_token);
            idle.write({ open: { request_id: "" } });
            await eventually(
              "the idle tunnel to be pooled",
              () => Promise.resolve(live().idle.length === 1),
            );
            // Three requests in a row ride the same tunnel; none is announced on the stream.
            for (let i = 1; i <= 3; i++) {
              const res = dash.d.hub.fetch(
                reg.clusterId!,
                new Request(`https://agent.invalid/api/v1/namespaces/n${i}`),
              );
              await idle.waitFor(() => idle.received.filter((f) => f.request).length === i);
              const req = idle.received.filter((f) => f.request).at(-1)!.request!;
              assert.equal(req.path, `/api/v1/namespaces/n${i}`);
              assert.equal(req.has_body, false);
              idle.write({
                response: {
                  status: 200,
                  headers: [{ name: "content-type", value: "application/json" }],
                  body: Buffer.from(`{"n":${i}}`),
                  complete: true,
                },
              });
              const r = await withTimeout(res, 5_000, `request ${i}`);
              assert.deepEqual(await r.json(), { n: i });
              await eventually(
                "the tunnel to be idle again",
                () => Promise.resolve(live().idle.length === 1),
              );
            }
            assert.equal(session.received.filter((m) => m.k8s_request).length, 0);
            assert.equal(idle.received.filter((f) => f.end).length, 0, "no end frame without body");
            // Offers beyond the cap are ended at once.
            const extra = Array.from({ length: dash.d.hub.opts.maxIdleTunnels }, () => {
              const t = rawCall<TunnelDown__Output>(raw, "Tunnel", accepted.session_token);
              t.write({ open: { request_id: "" } });
              return t;
            });
            const over = await Promise.race(
              extra.map((t, i) => t.status.then(() => i)).concat([sleep(5_000).then(() => -1)]),
            );
            assert.notEqual(over, -1, "one offer beyond the cap must be ended");
            assert.equal(live().idle.length, dash.d.hub.opts.maxIdleTunnels);
            // An agent must not send anything on an idle tunnel: a stray frame retires it.
            const stray = extra.find((_, i) => i !== over)!;
            stray.write({ body: { data: Buffer.from("stray") } });
            await withTimeout(stray.status, 5_000, "the stray tunnel to end");
            assert.equal(live().idle.length, dash.d.hub.opts.maxIdleTunnels - 1);
            session.call.cancel();
            await eventually(
              "the session to be gone",
              () => Promise.resolve(dash.d.hub.size === base),
            );
            // Ending the session ends its idle tunnels too.
            await withTimeout(idle.status, 5_000, "the idle tunnel to end with its session");
          },
        );

        await s.step("Stream: out-of-order messages after hello are ignored", async () => {
          const session = rawCall<DashboardMessage__Output>(raw, "Stream", credential);
          session.write(hello());
          await session.waitFor((m) => m.msg === "accepted");
          session.write(hello());
          session.write({ pong: { seq: "999", ping_sent_at_ms: "1" } });
          session.write({ tunnel_refused: { request_id: "nope", message: "x", http_status: 403 } });
          session.write({});
          session.write({ cluster_info: { kubernetes_version: "v0", node_count: -5 } });
          session.write({ ping: { seq: "7", sent_at_ms: String(Date.now()) } });
          const pong = await session.waitFor((m) => m.pong?.seq === "7");
          assert(pong);
          assert.equal(dash.d.hub.size, base + 1);
          const c = await getCluster(dash, reg.clusterId!);
          assert.equal(c.status, "connected");
          assert.equal(c.node_count, null, "a negative node count means unknown");
          session.call.end();
          await withTimeout(session.status, 5_000, "half-closed session");
          await eventually(
            "the ended session to be gone",
            () => Promise.resolve(dash.d.hub.size === base),
            5_000,
          );
        });

        await s.step("Stream: garbage frames and an oversized frame after hello", async () => {
          const garbage = rawCall<DashboardMessage__Output>(raw, "Stream", credential);
          garbage.write(hello());
          await garbage.waitFor((m) => m.msg === "accepted");
          assert.equal(dash.d.hub.size, base + 1);
          garbage.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
          const gs = await withTimeout(garbage.status, 15_000, "garbage frame");
          assert.equal(grpc.status[gs.code], "INTERNAL", gs.details);
          await eventually(
            "the garbage session to be gone",
            () => Promise.resolve(dash.d.hub.size === base),
            5_000,
          );

          const oversized = rawCall<DashboardMessage__Output>(raw, "Stream", credential);
          oversized.write(hello());
          await oversized.waitFor((m) => m.msg === "accepted");
          oversized.write({
            cluster_info: { namespaces: Array.from({ length: 18_000 }, () => "n".repeat(1000)) },
          });
          const os = await withTimeout(oversized.status, 15_000, "oversized frame");
          assert.equal(grpc.status[os.code], "RESOURCE_EXHAUSTED", os.details);
          await eventually(
            "the oversized session to be gone",
            () => Promise.resolve(dash.d.hub.size === base),
            5_000,
          );
        });

        await s.step("afterwards the dashboard is healthy and the other agents serve", async () => {
          const ready = await dash.fetch("/readyz");
          assert.equal(ready.status, 200, await ready.text());
          for (const id of [clusterId, ro!.id]) {
            const r = await k8s(api, id, `/api/v1/namespaces/${ns}`);
            const text = await r.text();
            assert.equal(r.status, 200, text);
          }
          assert.equal(dash.d.hub.size, base);
          assert.equal(dash.d.hub.session(clusterId)?.inFlight, 0);
          const del = await dash.api(
            "DELETE",
            `/api/clusters/${reg.clusterId}`,
            undefined,
            dash.adminToken,
          );
          assert.equal(del.status, 204, del.text);
        });
      });

      await t.step("head-of-line: small GETs keep flowing past a slow 50 MB list", async () => {
        const bulk = "agent-e2e-bulk";
        const created = performance.now();
        await createConfigMaps(cp, bulk, 500, 100 * 1024, { name: (i) => `bulk-${i}` });
        console.log(
          `  500 x 100 KB ConfigMaps created in ${
            ((performance.now() - created) / 1000).toFixed(1)
          } s`,
        );
        const small = async () => {
          const t0 = performance.now();
          const r = await k8s(api, clusterId, `/api/v1/namespaces/${ns}`);
          const text = await r.text();
          assert.equal(r.status, 200, text);
          return performance.now() - t0;
        };
        for (let i = 0; i < 5; i++) await small(); // warm up
        const idle: number[] = [];
        for (let i = 0; i < 80; i++) idle.push(await small());

        // The slow client gets its own HTTP connection to the dashboard, as a separate client would.
        const slowHttp = Deno.createHttpClient({ caCerts: [caPem] });
        const res = await fetch(
          `${dash.d.url}/api/clusters/${clusterId}/k8s/api/v1/namespaces/${bulk}/configmaps`,
          {
            client: slowHttp,
            // identity: all 50 MB cross the tunnel (gzip would shrink these values to ~50 KB).
            headers: { authorization: `Bearer ${dash.adminToken}`, "accept-encoding": "identity" },
          } as RequestInit,
        );
        assert.equal(res.status, 200);
        const reader = res.body!.getReader();
        let slowBytes = 0;
        let reading = true;
        const slowReader = (async () => {
          while (reading) {
            const r = await reader.read();
            if (r.done) break;
            slowBytes += r.value.length;
            await sleep(100);
          }
        })();
        await sleep(300);
        const loaded: number[] = [];
        const errors: string[] = [];
        for (let i = 0; i < 80; i++) {
          try {
            loaded.push(await small());
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
        reading = false;
        await slowReader;
        // Then the slow client pauses for a while, and the small GETs still flow.
        for (let i = 0; i < 20; i++) {
          try {
            loaded.push(await small());
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
        const heldBytes = slowBytes;
        await reader.cancel();
        slowHttp.close();
        const idleP99 = p99(idle), loadedP99 = p99(loaded);
        console.log(
          `  small GET p99: idle ${idleP99.toFixed(1)} ms, under a slow 50 MB list ${
            loadedP99.toFixed(1)
          } ms` +
            ` (slow client had read ${(heldBytes / 1e6).toFixed(1)} MB)`,
        );
        assert.deepEqual(errors, []);
        assert(heldBytes < 40_000_000, `the slow client was not slow: read ${heldBytes} bytes`);
        assert(
          loadedP99 <= 5 * idleP99 + 50,
          `p99 under load ${loadedP99.toFixed(1)} ms > 5 x idle ${idleP99.toFixed(1)} ms + 50 ms`,
        );
        // Cancelling the slow list releases it on the dashboard.
        await eventually(
          "the cancelled list to be released",
          () => Promise.resolve(dash.d.hub.session(clusterId)?.inFlight === 0),
          5_000,
        );
      });

      await t.step(
        "a large list crosses the tunnel gzip-compressed when the client accepts it",
        async () => {
          const list = "/api/v1/namespaces/agent-e2e-bulk/configmaps?limit=100";
          const names = async (res: Response) => {
            assert.equal(res.status, 200);
            const body = await res.json() as { items: { metadata: { name: string } }[] };
            return body.items.map((i) => i.metadata.name);
          };
          // As kubectl asks: the API server compresses the ~10 MB answer, and it reaches the client
          // with its content-encoding (fetch decodes it here).
          const gzipped = await k8s(api, clusterId, list, {
            headers: { "accept-encoding": "gzip" },
          });
          assert.equal(gzipped.headers.get("content-encoding"), "gzip");
          const viaGzip = await names(gzipped);
          // A client that does not accept gzip gets the same list plain.
          const plain = await k8s(api, clusterId, list, {
            headers: { "accept-encoding": "identity" },
          });
          assert.equal(plain.headers.get("content-encoding"), null);
          const viaPlain = await names(plain);
          assert.equal(viaGzip.length, 100);
          assert.deepEqual(viaGzip, viaPlain);
        },
      );

      await t.step(
        "agent restart (SIGTERM): stored credential, no new cluster, lossless watch",
        async () => {
          const before = await listClusters(api);
          await watchResumeCheck(cp, () => api, clusterId, "agent-e2e-resume", async () => {
            const status = await agent!.stop();
            assert.equal(status.code, 0, "SIGTERM is a clean exit");
          }, async () => {
            await restartAgent();
          });
          const after = await listClusters(api);
          assert.deepEqual(
            after.map((c) => c.id).sort(),
            before.map((c) => c.id).sort(),
          );
          assert.equal((await readyz(healthPort)).status, 200);
          const log = await agent!.logs();
          assert.doesNotMatch(log, /registered with the dashboard/, "no second registration");
        },
      );

      await t.step("kill -9 of the agent: an in-flight watch ends promptly, then 503", async () => {
        const watchNs = "agent-e2e-drop";
        await ensureNamespace(cp, watchNs);
        const list = await (await k8s(api, clusterId, `/api/v1/namespaces/${watchNs}/configmaps`))
          .json();
        const watch = await openWatch(
          api,
          clusterId,
          `/api/v1/namespaces/${watchNs}/configmaps`,
          list.metadata.resourceVersion,
        );
        const pending = untilEnded(watch, 20_000);
        await sleep(300);
        const killedAt = performance.now();
        await agent!.stop("SIGKILL");
        await pending;
        const endMs = performance.now() - killedAt;
        console.log(
          `  in-flight watch ended ${
            endMs.toFixed(0)
          } ms after kill -9 of the agent (${watch.ended})`,
        );
        assert(endMs < 3_000, `the watch took ${endMs.toFixed(0)} ms to end`);
        const t0 = performance.now();
        const r = await k8s(api, clusterId, `/api/v1/namespaces/${watchNs}/configmaps`);
        const body = await r.json();
        assert.equal(r.status, 503, JSON.stringify(body));
        assert.match(body.message, /agent offline/);
        assert(performance.now() - t0 < 1000, "the 503 is immediate");
        await eventually(
          "status to leave connected",
          async () => (await getCluster(dash, clusterId)).status !== "connected",
          5_000,
        );
        await restartAgent();
      });

      await t.step(
        "a frozen agent (SIGSTOP): the heartbeat deadline ends in-flight requests",
        async () => {
          const watchNs = "agent-e2e-frozen";
          await ensureNamespace(cp, watchNs);
          const path = `/api/v1/namespaces/${watchNs}/configmaps`;
          const list = await (await k8s(api, clusterId, path)).json();
          const watch = await openWatch(api, clusterId, path, list.metadata.resourceVersion);
          const pending = untilEnded(watch, 30_000);
          await sleep(300);
          const frozenAt = performance.now();
          agent!.process.kill("SIGSTOP");
          try {
            // The TCP connection stays up: only the heartbeat deadline (2.5 x 1 s) can notice.
            await pending;
            const endMs = performance.now() - frozenAt;
            console.log(
              `  in-flight watch ended ${
                endMs.toFixed(0)
              } ms after the agent froze (${watch.ended})`,
            );
            assert(endMs < 6_000, `the watch hung for ${endMs.toFixed(0)} ms`);
            const r = await k8s(api, clusterId, path);
            const body = await r.json();
            assert.equal(r.status, 503, JSON.stringify(body));
            assert.match(body.message, /agent offline/);
            assert.equal(dash.d.hub.session(clusterId), undefined);
          } finally {
            agent!.process.kill("SIGCONT");
          }
          await eventually(
            "the thawed agent to reconnect",
            async () =>
              (await getCluster(dash, clusterId)).status === "connected" &&
              dash.d.hub.session(clusterId),
            20_000,
          );
          const r = await k8s(api, clusterId, path);
          assert.equal(r.status, 200, await r.text());
        },
      );

      await t.step(
        "deleting the cluster closes the agent's stream within 1 s, for good",
        async () => {
          assert.equal((await readyz(healthPort)).status, 200);
          const t0 = performance.now();
          const del = await dash.api(
            "DELETE",
            `/api/clusters/${clusterId}`,
            undefined,
            dash.adminToken,
          );
          assert.equal(del.status, 204, del.text);
          await poll(
            "the agent's /readyz to drop",
            async () => (await readyz(healthPort)).status === 503,
            5_000,
            5,
          );
          const closedMs = performance.now() - t0;
          console.log(`  cluster delete -> agent stream closed: ${closedMs.toFixed(0)} ms`);
          assert(closedMs <= 1_000, `the stream closed after ${closedMs.toFixed(0)} ms`);
          await eventually(
            "the agent to be refused",
            async () => /UNAUTHENTICATED|credential is not valid/.test(await agent!.logs()),
            10_000,
          );
          const log = await agent!.logs();
          assert.match(log, /the cluster was deleted from the dashboard/);
          assert.match(log, /the agent credential is not valid/);
          const ready = await readyz(healthPort);
          assert.equal(ready.status, 503);
          assert.match(ready.text, /credential is not valid|connecting|backoff/);
          const clusters = await listClusters(api);
          assert(
            !clusters.some((c) => c.id === clusterId || c.name === "e2e-main"),
            "not re-created",
          );
          assert.equal(dash.d.hub.session(clusterId), undefined);
        },
      );

      await t.step(
        "rotating a credential ends the stream; the status leaves connected",
        async () => {
          const roId = ro!.id;
          assert.equal((await getCluster(dash, roId)).status, "connected");
          const r = await dash.api(
            "POST",
            `/api/clusters/${roId}/agent/rotate`,
            undefined,
            dash.adminToken,
          );
          assert.equal(r.status, 200, r.text);
          assert.equal(dash.d.hub.session(roId), undefined);
          await eventually(
            "the old credential to be refused",
            async () => /the agent credential is not valid/.test(await ro!.agent!.logs()),
            10_000,
          );
          await eventually(
            "the status to leave connected",
            async () => (await getCluster(dash, roId)).status !== "connected",
            5_000,
          ).catch(async (err) => {
            throw new Error(`${err.message}: ${JSON.stringify(await getCluster(dash, roId))}`);
          });
          assert.equal(dash.d.hub.size, 0);

          // Reinstall: the rotation answered with a token bound to this cluster; the agent,
          // restarted with it and its old state, registers again as the SAME cluster.
          // The reinstall commands carry no token: it comes beside them (the dialog shows it and
          // the script asks for it, or reads DASHBOARD_TOKEN_FILE).
          const { token, install_command, helm_command } = r.json as {
            token: string;
            install_command: string;
            helm_command: string;
          };
          assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
          assert.match(
            install_command,
            /^curl -fsSL '[^']+\/api\/agents\/install\.sh' \| bash -s -- /,
          );
          assert.match(install_command, /--cluster-name 'e2e-ro'/);
          assert.match(install_command, / --chart-sha256 '[0-9a-f]{64}'$/);
          assert.match(
            helm_command,
            /--set-file token=<\(tr -d '\[:space:\]' < "\$DASHBOARD_TOKEN_FILE"\)/,
          );
          for (const cmd of [install_command, helm_command]) {
            assert.ok(!cmd.includes(token), `the token is not in the command:\n${cmd}`);
            assert.doesNotMatch(cmd, /AGENT_TOKEN=|--token /);
          }
          await ro!.agent!.stop();
          const again = await startAgent({
            dashboardUrl: dash.d.agentUrl,
            caHash: dash.d.caHash,
            kubeconfig: ro!.agentKubeconfig!,
            token,
            stateDir: ro!.agent!.stateDir,
          });
          try {
            await eventually(
              "the reinstalled agent to connect",
              async () => (await getCluster(dash, roId)).status === "connected",
              15_000,
            );
            const clusters = await listClusters(api);
            assert.equal(clusters.filter((c) => c.name === "e2e-ro").length, 1, "no new cluster");
          } finally {
            await again.stop();
          }
        },
      );
    } finally {
      raw.close();
      await agent?.stop();
      await ro?.close();
      await dash.stop();
    }
  },
});

for (const store of ["pglite", "postgres"] as StoreKind[]) {
  Deno.test({
    name: `agent tokens [${store}]: single use, expiry, revocation, concurrent registrations`,
    ...shared,
    async fn(t) {
      const dash = await startTestDashboard({ store });
      const caPem = await Deno.readTextFile(`${dash.dataDir}/tls/ca.crt`);
      const client = rawClient(dash.d.grpcAddr, caPem);
      const clusterNamed = async (name: string) =>
        (await listClusters({ ...dash, url: dash.d.url })).filter((c) => c.name === name);
      const tokenState = async (id: string) => {
        const r = await dash.api("GET", "/api/clusters/agent-token", undefined, dash.adminToken);
        return (r.json as { items: { id: string; state: string }[] }).items.find((i) => i.id === id)
          ?.state;
      };
      try {
        await t.step("a token works once; reuse is refused", async () => {
          const { id, token } = await createAgentToken(dash, "tok-reuse");
          const first = await register(client, token);
          assert.equal(grpc.status[first.code], "OK", first.details);
          assert.match(first.credential!, /^kda_[A-Za-z0-9_-]{43}$/);
          const again = await register(client, token);
          assert.equal(grpc.status[again.code], "PERMISSION_DENIED");
          assert.match(again.details, /has already been used \(tokens are single use\)/);
          assert.equal(await tokenState(id), "used");
          const clusters = await clusterNamed("tok-reuse");
          assert.equal(clusters.length, 1);
          assert.equal(clusters[0].id, first.clusterId);
        });

        await t.step("an expired token is refused", async () => {
          const { id, token } = await createAgentToken(dash, "tok-expired");
          await dash.d.db.query(
            "UPDATE agent_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1",
            [id],
          );
          const r = await register(client, token);
          assert.equal(grpc.status[r.code], "PERMISSION_DENIED");
          assert.match(r.details, /has expired/);
          assert.equal(await tokenState(id), "expired");
          assert.equal((await clusterNamed("tok-expired")).length, 0);
        });

        await t.step("a revoked token is refused", async () => {
          const { id, token } = await createAgentToken(dash, "tok-revoked");
          const rev = await dash.api(
            "DELETE",
            `/api/clusters/agent-token/${id}`,
            undefined,
            dash.adminToken,
          );
          assert.equal(rev.status, 200, rev.text);
          assert.equal((rev.json as { state: string }).state, "revoked");
          const r = await register(client, token);
          assert.equal(grpc.status[r.code], "PERMISSION_DENIED");
          assert.match(r.details, /was revoked/);
          assert.equal((await clusterNamed("tok-revoked")).length, 0);
        });

        await t.step("a forged or foreign token is refused", async () => {
          const { token } = await createAgentToken(dash, "tok-forged");
          const [h, p, sig] = token.split(".");
          const claims = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
          const forgedPayload = btoa(JSON.stringify({ ...claims, cluster_name: "evil" }))
            .replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
          for (const bad of [`${h}.${forgedPayload}.${sig}`, `${h}.${p}.${sig.slice(0, -4)}AAAA`]) {
            const r = await register(client, bad);
            assert.equal(grpc.status[r.code], "PERMISSION_DENIED");
            assert.match(r.details, /not valid for this dashboard/);
          }
          assert.equal((await clusterNamed("evil")).length, 0);
        });

        // Within what one address may have in flight (MAX_UNAUTHENTICATED_PER_ADDRESS).
        await t.step("50 concurrent registrations with one token: exactly one wins", async () => {
          assert.ok(RACERS <= MAX_UNAUTHENTICATED_PER_ADDRESS);
          const { id, token } = await createAgentToken(dash, "tok-race");
          const results = await Promise.all(
            Array.from({ length: RACERS }, () => register(client, token)),
          );
          const codes = results.map((r) => grpc.status[r.code]);
          assert.equal(codes.filter((c) => c === "OK").length, 1, codes.join(","));
          assert.equal(
            codes.filter((c) => c === "PERMISSION_DENIED").length,
            RACERS - 1,
            codes.join(","),
          );
          for (const r of results.filter((r) => r.code !== grpc.status.OK)) {
            assert.match(r.details, /has already been used/);
          }
          const clusters = await clusterNamed("tok-race");
          assert.equal(clusters.length, 1);
          assert.equal(clusters[0].id, results.find((r) => r.code === grpc.status.OK)!.clusterId);
          assert.equal(await tokenState(id), "used");
          // The winner's credential opens a control stream.
          const winner = results.find((r) => r.code === grpc.status.OK)!;
          const session = rawCall<DashboardMessage__Output>(client, "Stream", winner.credential!);
          session.write(hello());
          const accepted = await session.waitFor((m) => m.msg === "accepted");
          assert.equal(accepted.accepted!.cluster_name, "tok-race");
          session.call.cancel();
          await eventually("the session to end", () => Promise.resolve(dash.d.hub.size === 0));
        });
      } finally {
        client.close();
        await dash.stop();
        await dash.dropDb?.();
      }
    },
  });
}

Deno.test({
  name: "agent e2e: kill -9 of the dashboard, restart on the same ports; /readyz follows",
  ...shared,
  async fn(t) {
    const cp = await sharedControlPlane();
    const dataDir = await Deno.makeTempDir({ prefix: "dash-proc-" });
    const [httpPort, grpcPort, healthPort] = freePorts(3);
    let dash: DashboardProcess | undefined = await spawnDashboard(dataDir, httpPort, grpcPort);
    let agent: RunningAgent | undefined;
    let clusterId = "";
    const current = () => dash!;
    const clusterStatus = async () => {
      const r = await current().api(
        "GET",
        `/api/clusters/${clusterId}`,
        undefined,
        current().adminToken,
      );
      return r.status === 200 ? (r.json as ClusterJson).status : `HTTP ${r.status}`;
    };
    try {
      await t.step("/readyz is 503 before the agent has connected, 200 once it has", async () => {
        const { token } = await createAgentToken(
          current() as unknown as TestDashboard,
          "proc-cluster",
        );
        // The dashboard is frozen while the agent starts: the agent cannot connect yet.
        dash!.child.kill("SIGSTOP");
        try {
          agent = await startAgent({
            dashboardUrl: `https://127.0.0.1:${grpcPort}`,
            caHash: await certificateHash(dash!.caPem),
            kubeconfig: await serviceAccountKubeconfig(cp, "agent-proc", "cluster-admin"),
            token,
            extraEnv: { HEALTH_ADDR: `127.0.0.1:${healthPort}` },
          });
          const before = await poll(
            "the agent's health server",
            async () =>
              (await readyz(healthPort)).status === 0 ? undefined : await readyz(healthPort),
            20_000,
          );
          await sleep(500);
          const still = await readyz(healthPort);
          console.log(`  /readyz before connecting: ${before.status} ${before.text.trim()}`);
          assert.equal(before.status, 503, before.text);
          assert.equal(still.status, 503, still.text);
        } finally {
          dash!.child.kill("SIGCONT");
        }
        await poll(
          "the agent to connect",
          async () => (await readyz(healthPort)).status === 200,
          30_000,
        );
        const c = (await listClusters(current())).find((c) => c.name === "proc-cluster");
        assert(c, "registered");
        clusterId = c.id;
        await poll("status connected", async () => (await clusterStatus()) === "connected", 10_000);
      });

      await t.step(
        "kill -9 of the dashboard: the agent reconnects (connected -> reconnecting -> connected) and a resumed watch misses nothing",
        async () => {
          const cycles: string[] = [];
          const adminToken = current().adminToken;
          let sse: ReturnType<typeof statusStream> | undefined;
          let down: { status: number; text: string } | undefined;
          let killedAt = 0, killedAtWall = 0, downMs = 0, spawnedAt = 0, listeningAt = 0;
          const kill = async () => {
            assert.equal(await clusterStatus(), "connected");
            const before = statusStream(current(), current().http);
            await poll(
              "the SSE snapshot",
              () => Promise.resolve(before.statuses(clusterId).length > 0),
              5_000,
            );
            assert.equal(before.statuses(clusterId)[0], "connected");
            await before.close();
            killedAt = performance.now();
            killedAtWall = Date.now();
            await dash!.kill("SIGKILL");
            dash = undefined;
            down = await poll(
              "the agent's /readyz to drop",
              async () => {
                const r = await readyz(healthPort);
                return r.status === 503 ? r : undefined;
              },
              10_000,
              10,
            );
            downMs = performance.now() - killedAt;
          };
          const restart = async (freezeAgent: boolean) => {
            // Frozen, the agent cannot beat the status stream to the new dashboard.
            if (freezeAgent) agent!.process.kill("SIGSTOP");
            try {
              spawnedAt = performance.now();
              dash = await spawnDashboard(dataDir, httpPort, grpcPort, adminToken);
              listeningAt = performance.now();
              sse = statusStream(current(), current().http);
              if (freezeAgent) {
                await poll(
                  "the SSE snapshot",
                  () => Promise.resolve(sse!.statuses(clusterId).length > 0),
                  5_000,
                );
              }
            } finally {
              if (freezeAgent) agent!.process.kill("SIGCONT");
            }
            await poll(
              "status connected again",
              async () => (await clusterStatus()) === "connected",
              60_000,
              20,
            );
          };
          // The first outage is natural: the status stream of the new dashboard usually opens
          // before the agent (in jittered backoff) gets back in. If the agent won that race, a
          // second outage freezes the agent while the dashboard restarts.
          for (let cycle = 1; cycle <= 2; cycle++) {
            if (cycle === 1) {
              await watchResumeCheck(
                cp,
                current,
                clusterId,
                "agent-e2e-proc-resume",
                kill,
                () => restart(false),
              );
            } else {
              await kill();
              await restart(true);
            }
            const connectedAt = performance.now();
            await poll(
              "the SSE to report connected",
              () => Promise.resolve(sse!.statuses(clusterId).includes("connected")),
              5_000,
            );
            const seen = sse!.statuses(clusterId);
            await sse!.close();
            assert.equal((await readyz(healthPort)).status, 200);
            cycles.push(
              `outage ${cycle}${cycle === 2 ? " (agent frozen during the restart)" : ""}: ` +
                `agent /readyz 503 ${downMs.toFixed(0)} ms after kill -9 (${
                  down!.text.trim().slice(0, 50)
                }); dashboard start ${(listeningAt - spawnedAt).toFixed(0)} ms; ` +
                `agent reconnected ${(connectedAt - listeningAt).toFixed(0)} ms after the new ` +
                `dashboard listened; SSE saw ${seen.join(" -> ")}`,
            );
            if (seen[0] === "reconnecting" || seen[0] === "offline") {
              assert.equal(seen.at(-1), "connected");
              // Its last heartbeat is the killed hub's own (written every H = 1 s while agents
              // are connected), not the time it connected.
              const beat = Date.parse(sse!.seen.find((s) => s.id === clusterId)?.beat ?? "");
              assert.ok(
                beat <= killedAtWall + 500 && killedAtWall - beat <= 3_500,
                `last heartbeat after the restart ${new Date(beat).toISOString()}, ` +
                  `killed at ${new Date(killedAtWall).toISOString()}`,
              );
              break;
            }
            assert(cycle < 2, `never saw the transition:\n${cycles.join("\n")}`);
          }
          for (const c of cycles) console.log(`  ${c}`);
          assert.equal((await listClusters(current())).length, 1, "no new cluster");
          const log = await agent!.logs();
          assert.equal(log.match(/registered with the dashboard/g)?.length, 1, "registered once");
        },
      );
    } finally {
      await agent?.stop();
      await dash?.kill("SIGTERM");
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

// ---------------------------------------------------------------------------------------------
// The agent's end: a fake dashboard (a gRPC server scripted by the test) that sends what a buggy
// or hostile dashboard could: requests before the stream is accepted, paths outside the API,
// unknown and empty messages, undecodable and oversized frames.

interface FakeStream {
  call: grpc.ServerDuplexStream<AgentMessage__Output, DashboardMessage | Buffer>;
  received: AgentMessage__Output[];
  credential: string;
  waitFor(
    pred: (m: AgentMessage__Output) => boolean,
    timeoutMs?: number,
  ): Promise<AgentMessage__Output>;
  ended: Promise<void>;
}

/** The fake dashboard's StreamAccepted, with the fields a step cares about on top. */
const accepted = (
  extra: Partial<NonNullable<DashboardMessage["accepted"]>> = {},
): DashboardMessage => ({
  accepted: {
    cluster_id: "c",
    cluster_name: "fake",
    session_token: "kss_fake",
    heartbeat_interval_ms: 1000,
    max_concurrent_requests: 10,
    ...extra,
  },
});

async function startFakeDashboard() {
  const svc = agentProto().agent.v1.ClusterAgent.service;
  const def = {
    ...svc,
    Stream: {
      ...svc.Stream,
      // Lets the test put raw (undecodable) bytes on the wire.
      responseSerialize: (m: DashboardMessage | Buffer) =>
        Buffer.isBuffer(m) ? m : svc.Stream.responseSerialize(m),
    },
  };
  const streams: FakeStream[] = [];
  const tunnels: Array<{
    requestId: string;
    frames: TunnelUp__Output[];
    done: Promise<void>;
    closed: Promise<void>;
    call: grpc.ServerDuplexStream<TunnelUp__Output, unknown>;
  }> = [];
  let wake: (() => void) | undefined;
  const notify = () => wake?.();
  const credential = "kda_" + "F".repeat(43);
  const server = new grpc.Server();
  server.addService(def as unknown as grpc.ServiceDefinition, {
    Register(
      call: grpc.ServerUnaryCall<unknown, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) {
      void call;
      cb(null, { cluster_id: crypto.randomUUID(), cluster_name: "fake", credential });
    },
    Stream(call: FakeStream["call"]) {
      const received: AgentMessage__Output[] = [];
      let w: (() => void) | undefined;
      call.on("data", (m: AgentMessage__Output) => {
        received.push(m);
        w?.();
      });
      call.on("error", () => {});
      const ended = new Promise<void>((r) => {
        call.on("close", () => r());
        call.on("cancelled", () => r());
        call.on("end", () => r());
      });
      streams.push({
        call,
        received,
        credential: String(call.metadata.get("authorization")[0] ?? ""),
        ended,
        async waitFor(pred, timeoutMs = 10_000) {
          const until = Date.now() + timeoutMs;
          for (;;) {
            const m = received.find(pred);
            if (m) return m;
            if (Date.now() > until) {
              throw new Error(`agent did not send it; got ${received.map((m) => m.msg)}`);
            }
            await new Promise<void>((r) => {
              w = r;
              setTimeout(r, 50);
            });
          }
        },
      });
      notify();
    },
    Tunnel(call: grpc.ServerDuplexStream<TunnelUp__Output, unknown>) {
      const frames: TunnelUp__Output[] = [];
      const closed = new Promise<void>((resolve) => {
        call.on("end", resolve);
        call.on("error", () => resolve());
        call.on("close", resolve);
      });
      const entry = { requestId: "", frames, done: Promise.resolve(), closed, call };
      entry.done = new Promise<void>((resolve) => {
        call.on("data", (f: TunnelUp__Output) => {
          if (f.open) {
            entry.requestId = f.open.request_id;
            tunnels.push(entry);
            notify();
          } else frames.push(f);
          // A response ends with an end frame, or is whole in its first frame; an idle tunnel
          // stays open for the steps that use it.
          if (entry.requestId && (f.end || f.response?.complete)) {
            call.end();
            resolve();
          }
        });
        call.on("error", () => resolve());
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (err, p) => err ? reject(err) : resolve(p),
    )
  );
  const until = async <T>(what: string, fn: () => T | undefined, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`fake dashboard: no ${what}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
  };
  return {
    url: `http://127.0.0.1:${port}`,
    credential,
    streams,
    tunnels,
    /** The n-th control stream the agent opened (0-based). */
    stream: (n: number) => until(`control stream #${n}`, () => streams[n]),
    tunnel: (id: string) => until(`tunnel ${id}`, () => tunnels.find((t) => t.requestId === id)),
    stop: () => server.forceShutdown(),
  };
}

Deno.test({
  name: "agent e2e: a hostile dashboard (bad paths, out-of-order, garbage, oversized frames)",
  ...shared,
  async fn(t) {
    const cp = await sharedControlPlane();
    const fake = await startFakeDashboard();
    const [healthPort] = freePorts(1);
    const agent = await startAgent({
      dashboardUrl: fake.url,
      caHash: null,
      kubeconfig: await serviceAccountKubeconfig(cp, "agent-fake", "cluster-admin"),
      token: "a.b.c",
      extraEnv: { HEALTH_ADDR: `127.0.0.1:${healthPort}` },
    });
    const refusal = (s: FakeStream, id: string) =>
      s.waitFor((m) => m.tunnel_refused?.request_id === id).then((m) => m.tunnel_refused!);
    try {
      await t.step("requests before the stream is accepted are refused, not run", async () => {
        const s = await fake.stream(0);
        assert.equal(s.credential, `Bearer ${fake.credential}`, "the registered credential");
        await s.waitFor((m) => m.msg === "hello");
        s.call.write({ ping: { seq: "1", sent_at_ms: "1" } });
        s.call.write({
          k8s_request: { request_id: "early", method: "GET", path: "/version", has_body: false },
        });
        assert.equal((await refusal(s, "early")).http_status, 503);
        assert.equal((await s.waitFor((m) => m.msg === "pong")).pong!.seq, "1");
        assert.equal((await readyz(healthPort)).status, 503, "not ready before accepted");
        s.call.write(accepted());
        await poll("ready", async () => (await readyz(healthPort)).status === 200, 5_000);
      });

      await t.step("paths outside the Kubernetes API are refused with 403", async () => {
        const s = await fake.stream(0);
        const bad = [
          "/etc/passwd",
          "/api/../x",
          "/api/..\\x",
          "/api/%2e%2e/x",
          "//evil/api",
          "/metrics",
        ];
        for (const [i, path] of bad.entries()) {
          s.call.write({
            k8s_request: { request_id: `bad-${i}`, method: "GET", path, has_body: false },
          });
          s.call.write({ watch_start: { request_id: `badw-${i}`, path, resource_version: "" } });
        }
        for (const [i, path] of bad.entries()) {
          for (const id of [`bad-${i}`, `badw-${i}`]) {
            const r = await refusal(s, id);
            assert.equal(r.http_status, 403, `${path}: ${r.message}`);
            assert.match(r.message, /not allowed|only Kubernetes API paths/);
          }
        }
        assert.equal(fake.tunnels.length, 0, "no tunnel was opened for a refused path");
      });

      await t.step("unknown and empty messages are ignored; requests still run", async () => {
        const s = await fake.stream(0);
        s.call.write({});
        s.call.write({ watch_stop: { request_id: "never-started" } });
        s.call.write({ pong: { seq: "77", ping_sent_at_ms: "1" } });
        s.call.write({ goodbye: { reason: "just kidding", reconnect: true } });
        s.call.write({ ping: { seq: "2", sent_at_ms: "1" } });
        assert.equal((await s.waitFor((m) => m.pong?.seq === "2")).pong!.seq, "2");
        s.call.write({
          k8s_request: { request_id: "ok-1", method: "GET", path: "/version", has_body: false },
        });
        const tunnel = await fake.tunnel("ok-1");
        await withTimeout(tunnel.done, 10_000, "the /version tunnel");
        assert.equal(tunnel.frames[0]?.response?.status, 200);
        // A small body comes whole with the head: one frame, complete.
        assert.equal(tunnel.frames.length, 1);
        assert.equal(tunnel.frames[0].response?.complete, true);
        const body = Buffer.from(tunnel.frames[0].response!.body);
        assert.equal(JSON.parse(body.toString()).gitVersion, cp.version);
        assert.equal((await readyz(healthPort)).status, 200);
        assert.match(
          await agent.logs(),
          /"msg":"unexpected message from the dashboard","message":"empty"/,
        );
      });

      await t.step(
        "idle tunnels: a request on one is answered on it; a stray frame ends it",
        async () => {
          const s = await fake.stream(0);
          s.call.write(accepted({ idle_tunnels: 1, max_idle_tunnels: 4 }));
          const idle = await fake.tunnel("");
          idle.call.write({
            request: { request_id: "on-idle", method: "GET", path: "/version", has_body: false },
          });
          await poll(
            "the answer on the idle tunnel",
            () => Promise.resolve(idle.frames.length > 0),
            10_000,
          );
          const head = idle.frames[0].response!;
          assert.equal(head.status, 200);
          assert.equal(head.complete, true);
          assert.equal(JSON.parse(Buffer.from(head.body).toString()).gitVersion, cp.version);
          // Handed a request, the agent opened another idle tunnel at once.
          await poll(
            "a second idle tunnel",
            () =>
              Promise.resolve(
                fake.tunnels.filter((x) => x.requestId === "").length === 2,
              ),
            5_000,
          );
          // A refused path on an idle tunnel is answered there, and the tunnel stays usable.
          idle.call.write({
            request: {
              request_id: "on-idle-bad",
              method: "GET",
              path: "/metrics",
              has_body: false,
            },
          });
          await poll("the refusal", () => Promise.resolve(idle.frames.length > 1), 5_000);
          assert.equal(idle.frames[1].response?.status, 403);
          assert.match(
            Buffer.from(idle.frames[1].response!.body).toString(),
            /"reason":"Forbidden"/,
          );
          // Anything but a request on an idle tunnel makes the agent end it.
          idle.call.write({ end: { error: "" } });
          await withTimeout(idle.closed, 5_000, "the agent to end the idle tunnel");
          assert.equal((await readyz(healthPort)).status, 200, "the stream is unharmed");
        },
      );

      await t.step("an undecodable frame ends the stream; the agent reconnects", async () => {
        const s = await fake.stream(0);
        s.call.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
        await withTimeout(s.ended, 10_000, "the garbage stream to end");
        const next = await fake.stream(1);
        await next.waitFor((m) => m.msg === "hello");
        assert.equal(next.credential, `Bearer ${fake.credential}`, "no new registration");
        const log = await agent.logs();
        assert.match(log, /connection to the dashboard failed/);
      });

      await t.step("an oversized frame ends the stream; the agent reconnects", async () => {
        const s = await fake.stream(1);
        // No interval: the agent's default heartbeat (10 s), so this fake need not answer pings.
        s.call.write(accepted({ session_token: "kss_fake2", heartbeat_interval_ms: 0 }));
        await poll("ready", async () => (await readyz(healthPort)).status === 200, 5_000);
        s.call.write({ goodbye: { reason: "x".repeat(18 * 1024 * 1024), reconnect: true } });
        await withTimeout(s.ended, 10_000, "the oversized stream to end");
        const next = await fake.stream(2);
        await next.waitFor((m) => m.msg === "hello");
        const log = await agent.logs();
        assert.match(log, /larger than max|RESOURCE_EXHAUSTED|max.*message/i);
        assert.equal(agent.process.pid > 0, true);
        const status = await Promise.race([agent.process.status, sleep(100).then(() => null)]);
        assert.equal(status, null, "the agent is still running");
      });
    } finally {
      await agent.stop();
      fake.stop();
    }
  },
});
