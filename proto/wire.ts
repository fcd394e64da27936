// The wire helpers shared by the dashboard and the agent (the only code they share): the
// protocol version, the ClusterAgent service built on the static encoders generated from
// agent.proto (proto/gen/agent_pb.js, typed by the generated proto/gen types), and limits both
// sides enforce.
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import generated from "./gen/agent_pb.js";
import type { ClusterAgentClient } from "./gen/agent/v1/ClusterAgent.ts";
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

/**
 * How decoded messages look (proto-loader's options, which the generated types describe): field
 * names as in the .proto, 64-bit integers and enums as strings, bytes as Buffers, unset fields
 * with their defaults, and each oneof's set field named by the oneof.
 */
const DECODE_OPTIONS = {
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
} as const;

/** One generated message class of proto/gen/agent_pb.js, as the codec below uses it. */
interface StaticMessage {
  fromObject(object: unknown): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: typeof DECODE_OPTIONS): unknown;
}

/** The messages of agent.v1, as proto-loader-gen-types describes them. */
type Messages = ProtoGrpcType["agent"]["v1"];
type MessageName = {
  [K in keyof Messages]: Messages[K] extends grpc.ServiceClientConstructor ? never : K;
}[keyof Messages];
/** A message's input type (what may be sent) and output type (what is received). */
type In<K extends MessageName> = Messages[K] extends { serialize: (value: infer I) => Buffer } ? I
  : never;
type Out<K extends MessageName> = Messages[K] extends { deserialize: (bytes: Buffer) => infer O }
  ? O
  : never;

const staticMessages = (generated as unknown as { agent: { v1: Record<string, StaticMessage> } })
  .agent.v1;

function serializer<K extends MessageName>(name: K): (value: In<K>) => Buffer {
  const type = staticMessages[name];
  return (value) => {
    const bytes = type.encode(type.fromObject(value)).finish();
    return Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  };
}

function deserializer<K extends MessageName>(name: K): (bytes: Buffer) => Out<K> {
  const type = staticMessages[name];
  return (bytes) => type.toObject(type.decode(bytes), DECODE_OPTIONS) as Out<K>;
}

/**
 * A method whose messages are sent as In<…> and received as Out<…> (grpc-js's MethodDefinition
 * has one type for both).
 */
type Method<Req extends MessageName, Res extends MessageName> =
  & grpc.ServerMethodDefinition<Out<Req>, In<Res>>
  & { requestSerialize: grpc.serialize<In<Req>>; responseDeserialize: grpc.deserialize<Out<Res>> };

function method<Req extends MessageName, Res extends MessageName>(
  name: string,
  request: Req,
  response: Res,
  streams: boolean,
): Method<Req, Res> {
  return {
    path: `/agent.v1.ClusterAgent/${name}`,
    requestStream: streams,
    responseStream: streams,
    requestSerialize: serializer(request),
    requestDeserialize: deserializer(request),
    responseSerialize: serializer(response),
    responseDeserialize: deserializer(response),
    // As proto-loader names it: grpc-js adds the method to the client under this name too.
    originalName: name[0].toLowerCase() + name.slice(1),
  };
}

/** The ClusterAgent service of agent.proto, as grpc-js servers and clients take it. */
export interface ClusterAgentService extends grpc.ServiceDefinition {
  Register: Method<"RegisterRequest", "RegisterResponse">;
  Stream: Method<"AgentMessage", "DashboardMessage">;
  Tunnel: Method<"TunnelUp", "TunnelDown">;
}

/** The ClusterAgent client class, with its service definition. */
export type ClusterAgentConstructor =
  & (new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options?: grpc.ClientOptions,
  ) => ClusterAgentClient)
  & { service: ClusterAgentService };

let clusterAgentClass: ClusterAgentConstructor | undefined;

/** The ClusterAgent service and its client class, built once per process. */
export function clusterAgent(): ClusterAgentConstructor {
  if (!clusterAgentClass) {
    const service: ClusterAgentService = {
      Register: method("Register", "RegisterRequest", "RegisterResponse", false),
      Stream: method("Stream", "AgentMessage", "DashboardMessage", true),
      Tunnel: method("Tunnel", "TunnelUp", "TunnelDown", true),
    };
    clusterAgentClass = grpc.makeGenericClientConstructor(
      service,
      "ClusterAgent",
    ) as unknown as ClusterAgentConstructor;
  }
  return clusterAgentClass;
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
