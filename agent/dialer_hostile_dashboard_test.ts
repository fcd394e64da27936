// The agent's dialer (agent/dialer.ts) against a hostile dashboard: a fake dashboard (a gRPC
// server scripted by the test) sends what a buggy or hostile dashboard could: requests before the
// stream is accepted, paths outside the API, unknown and empty messages, undecodable and
// oversized frames. The agent is the REAL process, against a REAL kube-apiserver.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { clusterAgent } from "../proto/wire.ts";
import type { AgentMessage__Output } from "../proto/gen/agent/v1/AgentMessage.ts";
import type { DashboardMessage } from "../proto/gen/agent/v1/DashboardMessage.ts";
import type { TunnelUp__Output } from "../proto/gen/agent/v1/TunnelUp.ts";
import { sharedControlPlane } from "../tools/testenv/mod.ts";
import { startAgent } from "../testing/harness.ts";
import { eventually } from "../testing/eventually.ts";
import { serviceAccountKubeconfig } from "../testing/clusters.ts";
import { freePorts } from "../tools/ports.ts";
import { readyz, shared, sleep, withTimeout } from "../e2e/agent_fixtures.ts";

interface FakeStream {
  call: grpc.ServerDuplexStream<AgentMessage__Output, DashboardMessage | Buffer>;
  received: AgentMessage__Output[];
  credential: string;
  waitFor(
    pred: (m: AgentMessage__Output) => boolean,
    timeoutMs?: number,
  ): Promise<AgentMessage__Output>;
  ended: Promise<void>;
}

/** The fake dashboard's StreamAccepted, with the fields a step cares about on top. */
const accepted = (
  extra: Partial<NonNullable<DashboardMessage["accepted"]>> = {},
): DashboardMessage => ({
  accepted: {
    cluster_id: "c",
    cluster_name: "fake",
    session_token: "kss_fake",
    heartbeat_interval_ms: 1000,
    max_concurrent_requests: 10,
    ...extra,
  },
});

