// Several dashboard replicas on one PostgreSQL (issue #20), end to end: REAL dashboard processes
// (testing/replicas.ts, the flags of `deno task start`) sharing a fresh database and
// ENCRYPTION_KEY, REAL agents (separate processes) dialling ONE address, a round-robin TCP
// balancer (testing/tcp_balancer.ts) set as every replica's GRPC_PUBLIC_ADDR, a REAL
// kube-apiserver (tools/testenv) that all agent clusters point at, REAL kubectl.
//
// a. kubectl through EACH replica reaches every cluster, whichever replica holds its agent (a
//    request landing on the other one is forwarded), and a watch opened through replica A keeps
//    receiving events while the agent's stream is held by replica B.
// b. kill -9 of a replica under 50 req/s: every cluster answers again through the survivor
//    within 30 s (time-to-recovery per cluster); once the dead replica's lease is over (3
//    heartbeats), no cluster reads `connected` unless the survivor holds its agent (one agent is
//    frozen with SIGSTOP over that deadline, so the check has a cluster to catch).
// c. Rolling restart (SIGTERM, wait, start again) of both replicas under the same load, each
//    taken out of the balancer and of the load's targets as it gets SIGTERM (as a Service drops
//    a terminating pod): failed requests within 5% (what may fail is what was in flight; the
//    exact figures, per phase and per cluster, are printed), watches resumed from their
//    resourceVersion miss no event, every cluster reachable through both replicas at the end.
// d. Deleting a cluster through replica A ends its agent's stream on replica B within 1 s.
//
// Who holds an agent is known by construction: an agent is steered to a replica by giving the
// balancer only that replica while it connects; /metrics' dashboard_agents_connected of each
// replica confirms it. Each test prints a one-line summary of its measured figures.
import assert from "node:assert/strict";
import {
  type ControlPlane,
  ensureNamespace,
  kubeRequest,
  sharedControlPlane,
} from "../../tools/testenv/mod.ts";
import {
  bindDashboardRoles,
  type ClusterJson,
  serviceAccountKubeconfig,
} from "../../testing/clusters.ts";
import { type RunningAgent, startAgent } from "../../testing/harness.ts";
import { TcpBalancer } from "../../testing/tcp_balancer.ts";
import { type DashboardReplica, type ReplicaSet, startReplicas } from "../../testing/replicas.ts";
import {
  formatSummary,
  type LoadGenerator,
  type LoadSample,
  type LoadTarget,
  startLoad,
} from "../../testing/load.ts";
import { eventually, StopTrying, withTimeout } from "../../testing/eventually.ts";
import { freePorts } from "../../tools/ports.ts";

const HEARTBEAT_SECONDS = 1;
/** A dead replica's lease: 3 heartbeat intervals (backend/replicas/replica.ts). */
const LEASE_MS = 3 * HEARTBEAT_SECONDS * 1000;
const RATE = 50;
const shared = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The scene: a control plane, a balancer, two replicas, agents steered to a replica

interface AgentCluster {
  name: string;
  id: string;
  agent: RunningAgent;
  /** The agent's /readyz (200 only while its stream is up). */
  healthPort: number;
  /** The replica the agent was steered to when it connected. */
  home: DashboardReplica;
}

interface Scene {
  cp: ControlPlane;
  lb: TcpBalancer;
  set: ReplicaSet;
  a: DashboardReplica;
  b: DashboardReplica;
  clusters: AgentCluster[];
  /** A unique tag of this test (names of clusters, namespaces, ServiceAccounts). */
  tag: string;
  addAgent(name: string, on: DashboardReplica, via?: DashboardReplica): Promise<AgentCluster>;
  /** The balancer forwards to the running replicas (a removed one stays out). */
  balanceOver(replicas: DashboardReplica[]): void;
  /** Every replica's agent count (dashboard_agents_connected), by replica name. */
  holders(): Promise<Record<string, number>>;
  /** Log tails of every replica and agent, for failure messages. */
  logTails(): Promise<string>;
}

/** Failed checks collected along a test, asserted at its end (so one run reports them all). */
class Checks {
  readonly problems: string[] = [];
  that(ok: boolean, what: string): void {
    if (!ok) this.problems.push(what);
  }
  assertNone(extra = ""): void {
    assert.deepEqual(this.problems, [], `${this.problems.length} check(s) failed${extra}`);
  }
}

async function readyz(port: number): Promise<number> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
    await r.body?.cancel();
    return r.status;
  } catch {
    return 0;
  }
}

async function listClusters(r: DashboardReplica): Promise<ClusterJson[]> {
  const res = await r.api("GET", "/api/clusters");
  if (res.status !== 200) throw new Error(`${r.name} GET /api/clusters: ${res.status} ${res.text}`);
  return (res.json as { items: ClusterJson[] }).items;
}

