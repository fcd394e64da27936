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
import { fullSizes, runTunnelBench, smokeSizes } from "./tunnel.ts";
import { printReport } from "./report.ts";
import { directTarget, proxyTarget } from "./targets.ts";
import { runFleetBench } from "./fleet.ts";
import { fullReplicasOptions, runReplicasBench, smokeReplicasOptions } from "./replicas.ts";
import {
  directStreamTarget,
  fullStreamSizes,
  proxyStreamTarget,
  runStreamsBench,
  smokeStreamSizes,
} from "./streams.ts";
import { fmt, processStats } from "./stats.ts";
import { fullSearchSizes, runSearchBench, smokeSearchSizes } from "./search.ts";
import { fullFootprintSizes, runFootprintBench, smokeFootprintSizes } from "./footprint.ts";

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
      // Idle again after the bursts: what the agent keeps (its memory reducer collects within
      // 35 s of the last growth).
      await new Promise((r) => setTimeout(r, smoke ? 1000 : 45_000));
      const afterBursts = await processStats(agent.process.pid);
      results.agent = {
        idle_rss_mb: agentIdle.rssBytes / 1e6,
        idle_private_rss_mb: agentIdle.privateBytes / 1e6,
        idle_file_rss_mb: (agentIdle.rssBytes - agentIdle.privateBytes) / 1e6,
        peak_rss_mb_by_scenario: agentPeaks,
        rss_mb_45s_after_bench: afterBursts.rssBytes / 1e6,
        private_rss_mb_45s_after_bench: afterBursts.privateBytes / 1e6,
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

printReport(results);
await Deno.mkdir(new URL(".", `file://${outFile}`).pathname, { recursive: true });
await Deno.writeTextFile(outFile, JSON.stringify(results, null, 2));
console.log(`\nwrote ${outFile} in ${fmt(results.duration_seconds as number)} s`);
