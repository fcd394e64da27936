// A raw gRPC client of the dashboard's agent endpoint, for tests that play the agent (or a buggy
// or hostile one): Register, and bidirectional calls whose frames may be messages or raw bytes.
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { clusterAgent, PINNED_SERVER_NAME, PROTOCOL_VERSION } from "../proto/wire.ts";
import type { ClusterAgentClient } from "../proto/gen/agent/v1/ClusterAgent.ts";
import type { AgentMessage } from "../proto/gen/agent/v1/AgentMessage.ts";
import type { TunnelUp } from "../proto/gen/agent/v1/TunnelUp.ts";

export interface RpcStatus {
  code: grpc.status;
  details: string;
}

/** A client of the agent endpoint at addr: TLS trusting caPem, or plaintext when it is null. */
export function rawClient(addr: string, caPem: string | null): ClusterAgentClient {
  const Client = clusterAgent();
  const creds = caPem === null
    ? grpc.credentials.createInsecure()
    : grpc.credentials.createSsl(Buffer.from(caPem));
  return new Client(addr, creds, {
    "grpc.ssl_target_name_override": PINNED_SERVER_NAME,
  }) as unknown as ClusterAgentClient;
}

export function register(
  client: ClusterAgentClient,
  token: string,
  protocolVersion = PROTOCOL_VERSION,
): Promise<RpcStatus & { credential?: string; clusterId?: string }> {
  return new Promise((resolve) =>
    client.Register(
      { token, protocol_version: protocolVersion, agent_version: "raw-test" },
      { deadline: Date.now() + 60_000 },
      (err, res) =>
        resolve(
          err ? { code: err.code, details: err.details } : {
            code: grpc.status.OK,
            details: "",
            credential: res!.credential,
            clusterId: res!.cluster_id,
          },
        ),
    )
  );
}

/** A bidirectional call whose frames may be messages or raw (possibly invalid) bytes. */
export function rawCall<Out>(
  client: ClusterAgentClient,
  method: "Stream" | "Tunnel",
  bearer: string,
) {
  const def = clusterAgent().service[method];
  const md = new grpc.Metadata();
  if (bearer) md.set("authorization", `Bearer ${bearer}`);
  const call = client.makeBidiStreamRequest(
    def.path,
    // deno-lint-ignore no-explicit-any
    (m: any) => Buffer.isBuffer(m) ? m : (def.requestSerialize as (v: unknown) => Buffer)(m),
    (b: Buffer) => (def.responseDeserialize as (b: Buffer) => Out)(b),
    md,
  );
  const received: Out[] = [];
  let wake: (() => void) | undefined;
  call.on("data", (m: Out) => {
    received.push(m);
    wake?.();
  });
  call.on("error", () => {});
  const status = new Promise<RpcStatus>((resolve) =>
    call.on("status", (s: grpc.StatusObject) => {
      wake?.();
      resolve({ code: s.code, details: s.details });
    })
  );
  let ended: RpcStatus | undefined;
  status.then((s) => ended = s);
  return {
    call,
    received,
    status,
    write: (m: AgentMessage | TunnelUp | Buffer) => call.write(m),
    /** The first received message matching pred (waits for it). */
    async waitFor(pred: (m: Out) => boolean, timeoutMs = 5_000): Promise<Out> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const m = received.find(pred);
        if (m) return m;
        if (ended) {
          throw new Error(`call ended (${ended.code} ${ended.details}) before the message`);
        }
        if (Date.now() > until) throw new Error("no such message in time");
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    },
  };
}

export const hello = (extra: Partial<NonNullable<AgentMessage["hello"]>> = {}): AgentMessage => ({
  hello: { protocol_version: PROTOCOL_VERSION, agent_version: "raw-test", ...extra },
});
