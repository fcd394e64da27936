// The hello deadline is the agent's, not the dashboard's: when the dashboard's own set-up of a
// stream (the credential lookup and the attach, database work that queues when thousands of
// agents reconnect at once) takes longer than the 10 s an agent has to send its hello, the stream
// still gets accepted. The queue is made real by locking the clusters table of a real PostgreSQL.
import assert from "node:assert/strict";
import postgres from "postgres";
import type { DashboardMessage__Output } from "../../proto/gen/agent/v1/DashboardMessage.ts";
import { startTestDashboard } from "../testing/harness.ts";
import { createAgentToken } from "../testing/clusters.ts";
import { hello, rawCall, rawClient, register } from "../testing/raw_agent.ts";

Deno.test({
  name: "agent stream [postgres]: a hello sent in time survives 12 s of the dashboard's own set-up",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dash = await startTestDashboard({ store: "postgres", heartbeatSeconds: 1 });
    const caPem = await Deno.readTextFile(`${dash.dataDir}/tls/ca.crt`);
    const client = rawClient(dash.d.grpcAddr, caPem);
    const sql = postgres(dash.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      const { token } = await createAgentToken(dash, "slow-setup");
      const reg = await register(client, token);
      assert.ok(reg.credential, reg.details);

      // Another connection holds the clusters table, so the credential lookup waits for it.
      const release = Promise.withResolvers<void>();
      const locked = Promise.withResolvers<void>();
      const holder = sql.begin(async (tx) => {
        await tx`LOCK TABLE clusters IN ACCESS EXCLUSIVE MODE`;
        locked.resolve();
        await release.promise;
      });
      await locked.promise;
      const stream = rawCall<DashboardMessage__Output>(client, "Stream", reg.credential);
      stream.write(hello());
      await new Promise((r) => setTimeout(r, 12_000));
      assert.equal(stream.received.length, 0, "nothing answered while the table is locked");
      release.resolve();
      await holder;
      const accepted = await stream.waitFor((m) => !!m.accepted, 15_000);
      assert.ok(accepted.accepted?.session_token.startsWith("kss_"));
      stream.call.end();
    } finally {
      client.close();
      await sql.end();
      await dash.stop();
      await dash.dropDb?.();
      await Deno.remove(dash.dataDir, { recursive: true }).catch(() => {});
    }
  },
});
