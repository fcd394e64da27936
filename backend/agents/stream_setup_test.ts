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
import { startTestDashboard, type StoreKind } from "../../testing/harness.ts";
import { eventually } from "../../testing/eventually.ts";
import { createAgentToken, getCluster } from "../../testing/clusters.ts";
import { hello, rawCall, rawClient, register } from "../../testing/raw_agent.ts";
import { AgentRegistry } from "./registry.ts";
import { SecretBox } from "../crypto/secretbox.ts";
import { agentHandlers } from "./grpc_server.ts";
import { startAgentServer } from "./grpc_transport.ts";
import type { Cluster } from "../cluster/store.ts";

/**
 * Takes a lock in a transaction of its own on another connection and holds it until the returned
 * function is called (which commits and waits for the commit).
 */
async function holdLock(
  sql: postgres.Sql,
  lock: (tx: postgres.TransactionSql) => Promise<unknown>,
): Promise<() => Promise<void>> {
  const release = Promise.withResolvers<void>();
  const locked = Promise.withResolvers<void>();
  const holder = sql.begin(async (tx) => {
    await lock(tx);
    locked.resolve();
    await release.promise;
  });
  await locked.promise;
  return async () => {
    release.resolve();
    await holder;
  };
}

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
      const release = await holdLock(sql, (tx) => tx`LOCK TABLE clusters IN ACCESS EXCLUSIVE MODE`);
      const stream = rawCall<DashboardMessage__Output>(client, "Stream", reg.credential);
      stream.write(hello());
      await new Promise((r) => setTimeout(r, 12_000));
      assert.equal(stream.received.length, 0, "nothing answered while the table is locked");
      await release();
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

/** The real credential lookup, held until `release` resolves; `looked` once it has answered. */
class HeldRegistry extends AgentRegistry {
  readonly release = Promise.withResolvers<void>();
  readonly looked = Promise.withResolvers<void>();
  override async clusterForCredential(credential: string): Promise<Cluster | null> {
    await this.release.promise;
    const cluster = await super.clusterForCredential(credential);
    this.looked.resolve();
    return cluster;
  }
}

interface HeldSetup {
  dash: Awaited<ReturnType<typeof startTestDashboard>>;
  registry: HeldRegistry;
  clusterId: string;
}

// Where the set-up is held past its bound. hold() returns what lets it go on, which resolves once
// the set-up has run to its end, and the cluster's status expected then.
const held: {
  where: string;
  store: StoreKind;
  finalStatus: string;
  hold(h: HeldSetup): Promise<() => Promise<void>>;
}[] = [
  {
    // Never attached: the registration's status stays.
    where: "in the credential lookup",
    store: "pglite",
    finalStatus: "pending",
    hold: (h) =>
      Promise.resolve(async () => {
        h.registry.release.resolve();
        await h.registry.looked.promise;
        // What the handler does with the answer runs in the tasks right after it.
        await new Promise((r) => setTimeout(r, 0));
      }),
  },
  {
    // The lookup reads the row; the attach's UPDATE (and the detach's after it) waits for the lock.
    where: "in the attach's database write",
    store: "postgres",
    finalStatus: "reconnecting",
    async hold(h) {
      h.registry.release.resolve();
      const sql = postgres(h.dash.databaseUrl!, { max: 1, onnotice: () => {} });
      const release = await holdLock(
        sql,
        (tx) => tx`SELECT 1 FROM clusters WHERE id = ${h.clusterId} FOR UPDATE`,
      );
      return async () => {
        await release();
        await sql.end();
        // Attached (connected) when the lock went, then detached: the stream had ended.
        await eventually(
          "the detach's status",
          async () => (await getCluster(h.dash, h.clusterId)).status === "reconnecting",
        );
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
      const registry = new HeldRegistry(
        dash.d.db,
        new Uint8Array(32),
        await SecretBox.fromBase64(btoa(String.fromCharCode(...new Uint8Array(32)))),
      );
      const server = await startAgentServer(
        { hostname: "127.0.0.1", port: 0, tls: null },
        agentHandlers(registry, dash.d.hub, { helloMs: 10_000, setupMs: 300 }),
      );
      const client = rawClient(`127.0.0.1:${server.port}`, null);
      try {
        const { token } = await createAgentToken(dash, "held-setup");
        const reg = await register(tlsClient, token);
        assert.ok(reg.credential, reg.details);
        const clusterId = reg.clusterId!;
        const goOn = await c.hold({ dash, registry, clusterId });

        const stream = rawCall<DashboardMessage__Output>(client, "Stream", reg.credential);
        stream.write(hello());
        const status = await stream.status;
        assert.equal(status.code, grpc.status.UNAVAILABLE);
        assert.equal(status.details, "the dashboard is busy: stream setup took over 0.3 s");
        assert.equal(stream.received.length, 0);

        // The set-up runs to its end after the stream ended: no session, not connected.
        await goOn();
        assert.ok(dash.d.hub.session(clusterId) === undefined, "no live session");
        const cluster = await getCluster(dash, clusterId);
        assert.notEqual(cluster.status, "connected");
        assert.equal(cluster.status, c.finalStatus);
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
