// What an agent (or whoever holds a credential or just reaches the gRPC port) can make the
// dashboard store and do: ClusterInfo is bounded in size (names, counts, strings) and in stored
// update rate, and GET /api/clusters carries only counts (on PGlite and PostgreSQL); an
// oversized Register is refused with RESOURCE_EXHAUSTED before the registry or the database is
// touched; unauthenticated calls are bounded per remote address.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { DashboardMessage__Output } from "../../proto/gen/agent/v1/DashboardMessage.ts";
import type { ClusterInfo } from "../../proto/gen/agent/v1/ClusterInfo.ts";
import type { ClusterAgentClient } from "../../proto/gen/agent/v1/ClusterAgent.ts";
import { PROTOCOL_VERSION } from "../../proto/wire.ts";
import { startTestDashboard, type StoreKind } from "../../testing/harness.ts";
import { eventually } from "../../testing/eventually.ts";
import { createAgentToken, getCluster } from "../../testing/clusters.ts";
import { hello, rawCall, rawClient, register, type RpcStatus } from "../../testing/raw_agent.ts";
import { AgentHub } from "./hub.ts";
import { INFO_LIMITS } from "./cluster_info.ts";
import { type AgentRegistry, RegistrationError } from "./registry.ts";
import { agentHandlers, MAX_UNAUTHENTICATED_PER_ADDRESS } from "./grpc_server.ts";
import { REGISTER_MAX_BYTES, startAgentServer } from "./grpc_transport.ts";
import type { Db } from "../store/db.ts";

const shared = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A hostile ClusterInfo of about 2.6 MB: too many names, names too long, huge strings. */
function floodInfo(version: string): ClusterInfo {
  return {
    kubernetes_version: version + "9".repeat(10_000),
    platform: "p".repeat(10_000),
    node_count: 3,
    namespaces: [
      "x".repeat(1_000), // longer than any namespace name: dropped
      ...Array.from(
        { length: 20_000 },
        (_, i) => `ns-${String(i).padStart(5, "0")}`.padEnd(63, "n"),
      ),
    ],
    crds: Array.from({ length: 5_000 }, (_, i) => `crd-${i}.`.padEnd(200, "c")),
  };
}

interface StoredInfo {
  kubernetes_version: string;
  platform: string;
  namespaces: string[];
  crds: string[];
  truncated?: boolean;
}