/** GET a Kubernetes path of a cluster through a replica, as the admin: status and body start. */
async function k8sGet(r: DashboardReplica, clusterId: string, path: string) {
  try {
    const res = await r.fetch(`/api/clusters/${clusterId}/k8s${path}`, {
      headers: { authorization: `Bearer ${r.adminToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    return { status: 0, text: (err as Error).message };
  }
}

/** The --flag 'value' of an install command. */
function installArg(command: string, flag: string): string {
  const m = new RegExp(`--${flag} '([^']*)'`).exec(command);
  if (!m) throw new Error(`no --${flag} in the install command: ${command}`);
  return m[1];
}

async function withScene(
  tag: string,
  steer: Array<"a" | "b">,
  body: (s: Scene) => Promise<void>,
): Promise<void> {
  const cp = await sharedControlPlane();
  await bindDashboardRoles(cp);
  const lb = await TcpBalancer.start();
  let set: ReplicaSet | undefined;
  const clusters: AgentCluster[] = [];
  try {
    set = await startReplicas({
      replicas: 2,
      grpcPublicAddr: lb.address,
      heartbeatSeconds: HEARTBEAT_SECONDS,
    });
    const [a, b] = set.replicas;
    const theSet = set;
    assert.equal(a.caHash, b.caHash, "every replica presents the one shared CA");
    const balanceOver = (rs: DashboardReplica[]) => lb.set(rs.map((r) => r.grpcAddr));
    balanceOver([a, b]);
    const logTails = async () => {
      const parts: string[] = [];
      for (const r of theSet.replicas) {
        parts.push(`--- ${r.name} (${r.url})\n${await r.logTail(25)}`);
      }
      for (const c of clusters) {
        parts.push(
          `--- agent ${c.name}\n${
            (await c.agent.logs()).trimEnd().split("\n").slice(-12).join("\n")
          }`,
        );
      }
      return parts.join("\n");
    };
    const scene: Scene = {
      cp,
      lb,
      set,
      a,
      b,
      clusters,
      tag,
      balanceOver,
      logTails,
      async holders() {
        const out: Record<string, number> = {};
        for (const r of theSet.replicas) {
          out[r.name] = r.running ? await r.agentsConnected().catch(() => NaN) : NaN;
        }
        return out;
      },
      async addAgent(name, on, via = on) {
        const kubeconfig = await serviceAccountKubeconfig(cp, `agent-${name}`, "cluster-admin");
        const tok = await via.api("POST", "/api/clusters/agent-token", {
          cluster_name: name,
          permissions: "admin",
        });
        if (tok.status !== 201) {
          throw new Error(`agent-token on ${via.name}: ${tok.status} ${tok.text}`);
        }
        const { token, install_command } = tok.json as { token: string; install_command: string };
        const dashboardUrl = installArg(install_command, "dashboard-url");
        assert.equal(dashboardUrl, `https://${lb.address}`, "agents are told to dial the balancer");
        const caHash = installArg(install_command, "ca-hash");
        assert.equal(caHash, via.caHash, "the install command pins the CA the replicas present");
        const [healthPort] = freePorts(1);
        // Steered: while it connects, the balancer forwards only to `on`.
        balanceOver([on]);
        const agent = await startAgent({
          dashboardUrl,
          caHash,
          kubeconfig,
          token,
          extraEnv: { ALLOW_IMPERSONATION: "true", HEALTH_ADDR: `127.0.0.1:${healthPort}` },
        });
        try {
          const c = await eventually(
            `agent cluster ${name} connected (through ${via.name})`,
            async () => {
              const c = (await listClusters(via)).find((c) => c.name === name);
              return c?.status === "connected" && c.cluster_info && await readyz(healthPort) === 200
                ? c
                : undefined;
            },
            { timeoutMs: 30_000, intervalMs: 50 },
          );
          const ac: AgentCluster = { name, id: c.id, agent, healthPort, home: on };
          clusters.push(ac);
          return ac;
        } catch (err) {
          const log = (await agent.logs()).slice(-3000);
          await agent.stop();
          throw new Error(`${(err as Error).message}\nagent log:\n${log}\n${await logTails()}`);
        } finally {
          balanceOver(theSet.running());
        }
      },
    };
    for (const [i, which] of steer.entries()) {
      await scene.addAgent(`${tag}-c${i}`, which === "a" ? a : b);
    }
    // Each agent is held where it was steered.
    const want = {
      [a.name]: steer.filter((w) => w === "a").length,
      [b.name]: steer.filter((w) => w === "b").length,
    };
    await eventually(
      `agents held as steered ${JSON.stringify(want)}`,
      async () => JSON.stringify(await scene.holders()) === JSON.stringify(want),
      { timeoutMs: 10_000, message: async () => JSON.stringify(await scene.holders()) },
    );
    await body(scene);
  } catch (err) {
    if (set) {
      const tails = await Promise.all(
        set.replicas.map(async (r) => `--- ${r.name}\n${await r.logTail(30)}`),
      );
      console.error(`replica logs at the failure:\n${tails.join("\n")}`);
    }
    throw err;
  } finally {
    await Promise.all(clusters.map((c) => {
      try {
        c.agent.process.kill("SIGCONT");
      } catch { /* gone */ }
      return c.agent.stop();
    }));
    await set?.teardown();
    await lb.close();
  }
}

// ---------------------------------------------------------------------------------------------
// kubectl

/** Runs kubectl with streaming output; next(re) waits for a line matching re. */
function streamingKubectl(cp: ControlPlane, kubeconfig: string, args: string[]) {
  const child = new Deno.Command(`${cp.binDir}/kubectl`, {
    args: ["--kubeconfig", kubeconfig, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let stderr = "";
  let ended = false;
  const read = async (s: ReadableStream<Uint8Array>, onLine: (l: string) => void) => {
    let buf = "";
    for await (
      const chunk of s.pipeThrough(
        new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>,
      )
    ) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
    if (buf) onLine(buf);
  };
  const done = Promise.all([
    read(child.stdout, (l) => lines.push(l)),
    read(child.stderr, (l) => stderr += l + "\n"),
  ]).catch(() => {}).finally(() => ended = true);
  return {
    lines,
    async next(re: RegExp, timeoutMs = 15_000): Promise<string> {
      return await eventually(`kubectl output matching ${re}`, () => {
        const l = lines.find((l) => re.test(l));
        if (!l && ended) throw new Error(`kubectl ended; stderr: ${stderr.trim()}`);
        return l;
      }, {
        timeoutMs,
        intervalMs: 20,
        message: () => `lines: ${lines.slice(-5).join(" | ")}; stderr: ${stderr.trim()}`,
      });
    },
    get ended() {
      return ended;
    },
    get stderr() {
      return stderr;
    },
    async stop() {
      try {
        child.kill();
      } catch { /* gone */ }
      await child.status;
      await done;
    },
  };
}

/**
 * The cluster's kubeconfig as downloaded from a replica, in a temp file. The download mints an
 * API token named after the cluster and the current second: a second download of the same
 * cluster within that second is a 409, so that one is retried.
 */
async function downloadKubeconfig(r: DashboardReplica, clusterId: string): Promise<string> {
  const res = await eventually(`${r.name} kubeconfig of ${clusterId}`, async () => {
    const res = await r.api("GET", `/api/clusters/${clusterId}/kubeconfig`);
    if (res.status === 409) return undefined;
    if (res.status !== 200) throw new StopTrying(`${r.name} kubeconfig: ${res.status} ${res.text}`);
    return res;
  }, { timeoutMs: 5_000, intervalMs: 250 });
  assert.match(res.text, new RegExp(`server: ${r.url}/api/clusters/${clusterId}/k8s`));
  const path = await Deno.makeTempFile({ suffix: ".kubeconfig" });
  await Deno.writeTextFile(path, res.text);
  return path;
}

async function createConfigMap(cp: ControlPlane, ns: string, name: string): Promise<void> {
  const r = await kubeRequest(cp, "POST", `/api/v1/namespaces/${ns}/configmaps`, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name },
    data: { v: "1" },
  });
  if (r.status !== 201) {
    throw new Error(`create configmap ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Load helpers

function targetsOf(replicas: DashboardReplica[], clusters: AgentCluster[]): LoadTarget[] {
  return replicas.flatMap((r) =>
    clusters.map((c) => ({ url: r.url, clusterId: c.id, label: `${r.name}->${c.name}` }))
  );
}

function loadOn(s: Scene, targets: LoadTarget[]): LoadGenerator {
  return startLoad({
    rate: RATE,
    targets,
    token: s.set.adminToken,
    path: "/api/v1/namespaces/default",
    maxInFlight: 100,
    timeoutMs: 15_000,
    client: (url) => s.set.replicas.find((r) => r.url === url)?.http,
    keepErrors: 15,
  });
}

/**
 * When a cluster answered again through `r` after `since`: the end of the first successful
 * request after the last failed one (0 when none failed after `since`), or null when the last
 * request still failed.
 */
function recoveryMs(
  samples: readonly LoadSample[],
  r: DashboardReplica,
  clusterId: string,
  since: number,
): { ms: number | null; failed: number } {
  const mine = samples
    .filter((x) =>
      x.target.url === r.url && x.target.clusterId === clusterId && x.startedAt >= since
    )
    .sort((x, y) => x.startedAt - y.startedAt);
  const lastFail = mine.findLastIndex((x) => !x.ok);
  const failed = mine.filter((x) => !x.ok).length;
  if (lastFail < 0) return { ms: 0, failed };
  const firstOk = mine.slice(lastFail + 1).find((x) => x.ok);
  return { ms: firstOk ? Math.round(firstOk.endedAt - since) : null, failed };
}

/** Failed samples as printable lines (at most `max`, then a count of the rest). */
function failedLines(samples: readonly LoadSample[], t0: number, max = 25): string {
  const failed = samples.filter((x) => !x.ok);
  const lines = failed.slice(0, max).map((x) =>
    `    +${Math.round(x.startedAt - t0)}ms ${x.target.label}: ${
      (x.error ?? String(x.status)).slice(0, 220)
    }`
  );
  if (failed.length > max) lines.push(`    ... and ${failed.length - max} more`);
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// A watch that resumes from its last resourceVersion through whichever replica is up

interface WatchEvent {
  type: string;
  object: {
    metadata?: { name?: string; resourceVersion?: string };
    code?: number;
    message?: string;
  };
}

class ResumingWatch {
  readonly seen = new Set<string>();
  opens = 0;
  /** Streams that ended without an error (the client re-watches, as client-go does). */
  ends = 0;
  /** Opens refused, streams broken by an error, ERROR events. */
  readonly failures: string[] = [];
  /**
   * Streams broken on a replica that was NOT stopping: the replica the client is connected to
   * should have resumed them itself (its agent moved because another replica stopped).
   */
  readonly notResumed: string[] = [];
  #rv = "";
  #stopped = false;
  #abort = new AbortController();
  #loop?: Promise<void>;

  constructor(
    readonly cluster: AgentCluster,
    readonly ns: string,
    readonly pick: () => DashboardReplica,
    /** The name of the replica being stopped now, if any. */
    readonly stopping: () => string | null = () => null,
  ) {}

  async start(): Promise<void> {
    const r = this.pick();
    const list = await k8sGet(r, this.cluster.id, `/api/v1/namespaces/${this.ns}/configmaps`);
    if (list.status !== 200) throw new Error(`list through ${r.name}: ${list.status} ${list.text}`);
    const parsed = JSON.parse(list.text) as {
      metadata: { resourceVersion: string };
      items: Array<{ metadata: { name: string } }>;
    };
    for (const i of parsed.items) this.seen.add(i.metadata.name);
    this.#rv = parsed.metadata.resourceVersion;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const r = this.pick();
      const path = `/api/v1/namespaces/${this.ns}/configmaps?watch=true&allowWatchBookmarks=true` +
        `&resourceVersion=${this.#rv}`;
      let res: Response;
      try {
        res = await r.fetch(`/api/clusters/${this.cluster.id}/k8s${path}`, {
          headers: { authorization: `Bearer ${r.adminToken}` },
          signal: this.#abort.signal,
        });
      } catch (err) {
        if (this.#stopped) return;
        this.failures.push(`${r.name}: open: ${(err as Error).message}`);
        await sleep(200);
        continue;
      }
      this.opens++;
      if (res.status !== 200) {
        this.failures.push(`${r.name}: open: ${res.status} ${(await res.text()).slice(0, 200)}`);
        await sleep(200);
        continue;
      }
      let buf = "";
      try {
        for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) this.#event(r, JSON.parse(line) as WatchEvent);
          }
        }
        this.ends++;
      } catch (err) {
        if (this.#stopped) return;
        this.failures.push(`${r.name}: stream: ${(err as Error).message}`);
        if (this.stopping() !== r.name) {
          this.notResumed.push(
            `${r.name} (stopping: ${this.stopping()}): ${(err as Error).message}`,
          );
        }
      }
    }
  }

  #event(r: DashboardReplica, e: WatchEvent): void {
    if (e.type === "ERROR") {
      this.failures.push(`${r.name}: ERROR event ${e.object.code} ${e.object.message}`);
      return;
    }
    const rv = e.object.metadata?.resourceVersion;
    if (rv) this.#rv = rv;
    const name = e.object.metadata?.name;
    if (name && e.type === "ADDED") this.seen.add(name);
  }
}

// ---------------------------------------------------------------------------------------------
// a. Forwarding: kubectl through each replica; a watch through A while B holds the agent

Deno.test({
  name: "replicas e2e a: kubectl through EACH replica reaches every cluster; a watch through A " +
    "keeps receiving events while B holds the agent",
  ...shared,
  async fn() {
    await withScene("fwd", ["a", "b", "b"], async (s) => {
      const checks = new Checks();
      const ns = `replicas-fwd-${crypto.randomUUID().slice(0, 6)}`;
      await ensureNamespace(s.cp, ns);
      const pod = await kubeRequest(s.cp, "POST", `/api/v1/namespaces/${ns}/pods`, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web-0" },
        spec: { containers: [{ name: "main", image: "registry.example/app:1" }] },
      });
      assert.equal(pod.status, 201, JSON.stringify(pod.body));

      // kubectl get pods -A through each replica, for each cluster.
      const figures: string[] = [];
      const kubeconfigs = new Map<string, string>();
      for (const r of [s.a, s.b]) {
        for (const c of s.clusters) {
          const kc = await downloadKubeconfig(r, c.id);
          kubeconfigs.set(`${r.name} ${c.id}`, kc);
          const t0 = performance.now();
          const out = await s.cp.kubectl(["get", "pods", "-A", "-o", "name"], { kubeconfig: kc });
          const ms = Math.round(performance.now() - t0);
          const forwarded = c.home !== r;
          figures.push(
            `${r.name}->${c.name}${forwarded ? "(fwd)" : ""}=${
              out.code === 0 ? `${ms}ms` : "FAIL"
            }`,
          );
          checks.that(
            out.code === 0 && /pod\/web-0/.test(out.stdout),
            `kubectl get pods -A through ${r.name} for ${c.name} (agent on ${c.home.name}): ` +
              `exit ${out.code} ${out.stderr.trim().slice(0, 300)}`,
          );
        }
      }

      // A watch through A on a cluster whose agent B holds.
      const onB = s.clusters.find((c) => c.home === s.b)!;
      const kc = kubeconfigs.get(`${s.a.name} ${onB.id}`)!;
      const watch = streamingKubectl(s.cp, kc, [
        "get",
        "configmaps",
        "-n",
        ns,
        "-w",
        "-o",
        "name",
      ]);
      const eventMs: number[] = [];
      let watchOk = true;
      try {
        await watch.next(/configmap\/kube-root-ca\.crt/, 20_000);
        // Three changes over ~6 s (several heartbeats and more than a lease): the forwarded watch
        // stays open and each change arrives. The spacing is the point, not a wait for a state.
        for (let i = 0; i < 3; i++) {
          if (i > 0) await sleep(2_000);
          const t0 = performance.now();
          await createConfigMap(s.cp, ns, `watched-${i}`);
          await watch.next(new RegExp(`configmap/watched-${i}$`), 10_000);
          eventMs.push(Math.round(performance.now() - t0));
        }
      } catch (err) {
        watchOk = false;
        checks.that(
          false,
          `watch through ${s.a.name} of ${onB.name} (agent on ${s.b.name}): ${
            (err as Error).message
          }`,
        );
      } finally {
        checks.that(!watch.ended, `the watch ended early: ${watch.stderr.trim()}`);
        await watch.stop();
        for (const path of kubeconfigs.values()) await Deno.remove(path);
      }
      const holders = await s.holders();
      checks.that(
        holders[s.a.name] === 1 && holders[s.b.name] === 2,
        `the agents stayed where they were: ${JSON.stringify(holders)}`,
      );
      console.log(
        `[replicas a] kubectl get pods -A: ${figures.join(" ")}; watch via ${s.a.name} of ` +
          `${onB.name} held by ${s.b.name}: ${
            watchOk ? `events after ${eventMs.join("/")} ms` : "FAILED"
          }; ` +
          `agents ${JSON.stringify(holders)}`,
      );
      checks.assertNone();
    });
  },
});

// ---------------------------------------------------------------------------------------------
// b. kill -9 of a replica under load

Deno.test({
  name: "replicas e2e b: kill -9 of a replica under 50 req/s: every cluster answers through the " +
    "survivor within 30 s; after the lease, connected only where the survivor holds the agent",
  ...shared,
  async fn() {
    // c0 and c2 on the victim (a), c1 on the survivor (b).
    await withScene("kill", ["a", "b", "a"], async (s) => {
      const checks = new Checks();
      const victim = s.a, survivor = s.b;
      const frozen = s.clusters[2];
      const load = loadOn(s, targetsOf([victim, survivor], s.clusters));
      try {
        // Warm-up: every target answers before the kill.
        const t0 = performance.now();
        await eventually("warm-up samples", () => load.samples().length >= RATE * 2, 10_000);
        const warm = load.summary();
        checks.that(
          warm.failed === 0,
          `before the kill every target answers: ${warm.failed} failed; ${
            warm.firstErrors.join(" | ")
          }`,
        );

        // Freeze one of the victim's agents across the lease deadline: it cannot come back.
        frozen.agent.process.kill("SIGSTOP");
        const inFlightAtKill = load.inFlight(victim.url);
        const tKill = performance.now();
        await s.set.kill9(victim);
        // The balancer of a real deployment drops it from HTTP too: no new requests to it.
        load.setTargets(targetsOf([survivor], s.clusters));

        // The frozen agent's cluster leaves `connected` once the dead replica's lease is over.
        let leftMs: number | null = null;
        try {
          await eventually(`${frozen.name} to leave connected on ${survivor.name}`, async () => {
            const c = (await listClusters(survivor)).find((c) => c.id === frozen.id);
            return c && c.status !== "connected";
          }, { timeoutMs: LEASE_MS + 10_000, intervalMs: 50 });
          leftMs = Math.round(performance.now() - tKill);
        } catch (err) {
          checks.that(false, (err as Error).message);
        }
        // After the deadline (the lease and a heartbeat of slack): connected only where held.
        const deadline = tKill + LEASE_MS + HEARTBEAT_SECONDS * 1000;
        if (performance.now() < deadline) await sleep(deadline - performance.now());
        const list = await listClusters(survivor);
        const held = await survivor.agentsConnected();
        const connected = list.filter((c) => c.status === "connected");
        const statuses = Object.fromEntries(
          s.clusters.map((c) => [c.name, list.find((x) => x.id === c.id)?.status ?? "missing"]),
        );
        checks.that(
          connected.length <= held && !connected.some((c) => c.id === frozen.id),
          `after the lease: ${connected.length} connected (${JSON.stringify(statuses)}) but ` +
            `${survivor.name} holds ${held} agent(s) and ${frozen.name}'s agent is frozen`,
        );

        frozen.agent.process.kill("SIGCONT");
        // Every cluster answers again through the survivor, for good.
        const recovered = await eventually(
          "every cluster answering through the survivor",
          () => {
            const samples = load.samples();
            const r = s.clusters.map((c) => recoveryMs(samples, survivor, c.id, tKill));
            const lastOk = s.clusters.every((c) => {
              const mine = samples.filter((x) =>
                x.target.url === survivor.url && x.target.clusterId === c.id && x.startedAt > tKill
              );
              return mine.length >= 3 && mine.slice(-3).every((x) => x.ok);
            });
            return lastOk && r.every((x) => x.ms !== null) ? r : undefined;
          },
          { timeoutMs: Math.max(1_000, 30_000 - (performance.now() - tKill)), intervalMs: 100 },
        ).catch((err) => {
          checks.that(false, (err as Error).message);
          return s.clusters.map((c) => recoveryMs(load.samples(), survivor, c.id, tKill));
        });
        for (const [i, c] of s.clusters.entries()) {
          const ms = recovered[i].ms;
          checks.that(ms !== null && ms <= 30_000, `${c.name} answered again after ${ms} ms`);
        }
        const heldAtEnd = await eventually(
          `${survivor.name} holding every agent`,
          async () => (await survivor.agentsConnected()) === s.clusters.length,
          { timeoutMs: 10_000 },
        ).then(() => s.clusters.length, async () => await survivor.agentsConnected());
        checks.that(
          heldAtEnd === s.clusters.length,
          `${survivor.name} holds ${heldAtEnd} agents at the end`,
        );

        await sleep(1_000);
        const summary = await load.stop();
        const after = load.samples().filter((x) => x.startedAt >= tKill || x.endedAt >= tKill);
        const viaDead = after.filter((x) => x.target.url === victim.url && !x.ok).length;
        const viaSurvivor = after.filter((x) => x.target.url === survivor.url && !x.ok).length;
        console.log(
          `[replicas b] kill -9 ${victim.name} at ${Math.round(tKill - t0)} ms: recovery through ` +
            `${survivor.name} ${
              s.clusters.map((c, i) =>
                `${c.name}${
                  c === frozen ? "(frozen until lease+1s)" : `(agent on ${c.home.name})`
                }=${recovered[i].ms}ms`
              ).join(" ")
            }; ${frozen.name} left connected after ${leftMs} ms; after the lease ` +
            `connected=${connected.length} held=${held}; failed after the kill: ${viaDead} via the dead ` +
            `replica (${inFlightAtKill} in flight at the kill) + ${viaSurvivor} via the survivor; ` +
            `total ${formatSummary(summary)}`,
        );
        if (summary.failed) {
          console.log(`  first errors:\n    ${summary.firstErrors.join("\n    ")}`);
          console.log(`  failed requests:\n${failedLines(load.samples(), t0)}`);
        }
      } finally {
        await load.stop();
      }
      checks.assertNone();
    });
  },
});

// ---------------------------------------------------------------------------------------------
// c. Rolling restart under load

Deno.test({
  name: "replicas e2e c: rolling restart (SIGTERM, wait, start) of both replicas under 50 req/s: " +
    "failed requests within 5%, watches lose nothing, every cluster reachable at the end",
  ...shared,
  async fn() {
    await withScene("roll", ["a", "b", "a"], async (s) => {
      const checks = new Checks();
      const ns = `replicas-roll-${crypto.randomUUID().slice(0, 6)}`;
      await ensureNamespace(s.cp, ns);
      // The replicas in service (what the load and the watches use, as a balancer's members).
      let inService = [s.a, s.b];
      let turn = 0;
      const pick = () => inService[turn++ % inService.length];
      let stopping: string | null = null;
      const watches = s.clusters.map((c) => new ResumingWatch(c, ns, pick, () => stopping));
      await Promise.all(watches.map((w) => w.start()));
      const made: string[] = [];
      let producing = true;
      const producer = (async () => {
        for (let i = 0; producing; i++) {
          const name = `roll-${i}`;
          await createConfigMap(s.cp, ns, name);
          made.push(name);
          await sleep(250);
        }
      })();
      const load = loadOn(s, targetsOf(inService, s.clusters));
      const t0 = performance.now();
      const phases: string[] = [];
      try {
        await eventually("warm-up samples", () => load.samples().length >= RATE * 2, 10_000);
        for (const r of [s.a, s.b]) {
          const tPhase = performance.now();
          // As a balancer does for a terminating member: no new requests or agents to it.
          inService = inService.filter((x) => x !== r);
          load.setTargets(targetsOf(inService, s.clusters));
          s.balanceOver(inService);
          const inFlightTo = load.inFlight(r.url);
          const inFlightAll = load.inFlight();
          const agentsHeld = await r.agentsConnected().catch(() => NaN);
          stopping = r.name;
          const stopped = await s.set.stop(r);
          checks.that(stopped.code === 0, `${r.name} exited with ${stopped.code} after SIGTERM`);
          const tStart = performance.now();
          await s.set.start(r);
          const startMs = Math.round(performance.now() - tStart);
          inService = [...inService, r];
          s.balanceOver(inService);
          load.setTargets(targetsOf(inService, s.clusters));
          // The next replica stops only once every cluster is connected and answers through
          // both replicas again.
          const tBack = performance.now();
          await eventually("every cluster connected and answering on both replicas", async () => {
            for (const x of [s.a, s.b]) {
              const list = await listClusters(x);
              for (const c of s.clusters) {
                if (list.find((i) => i.id === c.id)?.status !== "connected") return false;
                if ((await k8sGet(x, c.id, "/api/v1/namespaces/default")).status !== 200) {
                  return false;
                }
              }
            }
            return true;
          }, { timeoutMs: 30_000, intervalMs: 100 }).catch((err) =>
            checks.that(false, `after ${r.name}'s restart: ${err.message}`)
          );
          const backMs = Math.round(performance.now() - tBack);
          stopping = null;
          // This phase's failures, and per cluster the span from its first failed request to
          // the end of its last one (its gap).
          const mine = load.samples().filter((x) =>
            x.startedAt >= tPhase && x.startedAt < performance.now()
          );
          const gaps = s.clusters.map((c) => {
            const failed = mine.filter((x) => !x.ok && x.target.clusterId === c.id);
            if (!failed.length) return `${c.name}=0`;
            const from = Math.min(...failed.map((x) => x.startedAt));
            const to = Math.max(...failed.map((x) => x.endedAt));
            return `${c.name}=${Math.round(to - from)}ms/${failed.length}`;
          });
          phases.push(
            `${r.name} (held ${agentsHeld} agents; in flight at SIGTERM: ${inFlightTo} to it, ` +
              `${inFlightAll} in all): drained+exited in ${stopped.ms} ms, started in ${startMs} ms, ` +
              `all answering ${backMs} ms later, ${mine.filter((x) => !x.ok).length} of ` +
              `${mine.length} failed, gaps ${gaps.join(" ")}`,
          );
        }
        await sleep(1_000);
      } finally {
        producing = false;
        await producer;
      }
      const summary = await load.stop();
      // Every change made during the restarts reaches every watch (resumed by resourceVersion).
      await eventually(
        "every watch to have seen every configmap",
        () => watches.every((w) => made.every((n) => w.seen.has(n))),
        { timeoutMs: 15_000, intervalMs: 100 },
      ).catch(() => {});
      await Promise.all(watches.map((w) => w.stop()));
      for (const w of watches) {
        const missed = made.filter((n) => !w.seen.has(n));
        checks.that(
          missed.length === 0,
          `the watch of ${w.cluster.name} missed ${missed.length}: ${
            missed.slice(0, 10).join(", ")
          }`,
        );
      }
      // Reachable through both replicas at the end.
      for (const r of [s.a, s.b]) {
        for (const c of s.clusters) {
          const res = await k8sGet(r, c.id, "/api/v1/namespaces/default");
          checks.that(
            res.status === 200,
            `${c.name} through ${r.name} at the end: ${res.status} ${res.text.slice(0, 200)}`,
          );
        }
      }
      // A watch through the replica that stays up never breaks: when its agent moves away from
      // the stopping replica, the replica it is connected to resumes it.
      const notResumed = watches.flatMap((w) => w.notResumed.map((f) => `${w.cluster.name} ${f}`));
      checks.that(
        notResumed.length === 0,
        `watches broken on a replica that stayed up: ${notResumed.join("; ")}`,
      );
      const bound = Math.ceil(summary.sent * 0.05);
      checks.that(
        summary.failed <= bound,
        `${summary.failed} of ${summary.sent} requests failed (bound 5%: ${bound})`,
      );
      const watchFailures = watches.flatMap((w) => w.failures.map((f) => `${w.cluster.name} ${f}`));
      console.log(
        `[replicas c] rolling restart: ${phases.join("; ")}; requests ${formatSummary(summary)}; ` +
          `watches: ${
            watches.map((w) =>
              `${w.cluster.name} opens=${w.opens} ends=${w.ends} failures=${w.failures.length} ` +
              `(on the replica that stayed up: ${w.notResumed.length})`
            ).join(", ")
          }; ` +
          `${made.length} configmaps made`,
      );
      if (summary.failed) {
        console.log(`  first errors:\n    ${summary.firstErrors.join("\n    ")}`);
        console.log(`  failed requests:\n${failedLines(load.samples(), t0)}`);
      }
      if (watchFailures.length) {
        console.log(`  watch failures:\n    ${watchFailures.slice(0, 20).join("\n    ")}`);
      }
      checks.assertNone();
    });
  },
});

// ---------------------------------------------------------------------------------------------
// d. Deleting a cluster through A ends its agent's stream on B

Deno.test({
  name:
    "replicas e2e d: deleting a cluster through replica A closes its agent's stream on B within 1 s",
  ...shared,
  async fn() {
    await withScene("del", [], async (s) => {
      const checks = new Checks();
      // Registered through A, held by B.
      const doomed = await s.addAgent(`${s.tag}-doomed`, s.b, s.a);
      await eventually(
        "B holds the agent",
        async () => (await s.b.agentsConnected()) === 1,
        10_000,
      );
      checks.that((await s.a.agentsConnected()) === 0, "A holds no agent");
      const t0 = performance.now();
      const del = await s.a.api("DELETE", `/api/clusters/${doomed.id}`);
      const deleteMs = Math.round(performance.now() - t0);
      assert.equal(del.status, 204, del.text);
      const [agentMs, bMs] = await Promise.all([
        eventually(
          "the agent's /readyz to drop",
          async () => await readyz(doomed.healthPort) !== 200,
          {
            timeoutMs: 5_000,
            intervalMs: 5,
          },
        ).then(() => Math.round(performance.now() - t0), () => null),
        eventually("B's agent count to drop", async () => (await s.b.agentsConnected()) === 0, {
          timeoutMs: 5_000,
          intervalMs: 10,
        }).then(() => Math.round(performance.now() - t0), () => null),
      ]);
      checks.that(
        agentMs !== null && agentMs <= 1_000,
        `the agent's stream ended after ${agentMs} ms`,
      );
      checks.that(bMs !== null && bMs <= 1_000, `B's agent count dropped after ${bMs} ms`);
      const reason = await eventually(
        "the deletion reason in the agent's log",
        async () => /the cluster was deleted from the dashboard/.test(await doomed.agent.logs()),
        5_000,
      ).then(() => true, () => false);
      checks.that(reason, "the agent's log gives the deletion as the reason its stream ended");
      for (const r of [s.a, s.b]) {
        checks.that(
          !(await listClusters(r)).some((c) => c.id === doomed.id),
          `${r.name} no longer lists the cluster`,
        );
      }
      console.log(
        `[replicas d] DELETE through ${s.a.name} (${deleteMs} ms) -> agent stream on ${s.b.name} ` +
          `closed: agent /readyz after ${agentMs} ms, ${s.b.name} agent count after ${bMs} ms; ` +
          `deletion reason in the agent's log: ${reason}`,
      );
      checks.assertNone(`\n${await withTimeout(s.logTails(), 5_000, "log tails").catch(() => "")}`);
    });
  },
});
