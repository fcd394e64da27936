// Tunnel against direct access, with the same client code and alternating rounds:
//   (a) the admin kubeconfig straight to the kube-apiserver,
//   (b) through the dashboard's proxy to a kubeconfig cluster,
//   (c) through the dashboard's proxy to an agent cluster.
import type { ControlPlane } from "../tools/testenv/mod.ts";
import { createConfigMaps, kubeRequest } from "../tools/testenv/mod.ts";
import { percentile, processStats, resetPeak } from "./stats.ts";
import { lines } from "../common/lines.ts";
import { type Target, timedGet } from "./targets.ts";

export interface BenchSizes {
  rounds: number;
  getsPerRound: number;
  listItems: number;
  listRounds: number;
  concurrency: number;
  concurrencySeconds: number;
  watchWrites: number;
  holItems: number;
  holGets: number;
  /** How long the slow-reader scenario reads the bench-hol list at 1 MB/s. */
  slowReadSeconds: number;
}

export const fullSizes: BenchSizes = {
  rounds: 10,
  getsPerRound: 100,
  listItems: 5000,
  listRounds: 5,
  concurrency: 100,
  concurrencySeconds: 20,
  watchWrites: 200,
  holItems: 500,
  holGets: 1000,
  slowReadSeconds: 10,
};

export const smokeSizes: BenchSizes = {
  rounds: 2,
  getsPerRound: 10,
  listItems: 100,
  listRounds: 1,
  concurrency: 4,
  concurrencySeconds: 1,
  watchWrites: 5,
  holItems: 20,
  holGets: 20,
  slowReadSeconds: 1,
};

/** n sequential small GETs, their latencies appended to into; returns the number that failed. */
async function timedGets(t: Target, path: string, n: number, into: number[]): Promise<number> {
  let errors = 0;
  for (let i = 0; i < n; i++) {
    try {
      into.push(await timedGet(t, path));
    } catch {
      errors++;
    }
  }
  return errors;
}

/** Idle and loaded slices of the head-of-line scenario, alternating. */
const HOL_SLICES = 4;

/**
 * Runs work while a slow client on a connection of its own reads the bench-hol list (~50 MB)
 * one chunk per 50 ms, then cancels that read.
 */
