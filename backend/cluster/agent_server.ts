// The dashboard's gRPC server for agents (service agent.v1.ClusterAgent) on GRPC_ADDR:
// Register exchanges a registration token for a cluster credential; Stream authenticates that
// credential and runs the control stream; Tunnel carries requests, one at a time, each on an
// HTTP/2 stream of its own while it runs (idle tunnels go to the hub's pool).
// TLS by default; keepalive enforcement, message-size limits (a Register has its own, small
// one), a bound on unauthenticated calls per remote address, and a graceful stop.
import * as grpc from "@grpc/grpc-js";
import { agentProto, CHANNEL_OPTIONS, PROTOCOL_VERSION } from "../../proto/wire.ts";
import type { ClusterAgentHandlers } from "../../proto/gen/agent/v1/ClusterAgent.ts";
import type { AgentMessage__Output } from "../../proto/gen/agent/v1/AgentMessage.ts";
import type { TunnelUp__Output } from "../../proto/gen/agent/v1/TunnelUp.ts";
import { Buffer } from "node:buffer";
import type { Http2Server, Http2Session } from "node:http2";
import { type AgentRegistry, RegistrationError } from "./agent_registry.ts";
import { type AgentHub, AgentSession, TakeoverRefusedError, toClusterInfo } from "./agent_hub.ts";
import type { ServerTls } from "../tls.ts";
import { log } from "../../proto/log.ts";

export interface StreamTimeouts {
  /** How long an agent has to send its hello (and a tunnel its open frame). */
  helloMs: number;
  /**
   * How long the dashboard may take, after the hello, to check the credential and attach the
   * stream. When 10,000 agents reconnect at once these database steps queue; that wait is the
   * dashboard's, so it does not count against the agent's hello deadline.
   */
  setupMs: number;
}

export const STREAM_TIMEOUTS: StreamTimeouts = { helloMs: 10_000, setupMs: 60_000 };

/**
 * The largest Register request: a token (at most 4096 characters), versions, and a ClusterInfo
 * the dashboard ignores there (agents send it without names). Larger ones are refused with
 * RESOURCE_EXHAUSTED from their length prefix, before they are read (registerSizeInterceptor).
 */
export const REGISTER_MAX_BYTES = 64 * 1024;
/**
 * Calls not yet authenticated (a Register being checked, a Stream before its hello's credential
 * is accepted) per remote address; more get RESOURCE_EXHAUSTED at once.
 */
export const MAX_UNAUTHENTICATED_PER_ADDRESS = 128;
const REGISTER_PATH = "/agent.v1.ClusterAgent/Register";

/** The remote address of a call without its port ("10.0.0.1:5000" -> "10.0.0.1"). */
export function peerAddress(peer: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(peer);
  if (bracketed) return bracketed[1];
  return peer.replace(/:\d+$/, "");
}

/** Counts calls in flight per remote address, up to a limit. */
export class AddressGate {
  private readonly counts = new Map<string, number>();
  constructor(readonly limit: number) {}

  /** A release function, or null when the address already has `limit` calls in flight. */
  acquire(address: string): (() => void) | null {
    const n = this.counts.get(address) ?? 0;
    if (n >= this.limit) return null;
    this.counts.set(address, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(address) ?? 1) - 1;
      if (left > 0) this.counts.set(address, left);
      else this.counts.delete(address);
    };
  }

  inFlight(address: string): number {
    return this.counts.get(address) ?? 0;
  }
}

const tooManyCalls = (address: string) =>
  `too many unauthenticated agent calls from ${address} (at most ${MAX_UNAUTHENTICATED_PER_ADDRESS} at a time); retry with backoff`;

interface DecoderInternals {
  decoder?: { maxReadMessageLength?: unknown };
}

/** Whether registerSizeInterceptor could lower the decoder's limit (else the handler checks). */
let registerLimitedEarly = false;
let warnedInternals = false;

/**
 * Lowers the message-size limit of Register calls to REGISTER_MAX_BYTES. grpc-js has only a
 * per-server limit (the Tunnel needs 17 MiB); its decoder refuses a message from its length
 * prefix, before reading it, with RESOURCE_EXHAUSTED. The limit is set through grpc-js
 * internals; if those change, a warning is logged and the Register handler refuses oversized
 * requests itself, after reading them.
 */
