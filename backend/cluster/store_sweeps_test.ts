// The dashboard's two periodic reads of the clusters table, on both stores, with many agent
// clusters: the kubeconfig checks read only kubeconfig clusters' ids, and both reads go through
// their partial indexes (migration 006) instead of scanning every cluster.
import assert from "node:assert/strict";
import type { Queryable } from "../store/db.ts";
import { migrateUp } from "../store/migrate.ts";
import { storeCases } from "../../testing/stores.ts";
import { ClusterStore, KUBECONFIG_IDS_SQL, OFFLINE_SWEEP_SQL } from "./store.ts";

const AGENT_CLUSTERS = 3_000;

async function plan(db: Queryable, sql: string, params: unknown[] = []): Promise<string> {
  const rows = await db.query<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`, params);
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

for (const store of storeCases) {
  Deno.test(`periodic cluster reads [${store.name}]: kubeconfig ids only, through indexes`, async () => {
    const { db, cleanup } = await store.open();
    try {
      await migrateUp(db);
      const clusters = new ClusterStore(db);
      const kubeconfigIds: string[] = [];
      for (const name of ["beta", "alpha"]) {
        const c = await clusters.createKubeconfigCluster({
          id: crypto.randomUUID(),
          name,
          sealed: new Uint8Array([1]),
          context: "ctx",
          server: "https://127.0.0.1:6443",
          status: "connected",
        });
        kubeconfigIds.unshift(c.id);
      }
      await db.query(
        `INSERT INTO clusters (name, agent_id, connection_type, status, last_heartbeat_at)
         SELECT 'agent-' || i, 'agent-id-' || i, 'agent',
                CASE WHEN i % 1000 = 0 THEN 'reconnecting' ELSE 'connected' END,
                now() - interval '1 hour'
         FROM generate_series(1, $1::int) i`,
        [AGENT_CLUSTERS],
      );
      await db.query("ANALYZE clusters");

      assert.deepEqual(await clusters.kubeconfigClusterIds(), kubeconfigIds, "sorted by name");
      assert.match(await plan(db, KUBECONFIG_IDS_SQL), /clusters_kubeconfig_idx/);
      assert.match(await plan(db, OFFLINE_SWEEP_SQL, [90_000]), /clusters_reconnecting_idx/);

      const offline = await db.query<{ id: string }>(OFFLINE_SWEEP_SQL, [90_000]);
      assert.equal(offline.length, AGENT_CLUSTERS / 1000, "only the reconnecting ones go offline");
      const [{ n }] = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM clusters WHERE status = 'offline'",
      );
      assert.equal(n, AGENT_CLUSTERS / 1000);
    } finally {
      await cleanup();
    }
  });
}
