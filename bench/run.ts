// `deno task bench`: tunnel against direct access, upgraded streams (exec, cp), fleet scale,
// several replicas, the search across clusters, the dashboard's and the agent's footprint in one
// run. Prints a table and writes bench/results/latest.json. `--smoke` runs every scenario with tiny
// sizes (part of the test suite); `--fleet=1000,5000,10000` sets the fleet sizes;
// `--replicas-agents=10000` the simulated agents of each replicas setup; `--only=streams` (a comma
// list of tunnel, identity, streams, fleet, replicas, search, footprint; the agent footprint goes
// with tunnel) runs only those sections and writes bench/results/latest-<sections>.json. The agent
// cluster does not impersonate in tunnel and streams (comparable with earlier runs); identity
// measures impersonation itself.
import { parseArgs } from "node:util";
import { createConfigMaps, startControlPlane } from "../tools/testenv/mod.ts";
import { bindDashboardRoles, serviceAccountKubeconfig } from "../testing/clusters.ts";
import { fullIdentitySizes, runIdentityBench, smokeIdentitySizes } from "./identity.ts";
import { startAgent } from "../testing/harness.ts";
import { startDashboardProcess } from "./dashboard_process.ts";
import { directTarget, fullSizes, proxyTarget, runTunnelBench, smokeSizes } from "./tunnel.ts";
import { runFleetBench } from "./fleet.ts";
import {
  fullReplicasOptions,
  replicasTable,
  runReplicasBench,
  smokeReplicasOptions,
} from "./replicas.ts";
import {
  directStreamTarget,
  fullStreamSizes,
  proxyStreamTarget,
  runStreamsBench,
  smokeStreamSizes,
} from "./streams.ts";
import { fmt, processStats, ratio, table } from "./stats.ts";
import { fullSearchSizes, runSearchBench, smokeSearchSizes } from "./search.ts";
import {
  FOOTPRINT_TARGET_MB,
  fullFootprintSizes,
  runFootprintBench,
  smokeFootprintSizes,
} from "./footprint.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const { values } = parseArgs({
  args: Deno.args,
  options: {
    smoke: { type: "boolean" },
    fleet: { type: "string" },
    out: { type: "string" },
    only: { type: "string" },
    "replicas-agents": { type: "string" },
  },
});
const smoke = values.smoke === true;
const fleetSteps = (values.fleet ?? (smoke ? "20" : "1000,5000,10000")).split(",").map(Number);
const replicasAgents = Number(values["replicas-agents"] ?? (smoke ? "20" : "10000"));
if (!Number.isInteger(replicasAgents) || replicasAgents < 2) {
  throw new Error(`--replicas-agents: "${values["replicas-agents"]}" is not a whole number ≥ 2`);
}
const SECTIONS = ["tunnel", "identity", "streams", "fleet", "replicas", "search", "footprint"];
const only = values.only?.split(",") ?? SECTIONS;
for (const s of only) {
  if (!SECTIONS.includes(s)) throw new Error(`--only: "${s}" is not one of ${SECTIONS.join(", ")}`);
}
const want = (section: string) => only.includes(section);
const outFile = values.out ??
  `${ROOT}bench/results/${values.only ? `latest-${only.join("-")}` : "latest"}.json`;
const started = performance.now();

async function bundleSize(): Promise<number> {
  const out = await Deno.makeTempFile({ suffix: ".js" });
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--output", out, `${ROOT}agent/main.ts`],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!r.success) throw new Error(`deno bundle failed: ${new TextDecoder().decode(r.stderr)}`);
  const size = (await Deno.stat(out)).size;
  await Deno.remove(out);
  return size;
}

const memTotalKb = Number(
  /^MemTotal:\s+(\d+) kB/m.exec(await Deno.readTextFile("/proc/meminfo").catch(() => ""))?.[1] ??
    NaN,
);
const results: Record<string, unknown> = {
  machine: {
    cpus: navigator.hardwareConcurrency,
    memory_gib: memTotalKb / 1024 / 1024,
    deno: Deno.version.deno,
    smoke,
    // Other work on the machine at the start (1, 5 and 15 minute load averages).
    load_average_at_start: Deno.loadavg(),
  },
};
if (want("tunnel") || want("identity") || want("streams")) await againstApiServer();