async function whileSlowReader<T>(t: Target, work: () => Promise<T>): Promise<T> {
  const slowClient = t.another();
  let done = false;
  try {
    // identity: the whole list crosses the path (gzip would shrink these values a thousandfold
    // and leave nothing to hold the line up).
    const res = await slowClient.fetch("/api/v1/namespaces/bench-hol/configmaps", {
      headers: { "accept-encoding": "identity" },
    });
    const reader = res.body!.getReader();
    const slow = (async () => {
      while (!done) {
        if ((await reader.read()).done) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await reader.cancel();
    })();
    await new Promise((r) => setTimeout(r, 200));
    try {
      return await work();
    } finally {
      done = true;
      await slow;
    }
  } finally {
    slowClient.close();
  }
}

/** Rotates the order of targets each round so no target always goes first. */
function rotated<T>(items: T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export type Results = Record<string, Record<string, number>>;

/** The processes whose memory the bench follows: the agent of target c, the dashboard. */
export interface Watched {
  agent: number;
  dashboard: number;
}

/** The rate of the slow-reader scenario's client, as `curl --limit-rate 1M`. */
const SLOW_READ_BYTES_PER_S = 1024 * 1024;

/**
 * Reads `path` through `t` at SLOW_READ_BYTES_PER_S for `seconds` (identity: the whole body
 * crosses the path), then cancels. Returns the bytes read.
 */
async function slowRead(t: Target, path: string, seconds: number): Promise<number> {
  const client = t.another();
  try {
    const res = await client.fetch(path, { headers: { "accept-encoding": "identity" } });
    if (!res.ok) throw new Error(`${t.label} GET ${path}: HTTP ${res.status}`);
    const reader = res.body!.getReader();
    const start = performance.now();
    let bytes = 0;
    while (performance.now() - start < seconds * 1000) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      const due = start + bytes / SLOW_READ_BYTES_PER_S * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    }
    await reader.cancel();
    return bytes;
  } finally {
    client.close();
  }
}

export async function runTunnelBench(
  cp: ControlPlane,
  targets: Target[],
  sizes: BenchSizes,
  watched: Watched,
): Promise<Results> {
  const out: Results = {};
  const put = (scenario: string, key: string, v: number) => (out[scenario] ??= {})[key] = v;
  // The agent's peak RSS in each scenario (its VmHWM, reset before each).
  const scenario = async (name: string, run: () => Promise<void>) => {
    await resetPeak(watched.agent);
    await run();
    put("agent_peak_rss_mb", name, (await processStats(watched.agent)).hwmBytes / 1e6);
  };

  // Small GET latency.
  await createConfigMaps(cp, "bench-small", 1, 64);
  const small = "/api/v1/namespaces/bench-small/configmaps/cm-0";
  for (const t of targets) await timedGet(t, small); // warm connections
  await scenario("small_get", async () => {
    const lat: Record<string, number[]> = {};
    for (let r = 0; r < sizes.rounds; r++) {
      for (const t of rotated(targets, r)) {
        for (let i = 0; i < sizes.getsPerRound; i++) {
          (lat[t.name] ??= []).push(await timedGet(t, small));
        }
      }
    }
    for (const t of targets) {
      put("small_get_p50_ms", t.name, percentile(lat[t.name], 50));
      put("small_get_p99_ms", t.name, percentile(lat[t.name], 99));
    }
  });

  // LIST throughput, twice: values of one repeated letter (gzip shrinks the list ~30×) and
  // random values (gzip saves about a quarter). The API server compresses both for a client
  // that accepts gzip, as this one does; its MB/s count the decoded bytes it reads.
  await createConfigMaps(cp, "bench-list", sizes.listItems, 1000);
  await createConfigMaps(cp, "bench-list-random", sizes.listItems, 1000, { random: true });
  const readAll = async (res: Response) => {
    let bytes = 0;
    for await (const c of res.body!) bytes += c.length;
    return bytes;
  };
  await scenario("list", async () => {
    const lists = [["list_mb_per_s", "bench-list"], ["list_random_mb_per_s", "bench-list-random"]];
    for (const [figure, ns] of lists) {
      const list = `/api/v1/namespaces/${ns}/configmaps`;
      // One unmeasured LIST per target first: the first few through a fresh agent run while its
      // (and the dashboard's) receive path is still being compiled by V8, at a third of the speed.
      for (const t of targets) await readAll(await t.fetch(list));
      const mbps: Record<string, number[]> = {};
      for (let r = 0; r < sizes.listRounds; r++) {
        for (const t of rotated(targets, r)) {
          const start = performance.now();
          const bytes = await readAll(await t.fetch(list));
          (mbps[t.name] ??= []).push(bytes / 1e6 / ((performance.now() - start) / 1000));
        }
      }
      for (const t of targets) put(figure, t.name, percentile(mbps[t.name], 50));
    }
  });

  // A page of 20 of those ConfigMaps (~22 KB): larger than one packet, smaller than a window.
  const page = "/api/v1/namespaces/bench-list/configmaps?limit=20";
  await scenario("page_get", async () => {
    const pageLat: Record<string, number[]> = {};
    for (let r = 0; r < sizes.rounds; r++) {
      for (const t of rotated(targets, r)) {
        for (let i = 0; i < sizes.getsPerRound / 2; i++) {
          (pageLat[t.name] ??= []).push(await timedGet(t, page));
        }
      }
    }
    for (const t of targets) put("page_get_p50_ms", t.name, percentile(pageLat[t.name], 50));
  });

  // Concurrent clients.
  await scenario("concurrent", async () => {
    const slice = sizes.concurrencySeconds / 4;
    const counts: Record<string, { n: number; errors: number; seconds: number }> = {};
    for (let r = 0; r < 4; r++) {
      for (const t of rotated(targets, r)) {
        const until = performance.now() + slice * 1000;
        const c = counts[t.name] ??= { n: 0, errors: 0, seconds: 0 };
        await Promise.all(Array.from({ length: sizes.concurrency }, async () => {
          while (performance.now() < until) {
            try {
              await timedGet(t, small);
              c.n++;
            } catch {
              c.errors++;
            }
          }
        }));
        c.seconds += slice;
      }
    }
    for (const t of targets) {
      put("concurrent_req_per_s", t.name, counts[t.name].n / counts[t.name].seconds);
      put("concurrent_errors", t.name, counts[t.name].errors);
    }
  });

  // Watch delay: one write is seen by all three watches, so they run under equal conditions.
  await kubeRequest(cp, "POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "bench-watch" },
  });
  await scenario("watch", async () => {
    const sent = new Map<string, number>();
    const delays: Record<string, number[]> = {};
    const aborts = new AbortController();
    const watchers = targets.map(async (t) => {
      const res = await t.fetch("/api/v1/namespaces/bench-watch/configmaps?watch=true", {
        signal: aborts.signal,
      });
      try {
        for await (const line of lines(res.body!)) {
          const e = JSON.parse(line) as { type: string; object: { metadata: { name: string } } };
          const at = sent.get(e.object.metadata.name);
          if (e.type === "ADDED" && at !== undefined) {
            (delays[t.name] ??= []).push(performance.now() - at);
          }
        }
      } catch { /* aborted */ }
    });
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < sizes.watchWrites; i++) {
      const name = `w-${i}`;
      sent.set(name, performance.now());
      await kubeRequest(cp, "POST", "/api/v1/namespaces/bench-watch/configmaps", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name },
      });
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 500));
    aborts.abort();
    await Promise.all(watchers);
    for (const t of targets) {
      put("watch_delay_p50_ms", t.name, percentile(delays[t.name] ?? [], 50));
      put("watch_delay_p99_ms", t.name, percentile(delays[t.name] ?? [], 99));
      put("watch_events_seen", t.name, delays[t.name]?.length ?? 0);
    }
  });

  // Head-of-line: small-GET latency alone, and while another, slow client (its own connection)
  // holds a large list open through the same path (for c: the same agent). Idle and loaded
  // slices alternate, targets rotating, so both conditions see the same machine; each p99 is
  // over holGets samples.
  await createConfigMaps(cp, "bench-hol", sizes.holItems, 100 * 1024);
  await scenario("head_of_line", async () => {
    const holIdle: Record<string, number[]> = {};
    const holLoaded: Record<string, number[]> = {};
    const holErrors: Record<string, number> = {};
    const perSlice = Math.ceil(sizes.holGets / HOL_SLICES);
    for (let r = 0; r < HOL_SLICES; r++) {
      for (const t of rotated(targets, r)) {
        const idle = holIdle[t.name] ??= [];
        for (let i = 0; i < perSlice; i++) idle.push(await timedGet(t, small));
        const loaded = holLoaded[t.name] ??= [];
        holErrors[t.name] = (holErrors[t.name] ?? 0) +
          await whileSlowReader(t, () => timedGets(t, small, perSlice, loaded));
      }
    }
    for (const t of targets) {
      put("hol_idle_p99_ms", t.name, percentile(holIdle[t.name], 99));
      put("hol_loaded_p99_ms", t.name, percentile(holLoaded[t.name], 99));
      put("hol_errors", t.name, holErrors[t.name]);
    }
  });

  // Slow reader: one client reads the bench-hol list (~50 MB) at 1 MB/s through b, then c. What
  // it costs the dashboard (b and c) and the agent (c): peak RSS over the level before, which
  // backpressure bounds by the flow-control windows, whatever the body's size.
  for (const t of targets.filter((t) => t.name !== "a")) {
    for (const pid of [watched.agent, watched.dashboard]) await resetPeak(pid);
    const agentBefore = await processStats(watched.agent);
    const dashboardBefore = await processStats(watched.dashboard);
    const bytes = await slowRead(
      t,
      "/api/v1/namespaces/bench-hol/configmaps",
      sizes.slowReadSeconds,
    );
    const agentAfter = await processStats(watched.agent);
    const dashboardAfter = await processStats(watched.dashboard);
    put("slow_reader_mb_read", t.name, bytes / 1e6);
    put(
      "slow_reader_dashboard_growth_mb",
      t.name,
      (dashboardAfter.hwmBytes - dashboardBefore.rssBytes) / 1e6,
    );
    if (t.name === "c") {
      put("agent_peak_rss_mb", "slow_reader", agentAfter.hwmBytes / 1e6);
      put(
        "slow_reader_agent_growth_mb",
        t.name,
        (agentAfter.hwmBytes - agentBefore.rssBytes) / 1e6,
      );
    }
  }
  return out;
}
