// The static codec (proto/gen/agent_pb.js behind clusterAgent()) against proto-loader reading
// agent.proto itself: the same methods, and for each message the same bytes and the same decoded
// objects. A stale or hand-edited agent_pb.js, or a service definition that drifted from the
// .proto, fails here.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import { clusterAgent } from "./wire.ts";

const PROTO = fileURLToPath(new URL("./agent/v1/agent.proto", import.meta.url));
// The options the generated types in proto/gen describe (tools/proto.sh passes the same).
const reference = protoLoader.loadSync(PROTO, {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
});
const referenceService = reference["agent.v1.ClusterAgent"] as grpc.ServiceDefinition;

Deno.test("the service has the .proto's methods, paths and streaming", () => {
  const service = clusterAgent().service;
  assert.deepEqual(Object.keys(service).sort(), Object.keys(referenceService).sort());
  for (const [name, def] of Object.entries(referenceService)) {
    const ours = service[name as keyof typeof service];
    assert.deepEqual(
      [ours.path, ours.requestStream, ours.responseStream, ours.originalName],
      [def.path, def.requestStream, def.responseStream, def.originalName],
      name,
    );
  }
});

const body = Buffer.from('{"kind":"ConfigMap","data":{"k":"v"}}');
const headers = [{ name: "content-type", value: "application/json" }, { name: "x", value: "" }];

/** [method, direction, message]: every oneof case, 64-bit integers, doubles, bytes, repeats. */
const CASES: [string, "request" | "response", Record<string, unknown>][] = [
  ["Register", "request", {
    token: "tok",
    protocol_version: 2,
    agent_version: "0.1.0",
    cluster_info: {
      kubernetes_version: "v1.36.3",
      platform: "linux/amd64",
      node_count: -1,
      namespaces: ["a", "b"],
      crds: [],
      agent_version: "0.1.0",
    },
  }],
  ["Register", "request", {}],
  ["Register", "response", { cluster_id: "c1", cluster_name: "prod", credential: "secret" }],
  ["Stream", "request", { hello: { protocol_version: 2, agent_version: "x" } }],
  ["Stream", "request", {
    ping: { seq: "18446744073709551615", sent_at_ms: "-5", last_rtt_ms: 0.25 },
  }],
  ["Stream", "request", { pong: { seq: "7", ping_sent_at_ms: "1765000000000" } }],
  ["Stream", "request", { cluster_info: { node_count: 3, namespaces: ["default"] } }],
  ["Stream", "request", { tunnel_refused: { request_id: "r", message: "busy", http_status: 429 } }],
  ["Stream", "response", {
    accepted: {
      cluster_id: "c",
      cluster_name: "n",
      session_token: "s",
      heartbeat_interval_ms: 10000,
      max_concurrent_requests: 64,
      idle_tunnels: 2,
      max_idle_tunnels: 32,
    },
  }],
  ["Stream", "response", { ping: { seq: "1", sent_at_ms: "2", last_rtt_ms: 1e-3 } }],
  ["Stream", "response", {
    k8s_request: { request_id: "r", method: "GET", path: "/api", headers, has_body: true },
  }],
  ["Stream", "response", {
    watch_start: { request_id: "w", path: "/api/v1/pods", resource_version: "9", headers },
  }],
  ["Stream", "response", { watch_stop: { request_id: "w" } }],
  ["Stream", "response", { goodbye: { reason: "bye", reconnect: false } }],
  ["Stream", "response", {
    stream_start: { request_id: "s", path: "/exec", protocols: ["v5.channel.k8s.io"], headers },
  }],
  ["Tunnel", "request", { open: { request_id: "" } }],
  ["Tunnel", "request", { response: { status: 200, headers, body, complete: true } }],
  ["Tunnel", "request", { body: { data: Buffer.alloc(70_000, 7) } }],
  ["Tunnel", "request", {
    watch_event: { type: "ADDED", object: body, resource_version: "12" },
  }],
  ["Tunnel", "request", { end: { error: "reset" } }],
  ["Tunnel", "request", { message: { data: Buffer.from([1, 0, 255]), text: false } }],
  ["Tunnel", "response", { body: { data: Buffer.alloc(0) } }],
  ["Tunnel", "response", { end: {} }],
  ["Tunnel", "response", { request: { request_id: "r", method: "POST", path: "/x" } }],
  ["Tunnel", "response", { watch: { request_id: "w", path: "/api/v1/pods" } }],
  ["Tunnel", "response", { stream: { request_id: "s", path: "/attach", protocols: [] } }],
  ["Tunnel", "response", { message: { data: Buffer.from("ls\n"), text: true } }],
];

Deno.test("each message encodes to the bytes proto-loader writes and decodes as it does", async (t) => {
  const service = clusterAgent().service;
  for (const [name, direction, message] of CASES) {
    await t.step(`${name} ${direction} ${Object.keys(message).join(",") || "{}"}`, () => {
      const ours = service[name as keyof typeof service];
      const ref = referenceService[name];
      const [serialize, deserialize, refSerialize, refDeserialize] = direction === "request"
        ? [
          ours.requestSerialize,
          ours.requestDeserialize,
          ref.requestSerialize,
          ref.requestDeserialize,
        ]
        : [
          ours.responseSerialize,
          ours.responseDeserialize,
          ref.responseSerialize,
          ref.responseDeserialize,
        ];
      const bytes = (serialize as (v: unknown) => Buffer)(message);
      assert.deepEqual(bytes, refSerialize(message));
      assert.deepEqual((deserialize as (b: Buffer) => unknown)(bytes), refDeserialize(bytes));
    });
  }
});

/** Bytes a compromised agent or dashboard may send instead of a message. */
const GARBAGE: [string, Buffer][] = [
  ["a truncated length-delimited field", Buffer.from([0x12, 0x7f, 0x01])],
  ["an unknown field of an invalid wire type", Buffer.from([0x7f, 0x00])],
  ["a varint that never ends", Buffer.alloc(16, 0xff)],
  ["a length beyond the frame", Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f])],
];

Deno.test("garbage frames are refused with an error, as proto-loader refuses them", async (t) => {
  const service = clusterAgent().service;
  for (const [what, bytes] of GARBAGE) {
    await t.step(what, () => {
      for (const name of ["Stream", "Tunnel"] as const) {
        for (const side of ["requestDeserialize", "responseDeserialize"] as const) {
          const ours = service[name][side] as (b: Buffer) => unknown;
          assert.throws(() => referenceService[name][side](bytes), Error, `proto-loader ${name}`);
          assert.throws(() => ours(bytes), Error, `${name} ${side}`);
        }
      }
    });
  }
});
