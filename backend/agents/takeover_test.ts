// No silent takeover of an agent cluster: a second control stream opened with a cluster's
// credential while the connected agent answers pings is refused (ALREADY_EXISTS) and the
// connected agent keeps serving requests; when the connected agent has stopped answering (its
// connection died without a FIN), the newcomer replaces it within the probe bound. Both are
// security events on the cluster (GET /api/clusters/{id}), and never show the credential.
// The agents are raw gRPC clients that play the agent's part (pongs, tunnels).
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import type { DashboardMessage__Output } from "../../proto/gen/agent/v1/DashboardMessage.ts";
import type { TunnelDown__Output } from "../../proto/gen/agent/v1/TunnelDown.ts";
import type { ClusterAgentClient } from "../../proto/gen/agent/v1/ClusterAgent.ts";
import { startTestDashboard, type TestDashboard } from "../../testing/harness.ts";
import { eventually, withTimeout } from "../../testing/eventually.ts";
import { createAgentToken, getCluster } from "../../testing/clusters.ts";
import { hello, rawCall, rawClient, register, type RpcStatus } from "../../testing/raw_agent.ts";

const PROBE_MS = 1_500;

interface ClusterWithEvent {
  status: string;
  last_security_event: string | null;
  last_security_event_at: string | null;
}

/**
 * A raw agent: answers pings and serves every announced request with `{"agent": <name>}` over
 * a tunnel of its own, until mute() (then it answers nothing, like a dead connection).
 */
function rawAgent(client: ClusterAgentClient, credential: string, name: string) {
  const stream = rawCall<DashboardMessage__Output>(client, "Stream", credential);
  let muted = false;
  let seen = 0;
  let token = "";
  const serve = () => {
    for (; seen < stream.received.length; seen++) {
      const m = stream.received[seen];
      if (muted) continue;
      if (m.ping) stream.write({ pong: { seq: m.ping.seq, ping_sent_at_ms: m.ping.sent_at_ms } });
      if (m.k8s_request && token) {
        const tunnel = rawCall<TunnelDown__Output>(client, "Tunnel", token);
        const answer = () =>
          tunnel.write({
            response: {
              status: 200,
              headers: [{ name: "content-type", value: "application/json" }],
              body: Buffer.from(JSON.stringify({ agent: name })),
              complete: true,
            },
          });
        // The tunnel is idle after its answer: the dashboard may hand it the next request.
        tunnel.call.on("data", (d: TunnelDown__Output) => {
          if (d.request && !muted) answer();
        });
        tunnel.write({ open: { request_id: m.k8s_request.request_id } });
        answer();
      }
    }
  };
  stream.call.on("data", () => queueMicrotask(serve));
  stream.write(hello());
  const accepted = stream.waitFor((m) => m.msg === "accepted", 15_000).then((m) => {
    token = m.accepted!.session_token;
    serve();
    return m;
  });
  accepted.catch(() => {});
  return {
    stream,
    accepted,
    get sessionToken() {
      return token;
    },
    mute: () => (muted = true),
  };
}

async function startRawAgent(client: ClusterAgentClient, credential: string, name: string) {
  const agent = rawAgent(client, credential, name);
  await agent.accepted;
  return agent;
}

