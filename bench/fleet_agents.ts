// Load generator for the fleet benchmark, run in its own process: N simulated agents that speak
// the real protocol (Register, Stream with hello and heartbeats both ways, idle Tunnels and
// Tunnels for announced requests, answering each request with a canned body and staying open for
// the next), each on its own TLS connection, reconnecting with the real
// agent's jittered backoff. Reads {target, caPem, tokens} as JSON on stdin; prints one JSON line
// of counters every 500 ms on stdout.
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { clusterAgent, PINNED_SERVER_NAME, PROTOCOL_VERSION } from "../proto/wire.ts";
import type { ClusterAgentClient } from "../proto/gen/agent/v1/ClusterAgent.ts";
import type { DashboardMessage__Output } from "../proto/gen/agent/v1/DashboardMessage.ts";
import type { TunnelDown__Output } from "../proto/gen/agent/v1/TunnelDown.ts";
import { AGENT_CHANNEL_OPTIONS, backoffDelay } from "../agent/dialer.ts";
import { Heartbeat } from "../agent/heartbeat.ts";

interface Input {
  target: string;
  caPem: string;
  tokens: string[];
}

const input = JSON.parse(await new Response(Deno.stdin.readable).text()) as Input;
const Client = clusterAgent();
const creds = grpc.credentials.createSsl(Buffer.from(input.caPem));
const counters = {
  registered: 0,
  connected: 0,
  requests: 0,
  errors: 0,
  reconnects: 0,
  /** Streams that ended with an error, by gRPC status name (RESOURCE_EXHAUSTED, …). */
  stream_errors: {} as Record<string, number>,
};
const body = Buffer.from(
  JSON.stringify({
    kind: "ConfigMap",
    apiVersion: "v1",
    metadata: { name: "canned" },
    data: { a: "b" },
  }),
);

function newClient(): ClusterAgentClient {
  return new Client(input.target, creds, {
    ...AGENT_CHANNEL_OPTIONS,
    "grpc.ssl_target_name_override": PINNED_SERVER_NAME,
    // Its own connection, as a real agent (a process of its own) has: grpc-js otherwise shares
    // one connection among all channels with the same target, options and credentials, and the
    // whole generator would be one TCP connection (one replica behind a balancer).
    "grpc.use_local_subchannel_pool": 1,
  }) as unknown as ClusterAgentClient;
}

async function register(client: ClusterAgentClient, token: string): Promise<string> {
  for (let attempt = 0;; attempt++) {
    try {
      return await new Promise<string>((resolve, reject) =>
        client.Register(
          { token, protocol_version: PROTOCOL_VERSION, agent_version: "fleet-sim" },
          (err, r) => err ? reject(err) : resolve(r!.credential),
        )
      );
    } catch (err) {
      if ((err as grpc.ServiceError).code === grpc.status.PERMISSION_DENIED) throw err;
      await new Promise((r) => setTimeout(r, backoffDelay(attempt)));
    }
  }
}

/**
 * One tunnel: answers every request on it with the canned body and stays open for the next, as
 * the real agent's idle tunnels do. With a request id it answers that announced request first.
 */
function tunnel(client: ClusterAgentClient, sessionToken: string, requestId: string): void {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${sessionToken}`);
  const call = client.Tunnel(md);
  const answer = () => {
    call.write({
      response: {
        status: 200,
        headers: [{ name: "content-type", value: "application/json" }],
        body,
        complete: true,
      },
    });
    counters.requests++;
  };
  call.on("error", () => counters.errors++);
  call.on("end", () => call.end());
  call.on("data", (f: TunnelDown__Output) => {
    if (f.request) answer();
  });
  call.write({ open: { request_id: requestId } });
  if (requestId) answer();
}

/** Registers, then keeps the agent's stream up in the background. */
async function startAgent(token: string): Promise<void> {
  const client = newClient();
  const credential = await register(client, token);
  counters.registered++;
  streamForever(client, credential).catch(() => counters.errors++);
}

async function streamForever(client: ClusterAgentClient, credential: string): Promise<void> {
  for (let attempt = 0;;) {
    const accepted = await new Promise<boolean>((resolve) => {
      const md = new grpc.Metadata();
      md.set("authorization", `Bearer ${credential}`);
      const call = client.Stream(md);
      let session = "";
      let connected = false;
      const hb = new Heartbeat((ping) => call.write({ ping }), () => call.cancel());
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        hb.stop();
        if (connected) counters.connected--;
        resolve(connected);
      };
      call.on("data", (m: DashboardMessage__Output) => {
        hb.heard();
        if (m.accepted) {
          session = m.accepted.session_token;
          connected = true;
          counters.connected++;
          hb.start(m.accepted.heartbeat_interval_ms);
          for (let i = 0; i < m.accepted.idle_tunnels; i++) tunnel(client, session, "");
        } else if (m.ping) {
          call.write({ pong: { seq: m.ping.seq, ping_sent_at_ms: m.ping.sent_at_ms } });
        } else if (m.pong) hb.pings.pong(m.pong.seq);
        else if (m.k8s_request) tunnel(client, session, m.k8s_request.request_id);
      });
      call.on("error", (err: grpc.ServiceError) => {
        const name = grpc.status[err.code] ?? String(err.code);
        counters.stream_errors[name] = (counters.stream_errors[name] ?? 0) + 1;
        done();
      });
      call.on("end", done);
      call.write({ hello: { protocol_version: PROTOCOL_VERSION, agent_version: "fleet-sim" } });
    });
    // As the agent does: a stream that was accepted restarts the backoff.
    attempt = accepted ? 1 : attempt + 1;
    counters.reconnects++;
    await new Promise((r) => setTimeout(r, backoffDelay(attempt)));
  }
}

const timer = setInterval(() => console.log(JSON.stringify(counters)), 500);
// Register 32 at a time so the dashboard's database is not the subject.
const queue = [...input.tokens];
await Promise.all(Array.from({ length: 32 }, async () => {
  for (let t = queue.shift(); t; t = queue.shift()) {
    await startAgent(t).catch(() => counters.errors++);
  }
}));
addEventListener("unload", () => clearInterval(timer));