async function startFakeDashboard() {
  const svc = clusterAgent().service;
  const def = {
    ...svc,
    Stream: {
      ...svc.Stream,
      // Lets the test put raw (undecodable) bytes on the wire.
      responseSerialize: (m: DashboardMessage | Buffer) =>
        Buffer.isBuffer(m) ? m : svc.Stream.responseSerialize(m),
    },
  };
  const streams: FakeStream[] = [];
  const tunnels: Array<{
    requestId: string;
    frames: TunnelUp__Output[];
    done: Promise<void>;
    closed: Promise<void>;
    call: grpc.ServerDuplexStream<TunnelUp__Output, unknown>;
  }> = [];
  let wake: (() => void) | undefined;
  const notify = () => wake?.();
  const credential = "kda_" + "F".repeat(43);
  const server = new grpc.Server();
  server.addService(def as unknown as grpc.ServiceDefinition, {
    Register(
      call: grpc.ServerUnaryCall<unknown, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) {
      void call;
      cb(null, { cluster_id: crypto.randomUUID(), cluster_name: "fake", credential });
    },
    Stream(call: FakeStream["call"]) {
      const received: AgentMessage__Output[] = [];
      let w: (() => void) | undefined;
      call.on("data", (m: AgentMessage__Output) => {
        received.push(m);
        w?.();
      });
      call.on("error", () => {});
      const ended = new Promise<void>((r) => {
        call.on("close", () => r());
        call.on("cancelled", () => r());
        call.on("end", () => r());
      });
      streams.push({
        call,
        received,
        credential: String(call.metadata.get("authorization")[0] ?? ""),
        ended,
        async waitFor(pred, timeoutMs = 10_000) {
          const until = Date.now() + timeoutMs;
          for (;;) {
            const m = received.find(pred);
            if (m) return m;
            if (Date.now() > until) {
              throw new Error(`agent did not send it; got ${received.map((m) => m.msg)}`);
            }
            await new Promise<void>((r) => {
              w = r;
              setTimeout(r, 50);
            });
          }
        },
      });
      notify();
    },
    Tunnel(call: grpc.ServerDuplexStream<TunnelUp__Output, unknown>) {
      const frames: TunnelUp__Output[] = [];
      const closed = new Promise<void>((resolve) => {
        call.on("end", resolve);
        call.on("error", () => resolve());
        call.on("close", resolve);
      });
      const entry = { requestId: "", frames, done: Promise.resolve(), closed, call };
      entry.done = new Promise<void>((resolve) => {
        call.on("data", (f: TunnelUp__Output) => {
          if (f.open) {
            entry.requestId = f.open.request_id;
            tunnels.push(entry);
            notify();
          } else frames.push(f);
          // A response ends with an end frame, or is whole in its first frame; an idle tunnel
          // stays open for the steps that use it.
          if (entry.requestId && (f.end || f.response?.complete)) {
            call.end();
            resolve();
          }
        });
        call.on("error", () => resolve());
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (err, p) => err ? reject(err) : resolve(p),
    )
  );
  const until = async <T>(what: string, fn: () => T | undefined, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`fake dashboard: no ${what}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
  };
  return {
    url: `http://127.0.0.1:${port}`,
    credential,
    streams,
    tunnels,
    /** The n-th control stream the agent opened (0-based). */
    stream: (n: number) => until(`control stream #${n}`, () => streams[n]),
    tunnel: (id: string) => until(`tunnel ${id}`, () => tunnels.find((t) => t.requestId === id)),
    stop: () => server.forceShutdown(),
  };
}

Deno.test({
  name: "agent e2e: a hostile dashboard (bad paths, out-of-order, garbage, oversized frames)",
  ...shared,
  async fn(t) {
    const cp = await sharedControlPlane();
    const fake = await startFakeDashboard();
    const [healthPort] = freePorts(1);
    const agent = await startAgent({
      dashboardUrl: fake.url,
      caHash: null,
      kubeconfig: await serviceAccountKubeconfig(cp, "agent-fake", "cluster-admin"),
      token: "a.b.c",
      extraEnv: { HEALTH_ADDR: `127.0.0.1:${healthPort}` },
    });
    const refusal = (s: FakeStream, id: string) =>
      s.waitFor((m) => m.tunnel_refused?.request_id === id).then((m) => m.tunnel_refused!);
    try {
      await t.step("requests before the stream is accepted are refused, not run", async () => {
        const s = await fake.stream(0);
        assert.equal(s.credential, `Bearer ${fake.credential}`, "the registered credential");
        await s.waitFor((m) => m.msg === "hello");
        s.call.write({ ping: { seq: "1", sent_at_ms: "1" } });
        s.call.write({
          k8s_request: { request_id: "early", method: "GET", path: "/version", has_body: false },
        });
        assert.equal((await refusal(s, "early")).http_status, 503);
        assert.equal((await s.waitFor((m) => m.msg === "pong")).pong!.seq, "1");
        assert.equal((await readyz(healthPort)).status, 503, "not ready before accepted");
        s.call.write(accepted());
        await eventually("ready", async () => (await readyz(healthPort)).status === 200, {
          timeoutMs: 5_000,
          intervalMs: 25,
        });
      });

      await t.step("paths outside the Kubernetes API are refused with 403", async () => {
        const s = await fake.stream(0);
        const bad = [
          "/etc/passwd",
          "/api/../x",
          "/api/..\\x",
          "/api/%2e%2e/x",
          "//evil/api",
          "/metrics",
        ];
        for (const [i, path] of bad.entries()) {
          s.call.write({
            k8s_request: { request_id: `bad-${i}`, method: "GET", path, has_body: false },
          });
          s.call.write({ watch_start: { request_id: `badw-${i}`, path, resource_version: "" } });
        }
        for (const [i, path] of bad.entries()) {
          for (const id of [`bad-${i}`, `badw-${i}`]) {
            const r = await refusal(s, id);
            assert.equal(r.http_status, 403, `${path}: ${r.message}`);
            assert.match(r.message, /not allowed|only Kubernetes API paths/);
          }
        }
        assert.equal(fake.tunnels.length, 0, "no tunnel was opened for a refused path");
      });

      await t.step("unknown and empty messages are ignored; requests still run", async () => {
        const s = await fake.stream(0);
        s.call.write({});
        s.call.write({ watch_stop: { request_id: "never-started" } });
        s.call.write({ pong: { seq: "77", ping_sent_at_ms: "1" } });
        s.call.write({ goodbye: { reason: "just kidding", reconnect: true } });
        s.call.write({ ping: { seq: "2", sent_at_ms: "1" } });
        assert.equal((await s.waitFor((m) => m.pong?.seq === "2")).pong!.seq, "2");
        s.call.write({
          k8s_request: { request_id: "ok-1", method: "GET", path: "/version", has_body: false },
        });
        const tunnel = await fake.tunnel("ok-1");
        await withTimeout(tunnel.done, 10_000, "the /version tunnel");
        assert.equal(tunnel.frames[0]?.response?.status, 200);
        // A small body comes whole with the head: one frame, complete.
        assert.equal(tunnel.frames.length, 1);
        assert.equal(tunnel.frames[0].response?.complete, true);
        const body = Buffer.from(tunnel.frames[0].response!.body);
        assert.equal(JSON.parse(body.toString()).gitVersion, cp.version);
        assert.equal((await readyz(healthPort)).status, 200);
        assert.match(
          await agent.logs(),
          /"msg":"unexpected message from the dashboard","message":"empty"/,
        );
      });

      await t.step(
        "idle tunnels: a request on one is answered on it; a stray frame ends it",
        async () => {
          const s = await fake.stream(0);
          s.call.write(accepted({ idle_tunnels: 1, max_idle_tunnels: 4 }));
          const idle = await fake.tunnel("");
          idle.call.write({
            request: { request_id: "on-idle", method: "GET", path: "/version", has_body: false },
          });
          await eventually(
            "the answer on the idle tunnel",
            () => Promise.resolve(idle.frames.length > 0),
            { timeoutMs: 10_000, intervalMs: 25 },
          );
          const head = idle.frames[0].response!;
          assert.equal(head.status, 200);
          assert.equal(head.complete, true);
          assert.equal(JSON.parse(Buffer.from(head.body).toString()).gitVersion, cp.version);
          // Handed a request, the agent opened another idle tunnel at once.
          await eventually("a second idle tunnel", () =>
            Promise.resolve(
              fake.tunnels.filter((x) => x.requestId === "").length === 2,
            ), { timeoutMs: 5_000, intervalMs: 25 });
          // A refused path on an idle tunnel is answered there, and the tunnel stays usable.
          idle.call.write({
            request: {
              request_id: "on-idle-bad",
              method: "GET",
              path: "/metrics",
              has_body: false,
            },
          });
          await eventually("the refusal", () => Promise.resolve(idle.frames.length > 1), {
            timeoutMs: 5_000,
            intervalMs: 25,
          });
          assert.equal(idle.frames[1].response?.status, 403);
          assert.match(
            Buffer.from(idle.frames[1].response!.body).toString(),
            /"reason":"Forbidden"/,
          );
          // Anything but a request on an idle tunnel makes the agent end it.
          idle.call.write({ end: { error: "" } });
          await withTimeout(idle.closed, 5_000, "the agent to end the idle tunnel");
          assert.equal((await readyz(healthPort)).status, 200, "the stream is unharmed");
        },
      );

      await t.step("an undecodable frame ends the stream; the agent reconnects", async () => {
        const s = await fake.stream(0);
        s.call.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
        await withTimeout(s.ended, 10_000, "the garbage stream to end");
        const next = await fake.stream(1);
        await next.waitFor((m) => m.msg === "hello");
        assert.equal(next.credential, `Bearer ${fake.credential}`, "no new registration");
        const log = await agent.logs();
        assert.match(log, /connection to the dashboard failed/);
      });

      await t.step("an oversized frame ends the stream; the agent reconnects", async () => {
        const s = await fake.stream(1);
        // No interval: the agent's default heartbeat (10 s), so this fake need not answer pings.
        s.call.write(accepted({ session_token: "kss_fake2", heartbeat_interval_ms: 0 }));
        await eventually("ready", async () => (await readyz(healthPort)).status === 200, {
          timeoutMs: 5_000,
          intervalMs: 25,
        });
        s.call.write({ goodbye: { reason: "x".repeat(18 * 1024 * 1024), reconnect: true } });
        await withTimeout(s.ended, 10_000, "the oversized stream to end");
        const next = await fake.stream(2);
        await next.waitFor((m) => m.msg === "hello");
        const log = await agent.logs();
        assert.match(log, /larger than max|RESOURCE_EXHAUSTED|max.*message/i);
        assert.equal(agent.process.pid > 0, true);
        const status = await Promise.race([agent.process.status, sleep(100).then(() => null)]);
        assert.equal(status, null, "the agent is still running");
      });
    } finally {
      await agent.stop();
      fake.stop();
    }
  },
});
