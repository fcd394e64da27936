// The agent wire, end to end against a REAL kube-apiserver and REAL agents: malformed,
// oversized and out-of-order messages from a raw "agent" on Register, Stream and Tunnel; the
// idle tunnel pool (requests handed directly and reused, the cap, a stray frame retires one);
// afterwards the dashboard is healthy and the real agents still serve.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import type { DashboardMessage__Output } from "../proto/gen/agent/v1/DashboardMessage.ts";
import type { TunnelDown__Output } from "../proto/gen/agent/v1/TunnelDown.ts";
import { eventually } from "../testing/eventually.ts";
import { connectCluster, createAgentToken, getCluster } from "../testing/clusters.ts";
import { hello, rawCall, rawClient, register } from "../testing/raw_agent.ts";
import { expectStatus, k8s, mainAgentTest, sleep, withTimeout } from "./agent_fixtures.ts";

mainAgentTest(
  "agent wire: malformed, oversized and out-of-order messages from an agent",
  async (t, { cp, dash, api, caPem, ns, clusterId }) => {
    let ro: Awaited<ReturnType<typeof connectCluster>> | undefined;
    const raw = rawClient(dash.d.grpcAddr, caPem);
    try {
      // Two agents connected, as before the abuse: the main one and a read-only one.
      ro = await connectCluster(dash, cp, "agent", "e2e-ro", {
        clusterRole: "view",
        preset: "read-only",
      });

      await t.step("malformed, oversized and out-of-order messages from an agent", async (s) => {
        const base = dash.d.hub.size;
        assert.equal(base, 2);
        await s.step("Register: wrong protocol version, oversized, garbage token", async () => {
          const v = await register(raw, "a.b.c", 99);
          assert.equal(grpc.status[v.code], "FAILED_PRECONDITION");
          assert.match(
            v.details,
            /agent protocol v99 is not supported by this dashboard \(v1 to v2\)/,
          );
          const big = await register(raw, "x".repeat(18 * 1024 * 1024));
          assert.equal(grpc.status[big.code], "RESOURCE_EXHAUSTED", big.details);
          const long = await register(raw, "x".repeat(5000));
          assert.equal(grpc.status[long.code], "INVALID_ARGUMENT", long.details);
          const junk = await register(raw, "not-a-jwt");
          assert.equal(grpc.status[junk.code], "PERMISSION_DENIED");
          assert.match(junk.details, /not valid for this dashboard/);
        });
        await s.step(
          "Stream: ping before hello, bad versions, bad credentials, huge hello",
          async () => {
            const early = rawCall<DashboardMessage__Output>(raw, "Stream", "kda_nope");
            early.write({ ping: { seq: "1", sent_at_ms: String(Date.now()) } });
            await expectStatus(
              early.status,
              grpc.status.FAILED_PRECONDITION,
              /first message must be hello/,
              "ping before hello",
            );
            const version = rawCall<DashboardMessage__Output>(raw, "Stream", "kda_nope");
            version.write(hello({ protocol_version: 7 }));
            await expectStatus(
              version.status,
              grpc.status.FAILED_PRECONDITION,
              /agent protocol v7 is not supported.*upgrade the agent/,
              "wrong protocol version",
            );
            for (
              const cred of ["", "kda_" + "A".repeat(43), "garbage", "kda_" + "A".repeat(5000)]
            ) {
              const bad = rawCall<DashboardMessage__Output>(raw, "Stream", cred);
              bad.write(hello());
              await expectStatus(
                bad.status,
                grpc.status.UNAUTHENTICATED,
                /credential is not valid/,
                `bad credential ${cred.slice(0, 10)}`,
              );
            }
            const huge = rawCall<DashboardMessage__Output>(raw, "Stream", "kda_nope");
            huge.write(hello({
              cluster_info: { namespaces: Array.from({ length: 18_000 }, () => "n".repeat(1000)) },
            }));
            await expectStatus(huge.status, grpc.status.RESOURCE_EXHAUSTED, /./, "18 MB hello");
            await sleep(100);
            assert.equal(dash.d.hub.size, base);
          },
        );

        // A real credential for the rest: a raw "agent" registered with its own token.
        const { token } = await createAgentToken(dash, "e2e-raw");
        const reg = await register(raw, token);
        assert.equal(grpc.status[reg.code], "OK", reg.details);
        const credential = reg.credential!;

        await s.step(
          "Tunnel: unknown session token, unknown request id, no open frame",
          async () => {
            const unknown = rawCall(raw, "Tunnel", "kss_unknown");
            unknown.write({ open: { request_id: "x" } });
            await expectStatus(
              unknown.status,
              grpc.status.UNAUTHENTICATED,
              /unknown or expired session/,
              "unknown session",
            );
            const session = rawCall<DashboardMessage__Output>(raw, "Stream", credential);
            session.write(hello());
            const accepted = (await session.waitFor((m) => m.msg === "accepted")).accepted!;
            assert.equal(accepted.cluster_id, reg.clusterId);
            assert.equal(dash.d.hub.size, base + 1);
            // An open frame naming no pending request, and a body frame before any open.
            for (
              const [what, first] of [
                ["bad id", { open: { request_id: crypto.randomUUID() } }],
                ["body", { body: { data: Buffer.from("hi") } }],
              ] as const
            ) {
              const tunnel = rawCall(raw, "Tunnel", accepted.session_token);
              tunnel.write(first);
              await expectStatus(tunnel.status, grpc.status.NOT_FOUND, /no pending request/, what);
            }
            const garbageTunnel = rawCall(raw, "Tunnel", accepted.session_token);
            garbageTunnel.write(Buffer.from([0x0f, 0xff, 0xff]));
            const gs = await withTimeout(garbageTunnel.status, 15_000, "garbage tunnel");
            assert.notEqual(gs.code, grpc.status.OK);
            // The session survived all of that.
            session.write({ ping: { seq: "42", sent_at_ms: String(Date.now()) } });
            const pong = await session.waitFor((m) => m.msg === "pong");
            assert.equal(pong.pong!.seq, "42");
            session.call.cancel();
            await eventually(
              "the cancelled session to be gone",
              () => Promise.resolve(dash.d.hub.size === base),
              5_000,
            );
          },
        );

        await s.step(
          "idle tunnels: handed requests directly and reused; capped; retired by a stray frame",
          async () => {
            const session = rawCall<DashboardMessage__Output>(raw, "Stream", credential);
            session.write(hello());
            const accepted = (await session.waitFor((m) => m.msg === "accepted")).accepted!;
            assert.equal(accepted.idle_tunnels, dash.d.hub.opts.idleTunnels);
            assert.equal(accepted.max_idle_tunnels, dash.d.hub.opts.maxIdleTunnels);
            const live = () => dash.d.hub.session(reg.clusterId!)!;
            const idle = rawCall<TunnelDown__Output>(raw, "Tunnel", accepted.session_token);
            idle.write({ open: { request_id: "" } });
            await eventually(
              "the idle tunnel to be pooled",
              () => Promise.resolve(live().idle.length === 1),
            );
            // Three requests in a row ride the same tunnel; none is announced on the stream.
            for (let i = 1; i <= 3; i++) {
              const res = dash.d.hub.fetch(
                reg.clusterId!,
                new Request(`https://agent.invalid/api/v1/namespaces/n${i}`),
              );
              await idle.waitFor(() => idle.received.filter((f) => f.request).length === i);
              const req = idle.received.filter((f) => f.request).at(-1)!.request!;
              assert.equal(req.path, `/api/v1/namespaces/n${i}`);
              assert.equal(req.has_body, false);
              idle.write({
                response: {
                  status: 200,
                  headers: [{ name: "content-type", value: "application/json" }],
                  body: Buffer.from(`{"n":${i}}`),
                  complete: true,
                },
              });
              const r = await withTimeout(res, 5_000, `request ${i}`);
              assert.deepEqual(await r.json(), { n: i });
              await eventually(
                "the tunnel to be idle again",
                () => Promise.resolve(live().idle.length === 1),
              );
            }
            assert.equal(session.received.filter((m) => m.k8s_request).length, 0);
            assert.equal(idle.received.filter((f) => f.end).length, 0, "no end frame without body");
            // Offers beyond the cap are ended at once.
            const extra = Array.from({ length: dash.d.hub.opts.maxIdleTunnels }, () => {
              const t = rawCall<TunnelDown__Output>(raw, "Tunnel", accepted.session_token);
              t.write({ open: { request_id: "" } });
              return t;
            });
            const over = await Promise.race(
              extra.map((t, i) => t.status.then(() => i)).concat([sleep(5_000).then(() => -1)]),
            );
            assert.notEqual(over, -1, "one offer beyond the cap must be ended");
            assert.equal(live().idle.length, dash.d.hub.opts.maxIdleTunnels);
            // An agent must not send anything on an idle tunnel: a stray frame retires it.
            const stray = extra.find((_, i) => i !== over)!;
            stray.write({ body: { data: Buffer.from("stray") } });
            await withTimeout(stray.status, 5_000, "the stray tunnel to end");
            assert.equal(live().idle.length, dash.d.hub.opts.maxIdleTunnels - 1);
            session.call.cancel();
            await eventually(
              "the session to be gone",
              () => Promise.resolve(dash.d.hub.size === base),
            );
            // Ending the session ends its idle tunnels too.
            await withTimeout(idle.status, 5_000, "the idle tunnel to end with its session");
          },
        );

        await s.step("Stream: out-of-order messages after hello are ignored", async () => {
          const session = rawCall<DashboardMessage__Output>(raw, "Stream", credential);
          session.write(hello());
          await session.waitFor((m) => m.msg === "accepted");
          session.write(hello());
          session.write({ pong: { seq: "999", ping_sent_at_ms: "1" } });
          session.write({ tunnel_refused: { request_id: "nope", message: "x", http_status: 403 } });
          session.write({});
          session.write({ cluster_info: { kubernetes_version: "v0", node_count: -5 } });
          session.write({ ping: { seq: "7", sent_at_ms: String(Date.now()) } });
          const pong = await session.waitFor((m) => m.pong?.seq === "7");
          assert(pong);
          assert.equal(dash.d.hub.size, base + 1);
          const c = await getCluster(dash, reg.clusterId!);
          assert.equal(c.status, "connected");
          assert.equal(c.node_count, null, "a negative node count means unknown");
          session.call.end();
          await withTimeout(session.status, 5_000, "half-closed session");
          await eventually(
            "the ended session to be gone",
            () => Promise.resolve(dash.d.hub.size === base),
            5_000,
          );
        });

        await s.step("Stream: garbage frames and an oversized frame after hello", async () => {
          // Each on a session of its own, accepted first; the session ends and is gone.
          const frames = [
            ["garbage", Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), "INTERNAL"],
            [
              "oversized",
              {
                cluster_info: {
                  namespaces: Array.from({ length: 18_000 }, () => "n".repeat(1000)),
                },
              },
              "RESOURCE_EXHAUSTED",
            ],
          ] as const;
          for (const [what, frame, code] of frames) {
            const session = rawCall<DashboardMessage__Output>(raw, "Stream", credential);
            session.write(hello());
            await session.waitFor((m) => m.msg === "accepted");
            assert.equal(dash.d.hub.size, base + 1, what);
            session.write(frame);
            const st = await withTimeout(session.status, 15_000, `${what} frame`);
            assert.equal(grpc.status[st.code], code, st.details);
            await eventually(
              `the ${what} session to be gone`,
              () => Promise.resolve(dash.d.hub.size === base),
              5_000,
            );
          }
        });

        await s.step("afterwards the dashboard is healthy and the other agents serve", async () => {
          const ready = await dash.fetch("/readyz");
          assert.equal(ready.status, 200, await ready.text());
          for (const id of [clusterId, ro!.id]) {
            const r = await k8s(api, id, `/api/v1/namespaces/${ns}`);
            const text = await r.text();
            assert.equal(r.status, 200, text);
          }
          assert.equal(dash.d.hub.size, base);
          assert.equal(dash.d.hub.session(clusterId)?.inFlight, 0);
          const del = await dash.api(
            "DELETE",
            `/api/clusters/${reg.clusterId}`,
            undefined,
            dash.adminToken,
          );
          assert.equal(del.status, 204, del.text);
        });
      });
    } finally {
      raw.close();
      await ro?.close();
    }
  },
);