export const registerSizeInterceptor: grpc.ServerInterceptor = (method, call) => {
  if (method.path === REGISTER_PATH) {
    const decoder = (call as unknown as DecoderInternals).decoder;
    if (decoder && typeof decoder.maxReadMessageLength === "number") {
      decoder.maxReadMessageLength = REGISTER_MAX_BYTES;
      registerLimitedEarly = true;
    } else {
      registerLimitedEarly = false;
      if (!warnedInternals) {
        warnedInternals = true;
        log.warn("grpc-js internals changed: oversized Register requests are read before refusal");
      }
    }
  }
  return new grpc.ServerInterceptingCall(call);
};

const seconds = (ms: number) => `${ms / 1000} s`;

function bearer(metadata: grpc.Metadata): string {
  const v = metadata.get("authorization")[0];
  const m = typeof v === "string" ? /^Bearer (\S+)$/.exec(v) : null;
  return m ? m[1] : "";
}

function fail(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

export function agentHandlers(
  registry: AgentRegistry,
  hub: AgentHub,
  timeouts: StreamTimeouts = STREAM_TIMEOUTS,
): ClusterAgentHandlers {
  const unauthenticated = new AddressGate(MAX_UNAUTHENTICATED_PER_ADDRESS);
  const registerSerialize = agentProto().agent.v1.ClusterAgent.service.Register
    .requestSerialize as (req: unknown) => Buffer;
  return {
    Register(call, reply) {
      const req = call.request;
      if (!registerLimitedEarly && registerSerialize(req).length > REGISTER_MAX_BYTES) {
        return reply(fail(
          grpc.status.RESOURCE_EXHAUSTED,
          `a Register request is limited to ${REGISTER_MAX_BYTES} bytes`,
        ));
      }
      const address = peerAddress(call.getPeer());
      const release = unauthenticated.acquire(address);
      if (!release) return reply(fail(grpc.status.RESOURCE_EXHAUSTED, tooManyCalls(address)));
      // Every answer below ends this call's unauthenticated slot.
      const callback: typeof reply = (err, res) => {
        release();
        reply(err, res);
      };
      if (req.protocol_version !== PROTOCOL_VERSION) {
        return callback(fail(
          grpc.status.FAILED_PRECONDITION,
          `agent protocol v${req.protocol_version} is not supported by this dashboard (v${PROTOCOL_VERSION}); install the matching agent version`,
        ));
      }
      if (typeof req.token !== "string" || req.token.length > 4096) {
        return callback(fail(grpc.status.INVALID_ARGUMENT, "token is missing or too long"));
      }
      registry.register(req.token).then(
        ({ cluster, credential }) => {
          log.info("agent registered", {
            cluster: cluster.name,
            cluster_id: cluster.id,
            agent_version: req.agent_version,
          });
          callback(null, { cluster_id: cluster.id, cluster_name: cluster.name, credential });
        },
        (err) => {
          if (err instanceof RegistrationError) {
            callback(fail(grpc.status.PERMISSION_DENIED, err.message));
          } else {
            log.error("agent registration failed", { err });
            callback(
              fail(grpc.status.INTERNAL, "registration failed on the dashboard; see its logs"),
            );
          }
        },
      );
    },

    Stream(call) {
      const address = peerAddress(call.getPeer());
      const release = unauthenticated.acquire(address);
      if (!release) {
        call.emit("error", fail(grpc.status.RESOURCE_EXHAUSTED, tooManyCalls(address)));
        return;
      }
      let session: AgentSession | undefined;
      // The hello's deadline, then (once the hello is in) the dashboard's own set-up bound.
      let deadline = setTimeout(() => {
        call.emit(
          "error",
          fail(grpc.status.DEADLINE_EXCEEDED, `no hello within ${seconds(timeouts.helloMs)}`),
        );
      }, timeouts.helloMs);
      const authenticated = registry.clusterForCredential(bearer(call.metadata));
      const end = (reason: string) => {
        clearTimeout(deadline);
        release();
        if (session) {
          hub.detach(session, reason);
          session.close(reason, true);
        }
      };
      call.on("error", (err) => end(`stream error: ${err.message}`));
      call.on("cancelled", () => end("agent went away"));
      call.on("end", () => {
        end("agent closed the stream");
        call.end();
      });
      call.on("data", (msg: AgentMessage__Output) => {
        if (session) {
          session.heard();
          switch (msg.msg) {
            case "ping":
              session.send({ pong: { seq: msg.ping!.seq, ping_sent_at_ms: msg.ping!.sent_at_ms } });
              session.pings.reported(msg.ping!.last_rtt_ms);
              break;
            case "pong":
              session.pings.pong(msg.pong!.seq);
              break;
            case "cluster_info": {
              const info = toClusterInfo(msg.cluster_info);
              if (info) {
                hub.updateInfo(session, info).catch((err) =>
                  log.warn("could not store cluster info", { err })
                );
              }
              break;
            }
            case "tunnel_refused":
              hub.refuse(
                session,
                msg.tunnel_refused!.request_id,
                msg.tunnel_refused!.http_status || 503,
                msg.tunnel_refused!.message,
              );
              break;
            default:
              log.warn("unexpected message on agent stream", {
                cluster: session.clusterName,
                message: msg.msg ?? "empty",
              });
          }
          return;
        }
        if (msg.msg !== "hello") {
          call.emit(
            "error",
            fail(grpc.status.FAILED_PRECONDITION, "the first message must be hello"),
          );
          return;
        }
        const hello = msg.hello!;
        if (hello.protocol_version !== PROTOCOL_VERSION) {
          call.emit(
            "error",
            fail(
              grpc.status.FAILED_PRECONDITION,
              `agent protocol v${hello.protocol_version} is not supported by this dashboard (v${PROTOCOL_VERSION}); upgrade the agent`,
            ),
          );
          return;
        }
        call.pause();
        clearTimeout(deadline);
        deadline = setTimeout(() => {
          log.warn("agent stream set-up timed out; is the database slow or overloaded?", {
            setup_ms: timeouts.setupMs,
            cluster: session?.clusterName,
          });
          call.emit(
            "error",
            fail(
              grpc.status.UNAVAILABLE,
              `the dashboard is busy: stream setup took over ${seconds(timeouts.setupMs)}`,
            ),
          );
        }, timeouts.setupMs);
        authenticated.then(async (cluster) => {
          if (!cluster) {
            call.emit(
              "error",
              fail(
                grpc.status.UNAUTHENTICATED,
                "the agent credential is not valid: the cluster was deleted or its credential revoked; reinstall the agent with a new token",
              ),
            );
            return;
          }
          if (call.cancelled || call.destroyed) return;
          const candidate = new AgentSession(
            cluster.id,
            cluster.name,
            hello.agent_version.slice(0, 64),
            call,
          );
          session = candidate;
          try {
            await hub.attach(candidate, toClusterInfo(hello.cluster_info));
          } catch (err) {
            if (!(err instanceof TakeoverRefusedError)) throw err;
            // The live session stays; this stream never had one.
            session = undefined;
            clearTimeout(deadline);
            call.emit("error", fail(grpc.status.ALREADY_EXISTS, err.message));
            return;
          }
          // Ended while attaching (the set-up bound, the agent gone): end() has detached it.
          if (call.cancelled || call.destroyed) return;
          clearTimeout(deadline);
          release();
          session.send({
            accepted: {
              cluster_id: cluster.id,
              cluster_name: cluster.name,
              session_token: session.sessionToken,
              heartbeat_interval_ms: hub.opts.heartbeatMs,
              max_concurrent_requests: hub.opts.maxInFlight,
              idle_tunnels: hub.opts.idleTunnels,
              max_idle_tunnels: hub.opts.maxIdleTunnels,
            },
          });
          log.info("agent connected", {
            cluster: cluster.name,
            agent_version: session.agentVersion,
          });
          call.resume();
        }).catch((err) => {
          log.error("agent stream setup failed", { err });
          call.emit(
            "error",
            fail(grpc.status.INTERNAL, "stream setup failed on the dashboard; see its logs"),
          );
        });
      });
    },

    Tunnel(call) {
      const session = hub.sessionByToken(bearer(call.metadata));
      if (!session) {
        call.emit("error", fail(grpc.status.UNAUTHENTICATED, "unknown or expired session"));
        return;
      }
      const frames = call[Symbol.asyncIterator]() as AsyncIterator<TunnelUp__Output>;
      const timer = setTimeout(
        () => call.emit("error", fail(grpc.status.DEADLINE_EXCEEDED, "no open frame")),
        timeouts.helloMs,
      );
      frames.next().then((first) => {
        clearTimeout(timer);
        const open = first.done ? undefined : first.value.open;
        if (open?.request_id === "") {
          hub.offerIdle(session, { call, frames });
          return;
        }
        if (!hub.claimTunnel(session, open?.request_id ?? "", { call, frames })) {
          call.emit(
            "error",
            fail(grpc.status.NOT_FOUND, "no pending request with that id (cancelled or timed out)"),
          );
        }
      }, () => clearTimeout(timer));
    },
  };
}

export interface AgentServer {
  port: number;
  stop(): Promise<void>;
}

/** HTTP/2 receive window per tunnel: what one request may have in flight towards the dashboard. */
export const STREAM_WINDOW_BYTES = 1024 * 1024;
/** HTTP/2 receive window per agent connection, shared by its tunnels. */
export const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;

interface GrpcServerInternals {
  commonServerOptions?: { settings?: Record<string, unknown> };
  createHttp2Server?: (credentials: unknown) => Http2Server;
}

/**
 * Widens the HTTP/2 flow-control windows the agents may fill. grpc-js has a client option for
 * this (grpc-node.flow_control_window) but none for servers, and with the 64 KiB default a
 * tunnel moves one window per round trip through both event loops (~16 MB/s for a LIST). The
 * settings are applied through grpc-js internals; if those change, a warning is logged and the
 * server runs with the defaults.
 */
export function widenFlowControl(server: grpc.Server): boolean {
  const internals = server as unknown as GrpcServerInternals;
  const create = internals.createHttp2Server?.bind(server);
  if (!internals.commonServerOptions || !create) {
    log.warn("grpc-js internals changed: agent tunnels run with 64 KiB flow-control windows");
    return false;
  }
  internals.commonServerOptions.settings = {
    ...internals.commonServerOptions.settings,
    initialWindowSize: STREAM_WINDOW_BYTES,
  };
  internals.createHttp2Server = (credentials) => {
    const http2Server = create(credentials);
    http2Server.on("session", (session: Http2Session) => {
      try {
        session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
      } catch (err) {
        log.warn("could not widen an agent connection's flow-control window", { err });
      }
    });
    return http2Server;
  };
  return true;
}

export async function startAgentServer(
  opts: { hostname: string; port: number; tls: ServerTls | null },
  handlers: ClusterAgentHandlers,
): Promise<AgentServer> {
  const server = new grpc.Server({
    ...CHANNEL_OPTIONS,
    interceptors: [registerSizeInterceptor],
    // Pings only reap connections of agents that vanished silently (the heartbeat deadline has
    // already marked them offline), so every 2 minutes suffices; at 10,000 agents pinging every
    // 30 s cost ~1.5 points of a core (docs/benchmarks.md).
    "grpc.keepalive_time_ms": 120_000,
    "grpc.keepalive_timeout_ms": 10_000,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 10_000,
  });
  widenFlowControl(server);
  server.addService(agentProto().agent.v1.ClusterAgent.service, handlers);
  const creds = opts.tls
    // rootCerts is only used to verify client certificates (not requested). Passing our CA
    // instead of null avoids loading the system roots, which Deno's TLS server rejects.
    ? grpc.ServerCredentials.createSsl(Buffer.from(opts.tls.caPem), [{
      cert_chain: Buffer.from(opts.tls.certPem),
      private_key: Buffer.from(opts.tls.keyPem),
    }], false)
    : grpc.ServerCredentials.createInsecure();
  const host = opts.hostname.includes(":") ? `[${opts.hostname}]` : opts.hostname;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${opts.port}`, creds, (err, p) => err ? reject(err) : resolve(p))
  );
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