for (const store of ["pglite", "postgres"] as StoreKind[]) {
  Deno.test({
    name: `agent limits [${store}]: a ClusterInfo flood is bounded in storage, rate and the list`,
    ...shared,
    async fn() {
      const dash = await startTestDashboard({ store, heartbeatSeconds: 60 });
      const INTERVAL_MS = 2_000;
      dash.d.hub.opts.infoMinIntervalMs = INTERVAL_MS;
      const caPem = await Deno.readTextFile(`${dash.dataDir}/tls/ca.crt`);
      const client = rawClient(dash.d.grpcAddr, caPem);
      // Counts the statements that write ClusterInfo.
      let infoWrites = 0;
      const query = dash.d.db.query.bind(dash.d.db);
      dash.d.db.query = ((sql: string, params?: unknown[]) => {
        if (/UPDATE clusters SET .*cluster_info = /s.test(sql) && params?.[2] !== null) {
          infoWrites++;
        }
        return query(sql, params);
      }) as Db["query"];
      try {
        const { token } = await createAgentToken(dash, `flood-${store}`);
        const reg = await register(client, token);
        assert.ok(reg.credential, reg.details);
        const id = reg.clusterId!;
        const stream = rawCall<DashboardMessage__Output>(client, "Stream", reg.credential!);
        // The hello's info is stored after this instant, so the interval it opens ends after
        // helloSent + INTERVAL_MS: checks made before then may expect nothing else stored.
        const helloSent = performance.now();
        stream.write({ hello: { ...hello().hello!, cluster_info: floodInfo("v-hello") } });
        await stream.waitFor((m) => m.msg === "accepted", 30_000);
        const floodStarted = performance.now();
        for (let i = 0; i < 20; i++) {
          stream.write({ cluster_info: floodInfo(`v-flood-${i}`) });
        }
        // All 20 are in once the agent's pings come back in order behind them.
        stream.write({ ping: { seq: "1", sent_at_ms: String(Date.now()) } });
        await stream.waitFor((m) => m.pong?.seq === "1", 30_000);
        const floodMs = performance.now() - floodStarted;
        const writesAtPong = infoWrites;
        if (performance.now() - helloSent < INTERVAL_MS) {
          // Within the interval after the hello's info nothing more is stored.
          assert.equal(writesAtPong, 1, "only the hello's info was stored");
          const first = (await getCluster(dash, id)).cluster_info as unknown as StoredInfo;
          if (performance.now() - helloSent < INTERVAL_MS) {
            assert.match(first.kubernetes_version, /^v-hello/);
          }
        }

        // Then the latest one wins; one write per interval at most (the hello's, then one per
        // interval the flood lasted, then the held-back latest), not one per message.
        const c = await eventually("the latest flood info stored", async () => {
          const c = await getCluster(dash, id);
          return /^v-flood-19/.test(c.cluster_info?.kubernetes_version ?? "") ? c : undefined;
        }, INTERVAL_MS + 10_000);
        await sleep(INTERVAL_MS + 200);
        const most = 2 + Math.ceil(floodMs / INTERVAL_MS);
        assert.ok(
          infoWrites <= most,
          `${infoWrites} ClusterInfo writes for 20 messages in ${floodMs.toFixed(0)} ms`,
        );

        const info = c.cluster_info as unknown as StoredInfo;
        assert.equal(info.namespaces.length, INFO_LIMITS.namespaces);
        assert.equal(info.crds.length, INFO_LIMITS.crds);
        assert.ok(!info.namespaces.some((n) => n.length > INFO_LIMITS.namespaceChars));
        assert.equal(info.kubernetes_version.length, INFO_LIMITS.stringChars);
        assert.equal(info.platform.length, INFO_LIMITS.stringChars);
        assert.equal(info.truncated, true);
        assert.equal((c.kubernetes_version ?? "").length, INFO_LIMITS.stringChars);

        const [row] = await dash.d.db.query<{ n: number }>(
          "SELECT length(cluster_info::text)::int AS n FROM clusters WHERE id = $1",
          [id],
        );
        assert.ok(row.n < 1_300_000, `stored ClusterInfo is ${row.n} characters`);

        const list = await dash.api("GET", "/api/clusters", undefined, dash.adminToken);
        assert.equal(list.status, 200);
        const bytes = new TextEncoder().encode(list.text).length;
        assert.ok(bytes < 4_096, `GET /api/clusters is ${bytes} bytes`);
        const item = (list.json as { items: Array<{ id: string; cluster_info: unknown }> }).items
          .find((i) => i.id === id)!;
        assert.deepEqual(item.cluster_info, {
          kubernetes_version: info.kubernetes_version,
          platform: info.platform,
          node_count: 3,
          namespace_count: INFO_LIMITS.namespaces,
          crd_count: INFO_LIMITS.crds,
          truncated: true,
        });
        stream.call.cancel();
      } finally {
        client.close();
        await dash.stop();
        await dash.dropDb?.();
        await Deno.remove(dash.dataDir, { recursive: true }).catch(() => {});
      }
    },
  });
}

/** A registry and a database that only count what reaches them (and may hold calls). */
function countingBackend(opts: { hold?: boolean } = {}) {
  const counts = { register: 0, credential: 0, queries: 0 };
  const held: Array<() => void> = [];
  const wait = <T>(value: T) =>
    opts.hold ? new Promise<T>((r) => held.push(() => r(value))) : Promise.resolve(value);
  const registry = {
    register: () => {
      counts.register++;
      return wait(null).then(() => {
        throw new RegistrationError("the registration token is unknown");
      });
    },
    clusterForCredential: () => {
      counts.credential++;
      return wait(null);
    },
  } as unknown as AgentRegistry;
  const db = {
    kind: "pglite",
    query: () => {
      counts.queries++;
      return Promise.resolve([]);
    },
  } as unknown as Db;
  return { counts, registry, db, release: () => held.splice(0).forEach((r) => r()) };
}

function registerCall(
  client: ClusterAgentClient,
  req: { token: string; cluster_info?: ClusterInfo },
): Promise<RpcStatus> {
  return new Promise((resolve) =>
    client.Register(
      { protocol_version: PROTOCOL_VERSION, agent_version: "raw-test", ...req },
      { deadline: Date.now() + 20_000 },
      (err) => resolve(err ? { code: err.code, details: err.details } : { code: 0, details: "" }),
    )
  );
}

