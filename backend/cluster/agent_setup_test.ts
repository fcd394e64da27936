// The hello deadline is the agent's, not the dashboard's: when the dashboard's own set-up of a
// stream (the credential lookup and the attach, database work that queues when thousands of
// agents reconnect at once) takes longer than the 10 s an agent has to send its hello, the stream
// still gets accepted. The queue is made real by locking the clusters table of a real PostgreSQL.
// The set-up has its own bound (60 s); past it the agent gets a clear UNAVAILABLE, and a lookup
// that finishes later attaches nothing.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import postgres from "postgres";
import type { DashboardMessage__Output } from "../../proto/gen/agent/v1/DashboardMessage.ts";
import { startTestDashboard, type StoreKind } from "../testing/harness.ts";
import { createAgentToken } from "../testing/clusters.ts";
import { hello, rawCall, rawClient, register } from "../testing/raw_agent.ts";
import { AgentRegistry } from "./agent_registry.ts";
import { agentHandlers, startAgentServer } from "./agent_server.ts";
import type { Cluster } from "./store.ts";

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

/** The real credential lookup, held until `release` resolves. */
class HeldRegistry extends AgentRegistry {
  readonly release = Promise.withResolvers<void>();
  override async clusterForCredential(credential: string): Promise<Cluster | null> {
    await this.release.promise;
    return await super.clusterForCredential(credential);
  }
}

interface HeldSetup {
  registry: HeldRegistry;
  clusterId: string;
  databaseUrl?: string;
}

// Where the set-up is held past its bound; each returns what lets it go on.
const held: {
  where: string;
  store: StoreKind;
  hold(h: HeldSetup): Promise<() => Promise<void>>;
}[] = [
  {
    where: "in the credential lookup",
    store: "pglite",
    hold(h) {
      return Promise.resolve(() => {
        h.registry.release.resolve();
        return Promise.resolve();
      });
    },
  },
  {
    // The lookup reads the row; the attach's UPDATE (and the detach's after it) waits for the lock.
    where: "in the attach's database write",
    store: "postgres",
    async hold(h) {
      h.registry.release.resolve();
      const sql = postgres(h.databaseUrl!, { max: 1, onnotice: () => {} });
      const release = Promise.withResolvers<void>();
      const locked = Promise.withResolvers<void>();
      const holder = sql.begin(async (tx) => {
        await tx`SELECT 1 FROM clusters WHERE id = ${h.clusterId} FOR UPDATE`;
        locked.resolve();
        await release.promise;
      });
      await locked.promise;
      return async () => {
        release.resolve();
        await holder;
        await sql.end();
      };
    },
  },
];

for (const c of held) {
  Deno.test({
    name:
      `agent stream [${c.store}]: set-up held ${c.where} past its bound: UNAVAILABLE, and it attaches nothing later`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const dash = await startTestDashboard({ store: c.store });
      const caPem = await Deno.readTextFile(`${dash.dataDir}/tls/ca.crt`);
      const tlsClient = rawClient(dash.d.grpcAddr, caPem);
      // A second agent endpoint on the same hub and store, with a 300 ms set-up bound.
      const registry = new HeldRegistry(dash.d.db, new Uint8Array(32));
      const server = await startAgentServer(
        { hostname: "127.0.0.1", port: 0, tls: null },
        agentHandlers(registry, dash.d.hub, { helloMs: 10_000, setupMs: 300 }),
      );
      const client = rawClient(`127.0.0.1:${server.port}`, null);
      try {
        const { token } = await createAgentToken(dash, "held-setup");
        const reg = await register(tlsClient, token);
        assert.ok(reg.credential, reg.details);
        const release = await c.hold({
          registry,
          clusterId: reg.clusterId!,
          databaseUrl: dash.databaseUrl,
        });

        const stream = rawCall<DashboardMessage__Output>(client, "Stream", reg.credential);
        stream.write(hello());
        const status = await stream.status;
        assert.equal(status.code, grpc.status.UNAVAILABLE);
        assert.equal(status.details, "the dashboard is busy: stream setup took over 0.3 s");
        assert.equal(stream.received.length, 0);

        // The set-up goes on after the stream ended: no session, and the cluster is not connected.
        await release();
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(dash.d.hub.session(reg.clusterId!), undefined);
        const r = await dash.api(
          "GET",
          `/api/clusters/${reg.clusterId}`,
          undefined,
          dash.adminToken,
        );
        assert.equal(r.status, 200, r.text);
        assert.notEqual((r.json as { status: string }).status, "connected");
      } finally {
        client.close();
        tlsClient.close();
        await server.stop();
        await dash.stop();
        await dash.dropDb?.();
        await Deno.remove(dash.dataDir, { recursive: true }).catch(() => {});
      }
    },
  });
}
