// Where a connected agent's heartbeat lives, on both stores: in the hub's memory while its stream
// is up (the API shows it live; the clusters row keeps the time of connecting, so 10,000 agents
// cost no per-agent database writes), stored on a clean stop, and taken up by the next start.
// The crash path (kill -9: the hub's own one-row heartbeat) is in e2e/agent_lifecycle_test.ts.
import assert from "node:assert/strict";
import type { DashboardMessage__Output } from "../../proto/gen/agent/v1/DashboardMessage.ts";
import { startTestDashboard, type StoreKind } from "../../testing/harness.ts";
import { createAgentToken, getCluster } from "../../testing/clusters.ts";
import { hello, rawCall, rawClient, register } from "../../testing/raw_agent.ts";

const H_SECONDS = 1;
const RTT_MS = 7.5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ageMs = (at: string | Date | null | undefined) => Date.now() - new Date(at ?? 0).getTime();

for (const store of ["pglite", "postgres"] as StoreKind[]) {
  Deno.test({
    name:
      `agent heartbeats [${store}]: live from memory, stored on a clean stop, kept by a restart`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      let dash = await startTestDashboard({ store, heartbeatSeconds: H_SECONDS });
      const { dataDir, databaseUrl, dropDb } = dash;
      const caPem = await Deno.readTextFile(`${dataDir}/tls/ca.crt`);
      const client = rawClient(dash.d.grpcAddr, caPem);
      let pinger: ReturnType<typeof setInterval> | undefined;
      try {
        const { token } = await createAgentToken(dash, "beats");
        const reg = await register(client, token);
        assert.ok(reg.credential && reg.clusterId, reg.details);
        const id = reg.clusterId;
        const stream = rawCall<DashboardMessage__Output>(client, "Stream", reg.credential);
        stream.write(hello());
        await stream.waitFor((m) => !!m.accepted);
        let seq = 0;
        pinger = setInterval(() => {
          stream.write({ ping: { seq: ++seq, sent_at_ms: Date.now(), last_rtt_ms: RTT_MS } });
        }, 300);

        // Longer than the 3 H after which the hub used to rewrite every agent's row.
        await sleep(5 * H_SECONDS * 1000);
        const live = await getCluster(dash, id);
        assert.equal(live.status, "connected");
        assert.ok(ageMs(live.last_heartbeat_at) < 1_500, `API heartbeat ${live.last_heartbeat_at}`);
        assert.equal(live.rtt_ms, RTT_MS);
        const [row] = await dash.d.db.query<{ last_heartbeat_at: Date; rtt_ms: number | null }>(
          "SELECT last_heartbeat_at, rtt_ms FROM clusters WHERE id = $1",
          [id],
        );
        assert.ok(
          ageMs(row.last_heartbeat_at) >= 4_500,
          `the row is not rewritten while connected (stored ${row.last_heartbeat_at.toISOString()})`,
        );
        assert.equal(row.rtt_ms, null);
        // The replica's lease row vouches for its agents; it is renewed every H.
        const [lease] = await dash.d.db.query<{ heartbeat_at: Date }>(
          "SELECT heartbeat_at FROM dashboard_replicas WHERE id = $1",
          [dash.d.hub.replica.id],
        );
        assert.ok(ageMs(lease.heartbeat_at) < 2_500, `lease ${lease.heartbeat_at.toISOString()}`);

        // A clean stop stores the live values; the next start shows the cluster reconnecting
        // with them (this raw agent does not come back).
        const stoppedAt = Date.now();
        await dash.stop();
        clearInterval(pinger);
        dash = await startTestDashboard({
          store,
          dataDir,
          databaseUrl,
          heartbeatSeconds: H_SECONDS,
        });
        const after = await getCluster(dash, id);
        assert.equal(after.status, "reconnecting");
        const stored = new Date(after.last_heartbeat_at ?? 0).getTime();
        assert.ok(
          stored >= stoppedAt - 1_500 && stored <= stoppedAt + 1_000,
          `stored heartbeat ${after.last_heartbeat_at}, stopped at ${
            new Date(stoppedAt).toISOString()
          }`,
        );
        assert.equal(after.rtt_ms, RTT_MS);
      } finally {
        clearInterval(pinger);
        client.close();
        await dash.stop();
        await dropDb?.();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  });
}
