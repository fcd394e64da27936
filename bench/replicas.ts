// Several replicas (issue #20): one dashboard replica on PostgreSQL, then two replicas on one
// PostgreSQL database, each setup with N simulated agents (bench/fleet_agents.ts, in processes of
// their own, one TLS connection per agent) that dial one address: a round-robin TCP balancer
// (testing/tcp_balancer.ts) in processes of its own sharing that port, so with two replicas about
// half the agents' streams land on each. The replicas are real `deno task start` processes
// (testing/replicas.ts: fresh database, shared ENCRYPTION_KEY, own DATA_DIR and ports, PEER_URL
// their own HTTPS URL) with the default 10 s heartbeat.
//
// Per setup: the time for all N agents to connect (from starting the generators until they report
// every stream accepted) and the streams restarted meanwhile; each replica's RSS and CPU at steady
// state (heartbeats only), with the simulators' and the balancer's CPU beside them; p50/p99 of a
// small GET through the dashboard's REST proxy to a random agent, sent to replica A with a bearer
// API token. With two replicas half the requests go to agents A holds (local) and half to agents
// B holds (routed: A forwards them to B), interleaved; "all" is both together.
import { type DashboardReplica, startReplicas } from "../testing/replicas.ts";
import { createTokens, type Generator, spawnGenerator, waitConnected } from "./fleet.ts";
import { fmt, percentile, processStats, table } from "./stats.ts";
import { lines } from "../common/lines.ts";

const ROOT = new URL("../", import.meta.url).pathname;
/** The dashboard's default AGENT_HEARTBEAT_SECONDS, as in the fleet section. */
const HEARTBEAT_SECONDS = 10;
const GET_PATH = "/api/v1/namespaces/default/configmaps/canned";

export interface ReplicasOptions {
  /** Simulated agents per setup. */
  agents: number;
  /** Simulated agents per generator process. */
  agentsPerGenerator: number;
  /** Wait after the last agent connected, before the steady-state window. */
  settleSeconds: number;
  /** The steady-state window for RSS and CPU. */
  steadySeconds: number;
  /** Measured GETs through replica A (after `warmupRequests` unmeasured ones). */
  requests: number;
  warmupRequests: number;
}

export function fullReplicasOptions(agents: number): ReplicasOptions {
  return {
    agents,
    agentsPerGenerator: 2500,
    // As the fleet section: 90 s = nine heartbeat intervals, from 10 s after connecting.
    settleSeconds: 10,
    steadySeconds: 90,
    requests: 1000,
    warmupRequests: 20,
  };
}

export function smokeReplicasOptions(agents: number): ReplicasOptions {
  return {
    agents,
    agentsPerGenerator: 2500,
    settleSeconds: 1,
    steadySeconds: 2,
    requests: 20,
    warmupRequests: 4,
  };
}

