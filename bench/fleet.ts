// Fleet scale: one dashboard process holding N simulated agents (bench/fleet_agents.ts in their
// own processes). For each N: dashboard RSS and bytes per agent, CPU spent on heartbeats at
// steady state, p99 of a request routed to a random agent; after the largest N, the time for
// every agent to reconnect after the dashboard is killed -9 and restarted.
import { startDashboardProcess } from "./dashboard_process.ts";
import { percentile, processStats } from "./stats.ts";
import { lines } from "../common/lines.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** A load generator process (bench/fleet_agents.ts) and its latest counters. */
export interface Generator {
  connected: number;
  registered: number;
  errors: number;
  /** Streams that ended (and were dialled again) since the start. */
  reconnects: number;
  /** Streams that ended with an error, by gRPC status name. */
  stream_errors: Record<string, number>;
  child: Deno.ChildProcess;
}

/** A REST call to a dashboard as its admin. */
export type AdminApi = (method: string, path: string, body?: unknown) => Promise<Response>;

/** Registration tokens for clusters sim-<from> … sim-<from + count - 1>, 16 at a time. */
export async function createTokens(
  api: AdminApi,
  from: number,
  count: number,
): Promise<string[]> {
  const tokens: string[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let i = next++; i < count; i = next++) {
      const r = await api("POST", "/api/clusters/agent-token", {
        cluster_name: `sim-${from + i}`,
        permissions: "read-only",
      });
      if (r.status !== 201) {
        throw new Error(`token ${from + i}: HTTP ${r.status} ${await r.text()}`);
      }
      tokens[i] = (await r.json() as { token: string }).token;
    }
  }));
  return tokens;
}

/** Starts a generator whose agents dial `target` (host:port) and pin `caPem`. */
export function spawnGenerator(target: string, caPem: string, tokens: string[]): Generator {
  // setpriv: the generator dies with this process, even on SIGKILL.
  const child = new Deno.Command("setpriv", {
    args: ["--pdeathsig", "KILL", Deno.execPath(), "run", "-A", `${ROOT}bench/fleet_agents.ts`],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const g: Generator = {
    connected: 0,
    registered: 0,
    errors: 0,
    reconnects: 0,
    stream_errors: {},
    child,
  };
  const w = child.stdin.getWriter();
  w.write(
    new TextEncoder().encode(
      JSON.stringify({ target, caPem, tokens }),
    ),
  )
    .then(() => w.close());
  (async () => {
    for await (const line of lines(child.stdout)) {
      const c = JSON.parse(line) as Omit<Generator, "child">;
      Object.assign(g, {
        connected: c.connected,
        registered: c.registered,
        errors: c.errors,
        reconnects: c.reconnects,
        stream_errors: c.stream_errors,
      });
    }
  })().catch(() => {});
  return g;
}

/** Waits until the generators report `total` connected agents; the seconds it took. */
export async function waitConnected(
  gens: Generator[],
  total: number,
  timeoutMs: number,
): Promise<number> {
  const start = performance.now();
  while (gens.reduce((s, g) => s + g.connected, 0) < total) {
    if (performance.now() - start > timeoutMs) {
      throw new Error(
        `only ${gens.reduce((s, g) => s + g.connected, 0)} of ${total} agents connected in time`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return (performance.now() - start) / 1000;
}

export interface FleetRow {
  agents: number;
  connect_seconds: number;
  rss_mb: number;
  /** RSS added per agent since the previous step (or since the idle dashboard, for the first). */
  bytes_per_agent: number;
  heartbeat_cpu_pct_of_core: number;
  routed_p99_ms: number;
  routed_errors: number;
}

/**
 * The idle dashboard's RSS once its start-up work has settled: polls every 2 s until five
 * readings in a row lie within 2 % of each other (at most 90 s).
 */
async function settledRss(pid: number): Promise<number> {
  const readings: number[] = [];
  const until = performance.now() + 90_000;
  for (;;) {
    readings.push((await processStats(pid)).rssBytes);
    const last = readings.slice(-5);
    if (last.length === 5 && Math.max(...last) <= 1.02 * Math.min(...last)) return last[4];
    if (performance.now() > until) return last[last.length - 1];
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export async function runFleetBench(
  steps: number[],
  opts: { settleSeconds: number; steadySeconds: number; routedRequests: number },
): Promise<{ rows: FleetRow[]; reconnect_seconds: number; reconnect_agents: number }> {
  const d = await startDashboardProcess();
  const gens: Generator[] = [];
  const rows: FleetRow[] = [];
  try {
    // Measured as the dashboard runs on every start but its first, with its database in place:
    // the first start also runs PGlite's initdb, whose ~0.4 GB V8 frees ~30 s later, and keeps
    // ~0.1 GB more of native heap until the process restarts (docs/benchmarks.md).
    await d.kill("SIGTERM");
    await d.restart();
    let previous = { rss: await settledRss(d.pid), agents: 0 };
    let total = 0;
    for (const n of steps) {
      const tokens = await createTokens(d.api, total, n - total);
      const t0 = performance.now();
      gens.push(spawnGenerator(d.agentUrl.replace("https://", ""), d.caPem, tokens));
      await waitConnected(gens, n, 300_000);
      const connectSeconds = (performance.now() - t0) / 1000;
      total = n;
      // The connection burst's own work (database writes, garbage) settles first.
      await new Promise((r) => setTimeout(r, opts.settleSeconds * 1000));
      const before = await processStats(d.pid);
      await new Promise((r) => setTimeout(r, opts.steadySeconds * 1000));
      const after = await processStats(d.pid);
      const list = await (await d.api("GET", "/api/clusters")).json() as {
        items: { id: string }[];
      };
      const ids = list.items.map((c) => c.id);
      const lat: number[] = [];
      let errors = 0;
      for (let i = 0; i < opts.routedRequests; i++) {
        const id = ids[Math.floor(Math.random() * ids.length)];
        const start = performance.now();
        try {
          const r = await d.api(
            "GET",
            `/api/clusters/${id}/k8s/api/v1/namespaces/default/configmaps/canned`,
            undefined,
            AbortSignal.timeout(5_000),
          );
          await r.arrayBuffer();
          if (r.ok) lat.push(performance.now() - start);
          else errors++;
        } catch {
          errors++;
        }
      }
      rows.push({
        agents: n,
        connect_seconds: connectSeconds,
        rss_mb: after.rssBytes / 1e6,
        bytes_per_agent: (after.rssBytes - previous.rss) / (n - previous.agents),
        heartbeat_cpu_pct_of_core: 100 * (after.cpuSeconds - before.cpuSeconds) /
          opts.steadySeconds,
        routed_p99_ms: percentile(lat, 99),
        routed_errors: errors,
      });
      previous = { rss: after.rssBytes, agents: n };
    }
    await d.kill("SIGKILL");
    for (const g of gens) g.connected = 0;
    const restartAt = performance.now();
    await d.restart();
    await waitConnected(gens, total, 180_000);
    return {
      rows,
      reconnect_seconds: (performance.now() - restartAt) / 1000,
      reconnect_agents: total,
    };
  } finally {
    for (const g of gens) {
      try {
        g.child.kill("SIGKILL");
      } catch { /* gone */ }
      await g.child.status;
    }
    await d.stop();
  }
}
