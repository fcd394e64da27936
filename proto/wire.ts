// The wire helpers shared by the dashboard and the agent (the only code they share): the
// protocol version, loading agent.proto with proto-loader (typed by the generated proto/gen),
// and limits both sides enforce.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { Buffer } from "node:buffer";
import type { ProtoGrpcType } from "./gen/agent.ts";

/**
 * The protocol this code speaks. The dashboard accepts agents from MIN_PROTOCOL_VERSION up to
 * it (an older agent keeps working without what later versions added); v2 added upgraded
 * streams (exec, attach, port-forward).
 */
export const PROTOCOL_VERSION = 2;
/** The oldest agent protocol the dashboard still accepts. */
export const MIN_PROTOCOL_VERSION = 1;
/** The first protocol version with upgraded streams (StreamStart, StreamMessage). */
export const STREAMS_PROTOCOL_VERSION = 2;

/** Whether the dashboard accepts an agent speaking this protocol version. */
export function acceptsProtocol(version: number): boolean {
  return version >= MIN_PROTOCOL_VERSION && version <= PROTOCOL_VERSION;
}

/**
 * Largest gRPC message either side accepts. Bodies travel in chunks far below it; one watch
 * event is one message, and the agent accepts event lines up to 16 MiB.
 */
export const MAX_MESSAGE_BYTES = 17 * 1024 * 1024;
/** Size of the body chunks the agent and dashboard write. */
export const CHUNK_BYTES = 64 * 1024;

export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

let loaded: ProtoGrpcType | undefined;

/** The agent.v1 package, loaded once per process. */
export function agentProto(): ProtoGrpcType {
  if (!loaded) {
    const file = fileURLToPath(new URL("./agent/v1/agent.proto", import.meta.url));
    const def = protoLoader.loadSync(file, PROTO_LOADER_OPTIONS);
    loaded = grpc.loadPackageDefinition(def) as unknown as ProtoGrpcType;
  }
  return loaded;
}

/** Channel options for keepalive and message limits, shared by both ends. */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
};

/** The DNS name in every certificate the dashboard mints for its agent endpoint. */
export const PINNED_SERVER_NAME = "agent-endpoint.kube-dashboard.internal";

/** The sha256:<hex> pin of a PEM certificate (of its DER bytes), as install commands carry it. */
export async function certificateHash(pem: string): Promise<string> {
  const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return "sha256:" + Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