export interface LatencyFigures {
  requests: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

export interface ReplicasSetupResult {
  replicas: number;
  agents: number;
  connect_seconds: number;
  /** Per replica, A first: agent streams it holds (its dashboard_agents_connected). */
  held: number[];
  /** Per replica: RSS once started and the tokens created, before any agent connected. */
  rss_before_agents_mb: number[];
  /** Per replica: RSS at the end of the steady-state window. */
  rss_mb: number[];
  /** Per replica: CPU over the steady-state window, in % of one core. */
  heartbeat_cpu_pct_of_core: number[];
  /** The machine's 1-minute load average at the end of the steady-state window (all work). */
  load_average_1m: number;
  /** The simulated agents' processes' CPU over the steady-state window, added up. */
  simulator_cpu_pct_of_core: number;
  /** Agent streams that ended and were dialled again until all were connected. */
  stream_restarts_while_connecting: number;
  /**
   * Of those, the ones that ended with an error, by gRPC status: RESOURCE_EXHAUSTED is the
   * dashboard's limit of unauthenticated calls per remote address (behind the balancer every
   * agent has the balancer's address).
   */
  stream_errors_while_connecting: Record<string, number>;
  /** … and during the steady-state window (0 when the machine keeps up). */
  stream_restarts_steady: number;
  /** Per replica: streams it closed because the agent missed its heartbeat deadline (log). */
  heartbeat_deadline_closes: number[];
  /** The balancer's processes (they share one port), and their RSS and CPU added up. */
  balancer_processes: number;
  balancer_rss_mb: number;
  balancer_cpu_pct_of_core: number;
  /** GETs to agents A holds. */
  local: LatencyFigures;
  /** GETs to agents B holds, forwarded by A (two replicas only). */
  routed: LatencyFigures | null;
  /** Every measured GET. */
  all: LatencyFigures;
}

export interface ReplicasBenchResult {
  agents: number;
  steady_seconds: number;
  requests: number;
  setups: ReplicasSetupResult[];
}

/**
 * The balancer: `processes` bench/balancer_process.ts processes sharing one port (SO_REUSEPORT).
 * Each forwarded connection holds two sockets in the balancer, and a process may open at most
 * `ulimit -n` files (20,000 on the machine of docs/benchmarks.md): one process cannot relay
 * 10,000 agents there.
 */
interface Balancer {
  address: string;
  pids: number[];
  setBackends(backends: string[]): Promise<void>;
  stop(): Promise<void>;
}

async function startBalancerProcess(port: number): Promise<{
  address: string;
  child: Deno.ChildProcess;
  writer: WritableStreamDefaultWriter<Uint8Array>;
}> {
  // setpriv: the balancer dies with this process, even on SIGKILL.
  const child = new Deno.Command("setpriv", {
    args: [
      "--pdeathsig",
      "KILL",
      Deno.execPath(),
      "run",
      "-A",
      `${ROOT}bench/balancer_process.ts`,
      String(port),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const out = lines(child.stdout);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const first = await Promise.race([
      out.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("the balancer did not start within 30 s")),
          30_000,
        );
      }),
    ]);
    if (first.done) throw new Error("the balancer exited before it listened");
    const { address } = JSON.parse(first.value) as { address: string };
    (async () => {
      for await (const _ of out) { /* nothing more is expected */ }
    })().catch(() => {});
    return { address, child, writer };
  } catch (err) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function startBalancer(processes: number): Promise<Balancer> {
  const procs = [await startBalancerProcess(0)];
  const port = Number(procs[0].address.split(":").at(-1));
  try {
    for (let i = 1; i < processes; i++) procs.push(await startBalancerProcess(port));
  } catch (err) {
    for (const p of procs) await p.writer.close().catch(() => {});
    throw err;
  }
  return {
    address: procs[0].address,
    pids: procs.map((p) => p.child.pid),
    async setBackends(backends) {
      const line = new TextEncoder().encode(`${backends.join(",")}\n`);
      for (const p of procs) await p.writer.write(line);
    },
    async stop() {
      await Promise.all(procs.map(async (p) => {
        await p.writer.close().catch(() => {});
        const timer = setTimeout(() => {
          try {
            p.child.kill("SIGKILL");
          } catch { /* gone */ }
        }, 5_000);
        await p.child.status;
        clearTimeout(timer);
      }));
    },
  };
}

/** This replica's id, from its /metrics (dashboard_replica{replica="…"}). */
async function replicaId(r: DashboardReplica): Promise<string> {
  const m = /^dashboard_replica\{[^}]*\breplica="([^"]+)"/m.exec(await r.metrics());
  if (!m) throw new Error(`${r.name} /metrics has no dashboard_replica`);
  return m[1];
}

function figures(lat: number[], errors: number): LatencyFigures {
  return {
    requests: lat.length + errors,
    p50_ms: percentile(lat, 50),
    p99_ms: percentile(lat, 99),
    errors,
  };
}

