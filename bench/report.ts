// The tables `deno task bench` prints from its results (bench/run.ts writes the same results to
// bench/results/*.json): one per section that ran.
import { fmt, ratio, table } from "./stats.ts";
import type { runFleetBench } from "./fleet.ts";
import { replicasTable, type runReplicasBench } from "./replicas.ts";
import type { runSearchBench } from "./search.ts";
import { FOOTPRINT_TARGET_MB, type runFootprintBench } from "./footprint.ts";

/** Prints a table per section present in `results`. */
export function printReport(results: Record<string, unknown>): void {
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
      [
        "RSS MB 45 s after the last request (of which private)",
        `${fmt(a.rss_mb_45s_after_bench)} (${fmt(a.private_rss_mb_45s_after_bench)})`,
      ],
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
        "seconds until back under the target for good",
        f.upload_back_under_target_s === null
          ? "not within the watch"
          : fmt(f.upload_back_under_target_s),
      ],
      ["RSS MB at the end of the watch", fmt(f.rss_at_end_of_watch_mb)],
    ]));
  }
}