Deno.test({
  name: "agent limits: Register size bound, checked before the registry and the database",
  ...shared,
  async fn(t) {
    const cases: Array<{
      name: string;
      req: { token: string; cluster_info?: ClusterInfo };
      code: keyof typeof grpc.status;
      reachesRegistry: boolean;
    }> = [
      {
        name: "a Register of about 100 KB",
        req: {
          token: "t".repeat(4_000),
          cluster_info: { namespaces: Array.from({ length: 1_600 }, () => "n".repeat(60)) },
        },
        code: "RESOURCE_EXHAUSTED",
        reachesRegistry: false,
      },
      {
        name: "a Register of 17 MB",
        req: {
          token: "t",
          cluster_info: { namespaces: Array.from({ length: 17_000 }, () => "n".repeat(1000)) },
        },
        code: "RESOURCE_EXHAUSTED",
        reachesRegistry: false,
      },
      {
        name: "a Register just under the bound is checked as usual",
        req: {
          token: "t".repeat(4_000),
          cluster_info: {
            namespaces: Array.from({ length: 900 }, () => "n".repeat(60)), // ~56 KB
          },
        },
        code: "PERMISSION_DENIED",
        reachesRegistry: true,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const backend = countingBackend();
        const hub = new AgentHub(backend.db, () => {});
        const server = await startAgentServer(
          { hostname: "127.0.0.1", port: 0, tls: null },
          agentHandlers(backend.registry, hub),
        );
        const client = rawClient(`127.0.0.1:${server.port}`, null);
        try {
          const s = await registerCall(client, c.req);
          assert.equal(grpc.status[s.code], c.code, s.details);
          if (c.code === "RESOURCE_EXHAUSTED") {
            assert.match(s.details, new RegExp(`${REGISTER_MAX_BYTES}`));
          }
          assert.equal(backend.counts.register, c.reachesRegistry ? 1 : 0);
          assert.equal(backend.counts.queries, 0, "no database query");
        } finally {
          client.close();
          await server.stop();
        }
      });
    }
  },
});

Deno.test({
  name: "agent limits: unauthenticated calls are bounded per remote address",
  ...shared,
  async fn(t) {
    const N = MAX_UNAUTHENTICATED_PER_ADDRESS;
    const cases: Array<
      { name: string; streams: number; registers: number; extra: "Stream" | "Register" }
    > = [
      {
        name: `${N} Streams without hello, then a Stream`,
        streams: N,
        registers: 0,
        extra: "Stream",
      },
      {
        name: `${N} Registers in flight, then a Register`,
        streams: 0,
        registers: N,
        extra: "Register",
      },
      {
        name: "half and half, then a Register",
        streams: N / 2,
        registers: N / 2,
        extra: "Register",
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const backend = countingBackend({ hold: true });
        const hub = new AgentHub(backend.db, () => {});
        const server = await startAgentServer(
          { hostname: "127.0.0.1", port: 0, tls: null },
          agentHandlers(backend.registry, hub, { helloMs: 3_000, setupMs: 10_000 }),
        );
        const client = rawClient(`127.0.0.1:${server.port}`, null);
        try {
          const streams = Array.from(
            { length: c.streams },
            () => rawCall<DashboardMessage__Output>(client, "Stream", "kda_x"),
          );
          const registers = Array.from(
            { length: c.registers },
            () => registerCall(client, { token: "t" }),
          );
          await eventually(
            "every held call to reach the dashboard",
            () => Promise.resolve(backend.counts.credential + backend.counts.register === N),
            10_000,
          );
          const started = performance.now();
          const extra = c.extra === "Stream"
            ? await rawCall<DashboardMessage__Output>(client, "Stream", "kda_x").status
            : await registerCall(client, { token: "t" });
          assert.equal(grpc.status[extra.code], "RESOURCE_EXHAUSTED", extra.details);
          assert.match(extra.details, /too many unauthenticated agent calls from 127\.0\.0\.1/);
          assert.ok(performance.now() - started < 1_000, "refused at once");
          assert.equal(backend.counts.credential + backend.counts.register, N, "not checked");

          // Once they end (no hello in time; registrations answered) the address may call again.
          backend.release();
          await Promise.all([...registers, ...streams.map((s) => s.status)]);
          const again = rawCall<DashboardMessage__Output>(client, "Stream", "kda_x");
          const s = await again.status;
          assert.equal(grpc.status[s.code], "DEADLINE_EXCEEDED", s.details);
        } finally {
          backend.release();
          client.close();
          await server.stop();
        }
      });
    }
  },
});