async function runSetup(replicas: number, opts: ReplicasOptions): Promise<ReplicasSetupResult> {
  const setupStarted = performance.now();
  const progress = (what: string) =>
    console.error(
      `replicas (${replicas}, ${opts.agents} agents) +${
        fmt((performance.now() - setupStarted) / 1000, 0)
      } s: ${what}`,
    );
  // Up to 8,000 agents per balancer process (16,000 sockets, below 20,000 open files).
  const lb = await startBalancer(Math.ceil(opts.agents / 8000));
  const gens: Generator[] = [];
  const set = await startReplicas({
    replicas,
    grpcPublicAddr: lb.address,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    logLevel: "warn",
  }).catch(async (err) => {
    await lb.stop();
    throw err;
  });
  try {
    const rs = set.replicas;
    const a = rs[0];
    await lb.setBackends(rs.map((r) => r.grpcAddr));
    const api = (method: string, path: string, body?: unknown, timeoutMs = 30_000) =>
      a.fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${set.adminToken}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    const tokenRes = await api("POST", "/api/tokens", { name: "bench replicas" });
    if (!tokenRes.ok) {
      throw new Error(`creating the bench API token: ${tokenRes.status} ${await tokenRes.text()}`);
    }
    const apiToken = (await tokenRes.json() as { token: string }).token;
    const tokens = await createTokens(api, 0, opts.agents);
    const rssBefore = await Promise.all(rs.map(async (r) => (await processStats(r.pid!)).rssBytes));

    progress(`${opts.agents} tokens created; starting the agents`);
    const t0 = performance.now();
    for (let i = 0; i < tokens.length; i += opts.agentsPerGenerator) {
      gens.push(
        spawnGenerator(lb.address, a.caPem, tokens.slice(i, i + opts.agentsPerGenerator)),
      );
    }
    await waitConnected(gens, opts.agents, 600_000);
    const connectSeconds = (performance.now() - t0) / 1000;
    const reconnects = () => gens.reduce((sum, g) => sum + g.reconnects, 0);
    const reconnectsWhileConnecting = reconnects();
    const streamErrorsWhileConnecting: Record<string, number> = {};
    for (const g of gens) {
      for (const [code, count] of Object.entries(g.stream_errors)) {
        streamErrorsWhileConnecting[code] = (streamErrorsWhileConnecting[code] ?? 0) + count;
      }
    }
    progress(`all connected in ${fmt(connectSeconds)} s`);
    // The replicas' own count: every stream accepted is held by exactly one of them.
    let held: number[] = [];
    for (const until = performance.now() + 120_000;;) {
      held = await Promise.all(rs.map((r) => r.agentsConnected().catch(() => NaN)));
      if (held.reduce((s, n) => s + n, 0) === opts.agents) break;
      if (performance.now() > until) {
        throw new Error(`the replicas hold ${held.join(" + ")} of ${opts.agents} agents`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    progress(`held ${held.join(" / ")}; steady state for ${opts.steadySeconds} s`);

    await new Promise((r) => setTimeout(r, opts.settleSeconds * 1000));
    const n = rs.length;
    const balancerIdx = lb.pids.map((_, i) => n + i);
    const generatorIdx = gens.map((_, i) => n + lb.pids.length + i);
    const pids = [...rs.map((r) => r.pid!), ...lb.pids, ...gens.map((g) => g.child.pid)];
    const reconnectsBefore = reconnects();
    const before = await Promise.all(pids.map((p) => processStats(p)));
    await new Promise((r) => setTimeout(r, opts.steadySeconds * 1000));
    const after = await Promise.all(pids.map((p) => processStats(p)));
    const reconnectsSteady = reconnects() - reconnectsBefore;
    const loadAverage = Deno.loadavg()[0];
    const cpuPct = (i: number) =>
      100 * (after[i].cpuSeconds - before[i].cpuSeconds) / opts.steadySeconds;

    // The agents by holder, as A sees them.
    const list = await (await api("GET", "/api/clusters", undefined, 120_000)).json() as {
      items: { id: string; status: string; agent_replica_id: string | null }[];
    };
    const aId = await replicaId(a);
    const connected = list.items.filter((c) => c.status === "connected" && c.agent_replica_id);
    const local = connected.filter((c) => c.agent_replica_id === aId).map((c) => c.id);
    const remote = connected.filter((c) => c.agent_replica_id !== aId).map((c) => c.id);
    if (!local.length || (replicas > 1 && !remote.length)) {
      throw new Error(`A holds ${local.length} and the others ${remote.length} of the agents`);
    }
    const kinds = replicas > 1 ? [local, remote] : [local];
    const lat: number[][] = kinds.map(() => []);
    const errors = kinds.map(() => 0);
    for (let i = 0; i < opts.warmupRequests + opts.requests; i++) {
      const k = i % kinds.length;
      const ids = kinds[k];
      const id = ids[Math.floor(Math.random() * ids.length)];
      const start = performance.now();
      let ok = false;
      try {
        const r = await a.fetch(`/api/clusters/${id}/k8s${GET_PATH}`, {
          headers: { authorization: `Bearer ${apiToken}` },
          signal: AbortSignal.timeout(5_000),
        });
        await r.arrayBuffer();
        ok = r.ok;
      } catch { /* counted below */ }
      if (i < opts.warmupRequests) continue;
      if (ok) lat[k].push(performance.now() - start);
      else errors[k]++;
    }
    const deadlineCloses = (await Promise.all(rs.map((r) => r.logs()))).map((text) =>
      text.split("silent past its heartbeat deadline").length - 1
    );
    progress(`${opts.requests} GETs done`);

    return {
      replicas,
      agents: opts.agents,
      connect_seconds: connectSeconds,
      held,
      rss_before_agents_mb: rssBefore.map((b) => b / 1e6),
      rss_mb: after.slice(0, n).map((s) => s.rssBytes / 1e6),
      heartbeat_cpu_pct_of_core: rs.map((_, i) => cpuPct(i)),
      load_average_1m: loadAverage,
      simulator_cpu_pct_of_core: generatorIdx.reduce((sum, i) => sum + cpuPct(i), 0),
      stream_restarts_while_connecting: reconnectsWhileConnecting,
      stream_errors_while_connecting: streamErrorsWhileConnecting,
      stream_restarts_steady: reconnectsSteady,
      heartbeat_deadline_closes: deadlineCloses,
      balancer_processes: lb.pids.length,
      balancer_rss_mb: balancerIdx.reduce((sum, i) => sum + after[i].rssBytes, 0) / 1e6,
      balancer_cpu_pct_of_core: balancerIdx.reduce((sum, i) => sum + cpuPct(i), 0),
      local: figures(lat[0], errors[0]),
      routed: replicas > 1 ? figures(lat[1], errors[1]) : null,
      all: figures(lat.flat(), errors.reduce((s, e) => s + e, 0)),
    };
  } finally {
    for (const g of gens) {
      try {
        g.child.kill("SIGKILL");
      } catch { /* gone */ }
      await g.child.status;
    }
    await lb.stop();
    await set.teardown();
  }
}

/** One replica, then two, each with opts.agents agents through the balancer. */
export async function runReplicasBench(opts: ReplicasOptions): Promise<ReplicasBenchResult> {
  const setups: ReplicasSetupResult[] = [];
  for (const replicas of [1, 2]) setups.push(await runSetup(replicas, opts));
  return {
    agents: opts.agents,
    steady_seconds: opts.steadySeconds,
    requests: opts.requests,
    setups,
  };
}

/** The figures as a Markdown table: one column per setup, per-replica values as "A / B". */
export function replicasTable(res: ReplicasBenchResult): string {
  const each = (values: number[], digits = 2) => values.map((v) => fmt(v, digits)).join(" / ");
  const lat = (f: LatencyFigures | null, key: "p50_ms" | "p99_ms") => f ? fmt(f[key]) : "";
  const rows: [string, (s: ReplicasSetupResult) => string][] = [
    ["agent streams held (A / B)", (s) => s.held.join(" / ")],
    ["all connected in s", (s) => fmt(s.connect_seconds)],
    ["RSS MB before the agents", (s) => each(s.rss_before_agents_mb)],
    ["RSS MB at steady state", (s) => each(s.rss_mb)],
    ["heartbeat CPU % of a core", (s) => each(s.heartbeat_cpu_pct_of_core)],
    ["simulated agents' CPU % of a core", (s) => fmt(s.simulator_cpu_pct_of_core)],
    [
      "stream restarts connecting / steady",
      (s) => `${s.stream_restarts_while_connecting} / ${s.stream_restarts_steady}`,
    ],
    [
      "… while connecting, refused RESOURCE_EXHAUSTED",
      (s) => String(s.stream_errors_while_connecting.RESOURCE_EXHAUSTED ?? 0),
    ],
    ["heartbeat-deadline closes (log)", (s) => s.heartbeat_deadline_closes.join(" / ")],
    ["1-min load average, end of steady state", (s) => fmt(s.load_average_1m)],
    [
      "balancer CPU % of a core / RSS MB",
      (s) => `${fmt(s.balancer_cpu_pct_of_core)} / ${fmt(s.balancer_rss_mb)}`,
    ],
    ["GET via A p50 ms, agent on A", (s) => lat(s.local, "p50_ms")],
    ["GET via A p50 ms, agent on B (routed)", (s) => lat(s.routed, "p50_ms")],
    ["GET via A p50 ms, all", (s) => lat(s.all, "p50_ms")],
    ["GET via A p99 ms, agent on A", (s) => lat(s.local, "p99_ms")],
    ["GET via A p99 ms, agent on B (routed)", (s) => lat(s.routed, "p99_ms")],
    ["GET via A p99 ms, all", (s) => lat(s.all, "p99_ms")],
    ["GET errors", (s) => String(s.all.errors)],
  ];
  return table(
    ["figure", ...res.setups.map((s) => s.replicas === 1 ? "1 replica" : `${s.replicas} replicas`)],
    rows.map(([name, cell]) => [name, ...res.setups.map(cell)]),
  );
}
