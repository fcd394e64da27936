// The benchmark's smoke run: every scenario of `deno task bench` runs with tiny sizes and returns
// sane numbers. No timing is asserted here; docs/benchmarks.md has the measured figures.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test({
  name: "deno task bench --smoke runs every scenario and writes sane JSON",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempFile({ suffix: ".json" });
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}bench/run.ts`, "--smoke", "--out", out],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(r.stdout);
    assert.ok(
      r.success,
      `bench failed:\n${text}\n${new TextDecoder().decode(r.stderr).slice(-3000)}`,
    );
    const res = JSON.parse(await Deno.readTextFile(out));
    const tunnel = res.tunnel as Record<string, Record<"a" | "b" | "c", number>>;
    for (
      const figure of [
        "small_get_p50_ms",
        "small_get_p99_ms",
        "list_mb_per_s",
        "list_random_mb_per_s",
        "page_get_p50_ms",
        "concurrent_req_per_s",
        "watch_delay_p50_ms",
        "hol_loaded_p99_ms",
      ]
    ) {
      for (const t of ["a", "b", "c"] as const) {
        const v = tunnel[figure]?.[t];
        assert.ok(Number.isFinite(v) && v > 0, `${figure}[${t}] = ${v}`);
      }
    }
    for (const t of ["a", "b", "c"] as const) {
      assert.equal(tunnel.concurrent_errors[t], 0, `no errors under concurrency (${t})`);
      assert.equal(tunnel.hol_errors[t], 0, `no errors during head-of-line (${t})`);
      assert.equal(tunnel.watch_events_seen[t], 5, `every watch event seen (${t})`);
    }
    const streams = res.streams as Record<string, Record<"a" | "b" | "c", number>>;
    for (
      const figure of [
        "kubectl_exec_p50_ms",
        "ws_echo_p50_ms",
        "cp_in_mb_per_s",
        "cp_out_mb_per_s",
        "hol_cp_idle_p99_ms",
        "hol_cp_loaded_p99_ms",
      ]
    ) {
      for (const t of ["a", "b", "c"] as const) {
        const v = streams[figure]?.[t];
        assert.ok(Number.isFinite(v) && v > 0, `streams ${figure}[${t}] = ${v}`);
      }
    }
    for (const t of ["b", "c"] as const) {
      const ms = streams.deletion_exec_closed_ms?.[t];
      assert.ok(Number.isFinite(ms) && ms > 0, `the cluster's deletion ended the exec (${t})`);
      assert.notEqual(streams.deletion_exec_exit_code[t], 0, `kubectl exec failed (${t})`);
    }
    assert.ok(
      res.fleet.rows.length >= 1 && res.fleet.rows[0].routed_errors === 0,
      "fleet requests routed",
    );
    assert.ok(res.fleet.reconnect_seconds > 0, "fleet reconnected after restart");
    assert.ok(
      res.agent.idle_rss_mb > 0 && res.agent.bundle_bytes > 100_000 &&
        res.agent.idle_private_rss_mb > 0 &&
        res.agent.idle_private_rss_mb < res.agent.idle_rss_mb,
      "agent footprint measured",
    );
    const peaks = res.agent.peak_rss_mb_by_scenario as Record<string, number>;
    for (
      const scenario of [
        "small_get",
        "list",
        "page_get",
        "concurrent",
        "watch",
        "head_of_line",
        "slow_reader",
      ]
    ) {
      assert.ok(
        peaks[scenario] >= res.agent.idle_private_rss_mb,
        `agent peak RSS in ${scenario}: ${peaks[scenario]}`,
      );
    }
    for (const t of ["b", "c"] as const) {
      assert.ok(tunnel.slow_reader_mb_read[t] > 0.1, `the slow reader read through ${t}`);
      assert.ok(Number.isFinite(tunnel.slow_reader_dashboard_growth_mb[t]), `dashboard (${t})`);
    }
    assert.ok(Number.isFinite(tunnel.slow_reader_agent_growth_mb.c), "agent growth measured");
    const replicas = res.replicas as {
      agents: number;
      setups: {
        replicas: number;
        held: number[];
        rss_mb: number[];
        local: { p99_ms: number; errors: number };
        routed: { requests: number; p99_ms: number; errors: number } | null;
        all: { requests: number; errors: number };
      }[];
    };
    assert.deepEqual(replicas.setups.map((s) => s.replicas), [1, 2], "one replica, then two");
    for (const s of replicas.setups) {
      assert.equal(s.held.reduce((a, b) => a + b, 0), replicas.agents, "every agent held once");
      assert.ok(s.rss_mb.every((mb) => mb > 0), `replica RSS measured: ${s.rss_mb}`);
      assert.ok(Number.isFinite(s.local.p99_ms), "local GETs measured");
      assert.equal(s.all.errors, 0, `no GET errors with ${s.replicas} replica(s)`);
    }
    const two = replicas.setups[1];
    assert.ok(two.held.every((n) => n > 0), `the balancer spread the agents: ${two.held}`);
    assert.ok(
      two.routed && two.routed.requests > 0 && Number.isFinite(two.routed.p99_ms),
      "GETs forwarded to the other replica measured",
    );
    const search = res.search as Record<string, number>;
    for (const figure of ["cold_p50_ms", "cold_p95_ms", "typing_p50_ms", "typing_p95_ms"]) {
      assert.ok(Number.isFinite(search[figure]) && search[figure] > 0, `search ${figure}`);
    }
    assert.equal(search.found_in_all + search.partial_answers, 2 * search.queries);
    assert.ok(search.found_in_all > 0, "the search found the object in every cluster");
    assert.match(text, /Search across clusters/);
    const fp = res.footprint as Record<string, number | null>;
    for (const k of ["idle_rss_mb", "restarted_idle_rss_mb", "upload_peak_rss_mb"]) {
      assert.ok(Number.isFinite(fp[k]) && (fp[k] as number) > 0, `footprint ${k} = ${fp[k]}`);
    }
    assert.equal(fp.clusters, 4, "footprint: every cluster connected");
    assert.match(text, /Dashboard footprint/);
    assert.match(text, /Several replicas/);
    assert.match(text, /Tunnel vs direct/);
    assert.match(text, /Streams \(exec, cp/);
  },
});