/** The sections that need a real API server, a dashboard and an agent. */
async function againstApiServer() {
  const cp = await startControlPlane({ controllerManager: false });
  const dash = await startDashboardProcess();
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  (results.machine as Record<string, unknown>).kubernetes = cp.version;
  try {
    // Clusters: (b) by kubeconfig, (c) by agent, both with the same ServiceAccount credential so
    // that c/b is the agent's own cost (the API server authenticates a ServiceAccount token more
    // slowly than (a)'s admin client certificate: that difference shows in c/a and b/a).
    const saKubeconfig = await serviceAccountKubeconfig(cp, "bench-agent", "cluster-admin");
    const kc = await dash.api("POST", "/api/clusters", {
      name: "bench-kubeconfig",
      kubeconfig: await Deno.readTextFile(saKubeconfig),
    });
    if (kc.status !== 201) throw new Error(`kubeconfig cluster: ${kc.status} ${await kc.text()}`);
    const kcId = (await kc.json() as { id: string }).id;
    const tok = await dash.api("POST", "/api/clusters/agent-token", {
      cluster_name: "bench-agent",
      permissions: "admin",
    });
    const { token } = await tok.json() as { token: string };
    // As the chart installs the admin preset: impersonation allowed, role groups bound.
    await bindDashboardRoles(cp);
    agent = await startAgent({
      dashboardUrl: dash.agentUrl,
      caHash: dash.caHash,
      kubeconfig: saKubeconfig,
      token,
      extraEnv: { LOG_LEVEL: "warn", ALLOW_IMPERSONATION: "true" },
    });
    let agentId = "";
    for (let i = 0; i < 300 && !agentId; i++) {
      const list = await (await dash.api("GET", "/api/clusters")).json() as {
        items: { id: string; name: string; status: string }[];
      };
      agentId = list.items.find((c) => c.name === "bench-agent" && c.status === "connected")?.id ??
        "";
      if (!agentId) await new Promise((r) => setTimeout(r, 100));
    }
    if (!agentId) throw new Error(`the agent did not connect:\n${await agent.logs()}`);
    const noImpersonation = await dash.api("PATCH", `/api/clusters/${agentId}`, {
      impersonate: false,
    });
    if (!noImpersonation.ok) throw new Error(`PATCH: ${await noImpersonation.text()}`);
    await new Promise((r) => setTimeout(r, 3000));

    if (want("tunnel")) {
      const agentIdle = await processStats(agent.process.pid);
      // Four callers (the session and three API tokens): 100 concurrent clients stay within
      // each caller's share of open requests per cluster.
      const callers = [dash.token];
      for (let i = 1; i < 4; i++) {
        const res = await dash.api("POST", "/api/tokens", { name: `bench caller ${i}` });
        if (!res.ok) {
          throw new Error(`creating a bench API token: ${res.status} ${await res.text()}`);
        }
        callers.push((await res.json() as { token: string }).token);
      }
      const targets = [
        directTarget(cp, await Deno.readTextFile(cp.kubeconfigPath)),
        proxyTarget("b", "proxy→kubeconfig", dash.url, dash.caPem, callers, kcId),
        proxyTarget("c", "proxy→agent", dash.url, dash.caPem, callers, agentId),
      ];
      const cpuBefore = await processStats(agent.process.pid);
      const tunnel = await runTunnelBench(cp, targets, smoke ? smokeSizes : fullSizes, {
        agent: agent.process.pid,
        dashboard: dash.pid,
      });
      const agentAfter = await processStats(agent.process.pid);
      for (const t of targets) t.close();
      const { agent_peak_rss_mb: agentPeaks, ...perTarget } = tunnel;
      results.tunnel = perTarget;

      // CPU per 1000 proxied requests: a dedicated run of small GETs through the agent only.
      const n = smoke ? 50 : 1000;
      const before = await processStats(agent.process.pid);
      const c = proxyTarget("c", "proxy→agent", dash.url, dash.caPem, [dash.token], agentId);
      for (let i = 0; i < n; i++) {
        await (await c.fetch("/api/v1/namespaces/bench-small/configmaps/cm-0")).arrayBuffer();
      }
      c.close();
      const after = await processStats(agent.process.pid);
      results.agent = {
        idle_rss_mb: agentIdle.rssBytes / 1e6,
        idle_private_rss_mb: agentIdle.privateBytes / 1e6,
        idle_file_rss_mb: (agentIdle.rssBytes - agentIdle.privateBytes) / 1e6,
        peak_rss_mb_by_scenario: agentPeaks,
        cpu_seconds_per_1000_requests: (after.cpuSeconds - before.cpuSeconds) * 1000 / n,
        cpu_seconds_whole_tunnel_bench: agentAfter.cpuSeconds - cpuBefore.cpuSeconds,
        bundle_bytes: await bundleSize(),
      };
    }

    if (want("identity")) {
      if (!want("tunnel")) await createConfigMaps(cp, "bench-small", 1, 64);
      results.identity = await runIdentityBench(
        dash,
        { b: kcId, c: agentId },
        smoke ? smokeIdentitySizes : fullIdentitySizes,
      );
    }

    // Last: its final scenario deletes both clusters from the dashboard.
    if (want("streams")) {
      const http = [
        directTarget(cp, await Deno.readTextFile(cp.kubeconfigPath)),
        proxyTarget("b", "proxy→kubeconfig", dash.url, dash.caPem, [dash.token], kcId),
        proxyTarget("c", "proxy→agent", dash.url, dash.caPem, [dash.token], agentId),
      ];
      const targets = [
        directStreamTarget(cp, http[0]),
        await proxyStreamTarget("b", "proxy→kubeconfig", dash, kcId, http[1]),
        await proxyStreamTarget("c", "proxy→agent", dash, agentId, http[2]),
      ];
      const streamsStarted = performance.now();
      try {
        results.streams = await runStreamsBench(
          cp,
          dash,
          targets,
          smoke ? smokeStreamSizes : fullStreamSizes,
        );
      } finally {
        for (const t of http) t.close();
        for (const t of targets.slice(1)) await Deno.remove(t.kubeconfig).catch(() => {});
      }
      results.streams_duration_seconds = (performance.now() - streamsStarted) / 1000;
    }
  } finally {
    await agent?.stop();
    await dash.stop();
    await cp.stop();
  }
}

