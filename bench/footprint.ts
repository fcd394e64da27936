// Idle footprint (issue #25): a dashboard on its embedded store (PGlite), first start in a new
// DATA_DIR, holding 20 clusters (half by kubeconfig against the bench's API server, half
// simulated agents speaking the real protocol, bench/fleet_agents.ts): its RSS once settled; then
// a 512 KiB kubeconfig uploaded as a new cluster: the peak RSS, and how long until the RSS is
// back under the target for good (watched for a minute). A restarted dashboard (same DATA_DIR, the
// clusters reconnecting) is measured too: the first start's database initialisation is gone.
import type { ControlPlane } from "../tools/testenv/mod.ts";
import { serviceAccountKubeconfig } from "../testing/clusters.ts";
import { startDashboardProcess } from "./dashboard_process.ts";
import { createTokens, spawnGenerator, waitConnected } from "./fleet.ts";
import { processStats } from "./stats.ts";

/** The target for an idle dashboard, and for the upload's peak a minute later. */
export const FOOTPRINT_TARGET_MB = 150;

export interface FootprintSizes {
  kubeconfigClusters: number;
  agentClusters: number;
  /** The uploaded kubeconfig's size (the dashboard accepts at most 512 KiB). */
  uploadBytes: number;
  /** How long the RSS is watched after the upload. */
  watchSeconds: number;
}

export const fullFootprintSizes: FootprintSizes = {
  kubeconfigClusters: 10,
  agentClusters: 10,
  uploadBytes: 512 * 1024 - 1024,
  watchSeconds: 60,
};
export const smokeFootprintSizes: FootprintSizes = {
  kubeconfigClusters: 2,
  agentClusters: 2,
  uploadBytes: 64 * 1024,
  watchSeconds: 3,
};

export interface FootprintResult {
  clusters: number;
  /** Settled RSS of the first start with every cluster connected. */
  idle_rss_mb: number;
  /** Of which the process's own (anonymous) memory; the rest is the deno executable's pages. */
  idle_private_rss_mb: number;
  /** The same after a restart (SIGTERM, start again on the same DATA_DIR). */
  restarted_idle_rss_mb: number;
  /** The highest RSS the process ever had before the upload (VmHWM: the first start's initdb). */
  hwm_before_upload_mb: number;
  upload_bytes: number;
  /** Highest RSS seen (every 250 ms) from the upload until the end of the watch. */
  upload_peak_rss_mb: number;
  /**
   * Seconds from the upload until the RSS was under the target and stayed there to the end of the
   * watch; null: over the target at its end.
   */
  upload_back_under_target_s: number | null;
  rss_at_end_of_watch_mb: number;
}

/**
 * The idle RSS once five readings 2 s apart lie within 2 % of each other (at most 90 s).
 * (fleet.ts has its own for one step of agents; this one also needs the pid to change.)
 */
async function settled(pid: () => number): Promise<number> {
  const readings: number[] = [];
  const until = performance.now() + 90_000;
  for (;;) {
    readings.push((await processStats(pid())).rssBytes);
    const last = readings.slice(-5);
    if (last.length === 5 && Math.max(...last) <= 1.02 * Math.min(...last)) return last[4];
    if (performance.now() > until) return last[last.length - 1];
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** A valid kubeconfig of about `bytes`: the real one plus unused contexts, as large orgs have. */
export function paddedKubeconfig(real: string, bytes: number): string {
  const filler: string[] = ["", "# unused entries, as in a kubeconfig shared across teams:"];
  let size = real.length;
  for (let i = 0; size < bytes - 200; i++) {
    const line = `# context team-${i}: ${"x".repeat(100)}`;
    filler.push(line);
    size += line.length + 1;
  }
  return real + filler.join("\n") + "\n";
}

export async function runFootprintBench(
  cp: ControlPlane,
  sizes: FootprintSizes,
  /** The dashboard's environment beyond the bench's own (for A/Bs of allocator and V8 flags). */
  env: Record<string, string> = {},
): Promise<FootprintResult> {
  const dash = await startDashboardProcess(env);
  const generators: ReturnType<typeof spawnGenerator>[] = [];
  try {
    const kubeconfig = await Deno.readTextFile(
      await serviceAccountKubeconfig(cp, "bench-footprint", "view"),
    );
    for (let i = 0; i < sizes.kubeconfigClusters; i++) {
      const r = await dash.api("POST", "/api/clusters", { name: `footprint-${i}`, kubeconfig });
      if (r.status !== 201) {
        throw new Error(`kubeconfig cluster ${i}: ${r.status} ${await r.text()}`);
      }
      await r.body?.cancel();
    }
    const tokens = await createTokens(dash.api, 0, sizes.agentClusters);
    const target = new URL(dash.agentUrl).host;
    generators.push(spawnGenerator(target, dash.caPem, tokens));
    await waitConnected(generators, sizes.agentClusters, 60_000);
    const clusters = sizes.kubeconfigClusters + sizes.agentClusters;

    const idle = await settled(() => dash.pid);
    const idleStats = await processStats(dash.pid);

    // The upload: a new cluster from a kubeconfig of uploadBytes, RSS read every 250 ms.
    const before = await processStats(dash.pid);
    const started = performance.now();
    let peak = before.rssBytes;
    let backUnder: number | null = null;
    let last = before.rssBytes;
    const upload = dash.api("POST", "/api/clusters", {
      name: "footprint-upload",
      kubeconfig: paddedKubeconfig(kubeconfig, sizes.uploadBytes),
    });
    const answered = upload.then(async (r) => {
      if (r.status !== 201) throw new Error(`upload: ${r.status} ${await r.text()}`);
      await r.body?.cancel();
    });
    let uploaded = false;
    answered.then(() => uploaded = true, () => {});
    while (performance.now() - started < sizes.watchSeconds * 1000 || !uploaded) {
      last = (await processStats(dash.pid)).rssBytes;
      peak = Math.max(peak, last);
      // Back under for good: a reading over the target afterwards starts the count again.
      if (last >= FOOTPRINT_TARGET_MB * 1e6) backUnder = null;
      else if (uploaded && backUnder === null) backUnder = (performance.now() - started) / 1000;
      if (uploaded && performance.now() - started > 120_000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await answered;

    // Restarted: the same DATA_DIR and clusters, without the first start's initialisation.
    await dash.kill("SIGTERM");
    await dash.restart();
    await waitConnected(generators, sizes.agentClusters, 60_000);
    const restarted = await settled(() => dash.pid);

    return {
      clusters,
      idle_rss_mb: idle / 1e6,
      idle_private_rss_mb: idleStats.privateBytes / 1e6,
      restarted_idle_rss_mb: restarted / 1e6,
      hwm_before_upload_mb: before.hwmBytes / 1e6,
      upload_bytes: sizes.uploadBytes,
      upload_peak_rss_mb: peak / 1e6,
      upload_back_under_target_s: backUnder,
      rss_at_end_of_watch_mb: last / 1e6,
    };
  } finally {
    for (const g of generators) {
      try {
        g.child.kill("SIGKILL");
      } catch { /* gone */ }
      await g.child.status;
    }
    await dash.stop();
  }
}