async function proxiedVersion(dash: TestDashboard, id: string): Promise<unknown> {
  const r = await dash.fetch(`/api/clusters/${id}/k8s/version`, {
    headers: { authorization: `Bearer ${dash.adminToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return JSON.parse(text);
}

Deno.test({
  name: "agent takeover: a second stream with a live cluster's credential",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // Heartbeats far apart: only the takeover probe may notice a silent agent here.
    const dash = await startTestDashboard({ heartbeatSeconds: 60 });
    dash.d.hub.opts.takeoverProbeMs = PROBE_MS;
    const caPem = await Deno.readTextFile(`${dash.dataDir}/tls/ca.crt`);
    const client = rawClient(dash.d.grpcAddr, caPem);
    const cases: Array<{
      name: string;
      /** Set A up before B arrives (mute it, or leave it answering). */
      before(a: Awaited<ReturnType<typeof startRawAgent>>): void;
      check(
        ctx: {
          id: string;
          credential: string;
          a: Awaited<ReturnType<typeof startRawAgent>>;
          b: ReturnType<typeof rawCall<DashboardMessage__Output>>;
          startedMs: number;
        },
      ): Promise<void>;
    }> = [
      {
        name: "A answers pings: B is refused, A keeps serving, the event is on the cluster",
        before() {},
        async check({ id, credential, a, b, startedMs }) {
          const s: RpcStatus = await withTimeout(b.status, PROBE_MS + 5_000, "B's refusal");
          assert.equal(grpc.status[s.code], "ALREADY_EXISTS", s.details);
          assert.match(s.details, /another agent with this cluster's credential is connected/);
          assert.match(s.details, /wait for the old one to stop/);
          assert.ok(performance.now() - startedMs < PROBE_MS, "refused as soon as A answered");
          assert.equal(b.received.filter((m) => m.accepted).length, 0, "B was never accepted");
          assert.equal(dash.d.hub.session(id)?.sessionToken, a.sessionToken, "A stays");
          assert.equal(a.stream.received.filter((m) => m.goodbye).length, 0, "A got no goodbye");
          assert.deepEqual(await proxiedVersion(dash, id), { agent: "A" });
          const c = await eventually(
            "the security event on the cluster",
            async () => {
              const c = await getCluster(dash, id) as unknown as ClusterWithEvent;
              return c.last_security_event ? c : undefined;
            },
            5_000,
          );
          assert.equal(c.status, "connected");
          assert.match(c.last_security_event!, /refused an agent connection from 127\.0\.0\.1:/);
          assert.ok(!c.last_security_event!.includes(credential), "no credential in the event");
          assert.ok(c.last_security_event_at, "the event has a time");
        },
      },
      {
        name: "A stopped answering (dead without FIN): B replaces it within the probe bound",
        before(a) {
          a.mute();
        },
        async check({ id, a, b, startedMs }) {
          const accepted = await b.waitFor((m) => m.msg === "accepted", PROBE_MS + 5_000);
          const elapsed = performance.now() - startedMs;
          assert.ok(elapsed >= PROBE_MS - 100, `B waited for the probe (${elapsed.toFixed(0)} ms)`);
          assert.ok(elapsed < PROBE_MS + 2_000, `B got in within the bound (${elapsed} ms)`);
          assert.equal(dash.d.hub.session(id)?.sessionToken, accepted.accepted!.session_token);
          const goodbye = await a.stream.waitFor((m) => m.msg === "goodbye");
          assert.equal(goodbye.goodbye!.reconnect, false);
          const c = await eventually(
            "the replacement's security event",
            async () => {
              const c = await getCluster(dash, id) as unknown as ClusterWithEvent;
              return /replaced the one from/.test(c.last_security_event ?? "") ? c : undefined;
            },
            5_000,
          );
          assert.equal(c.status, "connected");
          b.call.end();
        },
      },
    ];
    try {
      for (const [i, c] of cases.entries()) {
        await t.step(c.name, async () => {
          const { token } = await createAgentToken(dash, `takeover-${i}`);
          const reg = await register(client, token);
          assert.ok(reg.credential, reg.details);
          const id = reg.clusterId!;
          const a = await startRawAgent(client, reg.credential, "A");
          assert.deepEqual(await proxiedVersion(dash, id), { agent: "A" });
          c.before(a);
          const b = rawCall<DashboardMessage__Output>(client, "Stream", reg.credential!);
          const startedMs = performance.now();
          b.write(hello());
          await c.check({ id, credential: reg.credential!, a, b, startedMs });
          a.stream.call.cancel();
        });
      }

      await t.step("two newcomers against a silent session: exactly one gets in", async () => {
        const { token } = await createAgentToken(dash, "takeover-race");
        const reg = await register(client, token);
        const a = await startRawAgent(client, reg.credential!, "A");
        a.mute();
        // Both answer pings: whichever gets in first is live when the other is admitted.
        const bs = ["B1", "B2"].map((name) => rawAgent(client, reg.credential!, name));
        const outcomes = await Promise.all(bs.map((b) =>
          Promise.race([
            b.accepted.then(() => "accepted"),
            b.stream.status.then((s) => grpc.status[s.code]),
          ])
        ));
        assert.deepEqual(outcomes.sort(), ["ALREADY_EXISTS", "accepted"], String(outcomes));
        for (const b of bs) b.stream.call.cancel();
        a.stream.call.cancel();
      });
    } finally {
      client.close();
      await dash.stop();
      await Deno.remove(dash.dataDir, { recursive: true }).catch(() => {});
    }
  },
});
