import assert from "node:assert/strict";
import { clusters, removeCluster, seedClusters, upsertCluster } from "./live.ts";
import type { Cluster } from "../lib/types.ts";

const c = (id: string, name: string, status = "connected"): Cluster => ({
  id,
  name,
  status,
  connection_type: "kubeconfig",
  kubernetes_version: null,
  platform: null,
  node_count: null,
  last_error: null,
  last_checked_at: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
});

Deno.test("on the server every render seeds its own clusters", () => {
  assert.equal(typeof document, "undefined");
  seedClusters([c("1", "a")]);
  assert.deepEqual(clusters.value.map((x) => x.name), ["a"]);
  seedClusters([c("2", "b"), c("3", "c")]);
  assert.deepEqual(clusters.value.map((x) => x.name), ["b", "c"]);
});

Deno.test("upsert keeps the list sorted and merges; remove drops", () => {
  seedClusters([c("2", "b")]);
  const cases: [() => void, string[]][] = [
    [() => upsertCluster(c("1", "a")), ["a:connected", "b:connected"]],
    [() => upsertCluster(c("2", "b", "unreachable")), ["a:connected", "b:unreachable"]],
    [() => upsertCluster(c("3", "aa", "pending")), ["a:connected", "aa:pending", "b:unreachable"]],
    [() => removeCluster("1"), ["aa:pending", "b:unreachable"]],
    [() => removeCluster("nope"), ["aa:pending", "b:unreachable"]],
  ];
  for (const [act, want] of cases) {
    act();
    assert.deepEqual(clusters.value.map((x) => `${x.name}:${x.status}`), want);
  }
});