if (want("fleet")) {
  results.fleet = await runFleetBench(fleetSteps, {
    // 90 s = nine heartbeat intervals. Shorter windows right after connecting read low: the
    // connection burst's garbage has just been collected, and the next major collections (a few
    // seconds of CPU each at 10,000 agents) come later.
    steadySeconds: smoke ? 2 : 90,
    settleSeconds: smoke ? 3 : 10,
    routedRequests: smoke ? 20 : 500,
  });
}
if (want("replicas")) {
  const replicasStarted = performance.now();
  results.replicas = await runReplicasBench(
    smoke ? smokeReplicasOptions(replicasAgents) : fullReplicasOptions(replicasAgents),
  );
  results.replicas_duration_seconds = (performance.now() - replicasStarted) / 1000;
}
if (want("search")) {
  results.search = await runSearchBench(smoke ? smokeSearchSizes : fullSearchSizes);
}
if (want("footprint")) {
  const cp = await startControlPlane({ controllerManager: false });
  try {
    results.footprint = await runFootprintBench(
      cp,
      smoke ? smokeFootprintSizes : fullFootprintSizes,
    );
  } finally {
    await cp.stop();
  }
}
results.duration_seconds = (performance.now() - started) / 1000;

// The tables.
if (results.tunnel) {
  const tunnel = results.tunnel as Record<string, Record<string, number>>;
  const rows = Object.entries(tunnel).map(([k, v]) => [
    k,
    fmt(v.a),
    fmt(v.b),
    fmt(v.c),
    fmt(ratio(v.c, v.b)),
    fmt(ratio(v.c, v.a)),
  ]);
  console.log(
    "\nTunnel vs direct (a = direct, b = proxy→kubeconfig cluster, c = proxy→agent cluster)\n",
  );
  console.log(table(["figure", "a", "b", "c", "c/b", "c/a"], rows));
}
if (results.identity) {
  const identity = results.identity as Record<string, Record<string, number>>;
  const off = identity.off_p50_ms;
  console.log(
    "\nActing as the person (small GET, b = proxy→kubeconfig cluster, c = proxy→agent cluster)\n",
  );
  console.log(table(
    ["figure", "b", "c", "b / off", "c / off"],
    Object.entries(identity).map(([k, v]) => [
      k,
      fmt(v.b),
      fmt(v.c),
      k.endsWith("_p50_ms") ? fmt(ratio(v.b, off.b)) : "",
      k.endsWith("_p50_ms") ? fmt(ratio(v.c, off.c)) : "",
    ]),
  ));
}
if (results.streams) {
  const streams = results.streams as Record<string, Record<string, number>>;
  // Counts and exit codes: whole numbers, no ratios.
  const counts = new Set(["hol_cp_runs", "deletion_exec_exit_code"]);
  const rows = Object.entries(streams).map(([k, v]) =>
    counts.has(k)
      ? [k, ...[v.a, v.b, v.c].map((n) => Number.isFinite(n) ? String(n) : ""), "", "", ""]
      : [
        k,
        fmt(v.a),
        fmt(v.b),
        fmt(v.c),
        fmt(ratio(v.b, v.a)),
        fmt(ratio(v.c, v.a)),
        fmt(ratio(v.c, v.b)),
      ]
  );
  console.log(
    "\nStreams (exec, cp; a = direct, b = proxy→kubeconfig cluster, c = proxy→agent cluster)\n",
  );
  console.log(table(["figure", "a", "b", "c", "b/a", "c/a", "c/b"], rows));
  const idle = streams.hol_cp_idle_p99_ms;
  const loaded = streams.hol_cp_loaded_p99_ms;
  console.log(
    `\nSmall-GET p99 during kubectl cp / idle: ${
      (["a", "b", "c"] as const).map((t) => `${t} ${fmt(ratio(loaded[t], idle[t]))}×`).join(", ")
    }; the stream section took ${fmt(results.streams_duration_seconds as number)} s.`,
  );
}
if (results.fleet) {
  const fleet = results.fleet as Awaited<ReturnType<typeof runFleetBench>>;
  console.log("\nFleet\n");
  console.log(table(
    [
      "agents",
      "connect s",
      "RSS MB",
      "bytes/agent",
      "heartbeat CPU % of a core",
      "routed p99 ms",
      "errors",
    ],
    fleet.rows.map((
      r,
    ) => [
      String(r.agents),
      fmt(r.connect_seconds),
      fmt(r.rss_mb),
      fmt(r.bytes_per_agent, 0),
      fmt(r.heartbeat_cpu_pct_of_core),
      fmt(r.routed_p99_ms),
      String(r.routed_errors),
    ]),
  ));
  console.log(
    `\nAll ${fleet.reconnect_agents} agents reconnected ${
      fmt(fleet.reconnect_seconds)
    } s after kill -9 and restart.`,
  );
}
if (results.replicas) {
  const r = results.replicas as Awaited<ReturnType<typeof runReplicasBench>>;
  console.log(
    `\nSeveral replicas (${r.agents} simulated agents dialling one TCP balancer address; ` +
      `PostgreSQL; ${r.requests} GETs per setup through replica A's REST proxy, API token)\n`,
  );
  console.log(replicasTable(r));
}
if (results.search) {
  const r = results.search as Awaited<ReturnType<typeof runSearchBench>>;
  console.log(
    `\nSearch across clusters (GET /api/search; ${r.clusters} clusters, ${r.objects_per_cluster} ` +
      `ConfigMaps each, a name present in all; ${r.queries} queries each)\n`,
  );
  console.log(table(["figure", "p50 ms", "p95 ms"], [
    ["cold (a new person: every kind listed)", fmt(r.cold_p50_ms), fmt(r.cold_p95_ms)],
    ["typing (the same person again, lists reused)", fmt(r.typing_p50_ms), fmt(r.typing_p95_ms)],
  ]));
  console.log(
    `\nFound in all ${r.clusters} clusters: ${r.found_in_all} of ${2 * r.queries} queries; ` +
      `answers with a partial cluster: ${r.partial_answers}.`,
  );
}
if (results.agent) {
  const a = results.agent as Record<string, number> & {
    peak_rss_mb_by_scenario: Record<string, number>;
  };
  console.log("\nAgent footprint\n");
  console.log(table(["figure", "value"], [
    ["idle RSS MB", fmt(a.idle_rss_mb)],
    [
      "of which private (RssAnon; the rest is the deno executable's pages)",
      fmt(a.idle_private_rss_mb),
    ],
    ["of which the deno executable's and other files' pages (RssFile)", fmt(a.idle_file_rss_mb)],
    ...Object.entries(a.peak_rss_mb_by_scenario).map(([scenario, mb]) => [
      `peak RSS MB: ${scenario}${
        scenario === "slow_reader" ? " (~50 MB list read at 1 MB/s)" : ""
      }`,
      fmt(mb),
    ]),
    ["CPU s per 1000 proxied requests", fmt(a.cpu_seconds_per_1000_requests, 3)],
    ["bundle bytes (deno bundle agent/main.ts)", String(a.bundle_bytes)],
  ]));
}
if (results.footprint) {
  const f = results.footprint as Awaited<ReturnType<typeof runFootprintBench>>;
  console.log(
    `\nDashboard footprint (PGlite, ${f.clusters} clusters, target ${FOOTPRINT_TARGET_MB} MB)\n`,
  );
  console.log(table(["figure", "value"], [
    ["idle RSS MB, first start", fmt(f.idle_rss_mb)],
    ["of which private (RssAnon)", fmt(f.idle_private_rss_mb)],
    ["idle RSS MB, restarted", fmt(f.restarted_idle_rss_mb)],
    ["peak RSS MB before the upload (VmHWM)", fmt(f.hwm_before_upload_mb)],
    [`peak RSS MB from a ${f.upload_bytes}-byte kubeconfig upload`, fmt(f.upload_peak_rss_mb)],
    [
      "seconds until back under the target",
      f.upload_back_under_target_s === null
        ? "not within the watch"
        : fmt(f.upload_back_under_target_s),
    ],
    ["RSS MB at the end of the watch", fmt(f.rss_at_end_of_watch_mb)],
  ]));
}
await Deno.mkdir(new URL(".", `file://${outFile}`).pathname, { recursive: true });
await Deno.writeTextFile(outFile, JSON.stringify(results, null, 2));
console.log(`\nwrote ${outFile} in ${fmt(results.duration_seconds as number)} s`);
