// The dashboard's gRPC service for agents (agent.v1.ClusterAgent; grpc_transport.ts serves it):
// Register exchanges a registration token for a cluster credential; Stream authenticates that
// credential and runs the control stream; Tunnel carries requests, one at a time, each on an
// HTTP/2 stream of its own while it runs (idle tunnel lines go to the hub's pool). Calls not yet
// authenticated are bounded per remote address.
import * as grpc from "@grpc/grpc-js";
import {
  acceptsProtocol,
  clusterAgent,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
} from "../../proto/wire.ts";
import type { ClusterAgentHandlers } from "../../proto/gen/agent/v1/ClusterAgent.ts";
import type { AgentMessage__Output } from "../../proto/gen/agent/v1/AgentMessage.ts";
import type { TunnelUp__Output } from "../../proto/gen/agent/v1/TunnelUp.ts";
import { Buffer } from "node:buffer";
import { type AgentRegistry, RegistrationError } from "./registry.ts";
import type { AgentHub } from "./hub.ts";
import { AttachRefusedError } from "./errors.ts";
import { AgentSession } from "./sessions.ts";
import { toClusterInfo } from "./cluster_info.ts";
import { answerPing, takePong } from "./liveness.ts";
import { REGISTER_MAX_BYTES, registerLimitedEarly } from "./grpc_transport.ts";
import { log } from "../../common/log.ts";

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
 * Calls not yet authenticated (a Register being checked, a Stream before its hello's credential
 * is accepted) per remote address; more get RESOURCE_EXHAUSTED at once.
 */
export const MAX_UNAUTHENTICATED_PER_ADDRESS = 128;

/** The remote address of a call without its port ("10.0.0.1:5000" -> "10.0.0.1"). */
function peerAddress(peer: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(peer);
  if (bracketed) return bracketed[1];
  return peer.replace(/:\d+$/, "");
}

/** Counts calls in flight per remote address, up to a limit. */
class AddressGate {
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
  const registerSerialize = clusterAgent().service.Register
    .requestSerialize as (req: unknown) => Buffer;
  return {
    Register(call, reply) {
      const req = call.request;
      if (!registerLimitedEarly() && registerSerialize(req).length > REGISTER_MAX_BYTES) {
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
      if (!acceptsProtocol(req.protocol_version)) {
        return callback(fail(
          grpc.status.FAILED_PRECONDITION,
          `agent protocol v${req.protocol_version} is not supported by this dashboard (v${MIN_PROTOCOL_VERSION} to v${PROTOCOL_VERSION}); install the matching agent version`,
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
              answerPing(session, msg.ping!);
              break;
            case "pong":
              takePong(session, msg.pong!);
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
        if (!acceptsProtocol(hello.protocol_version)) {
          call.emit(
            "error",
            fail(
              grpc.status.FAILED_PRECONDITION,
              `agent protocol v${hello.protocol_version} is not supported by this dashboard (v${MIN_PROTOCOL_VERSION} to v${PROTOCOL_VERSION}); upgrade the agent`,
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
            hello.protocol_version,
          );
          session = candidate;
          try {
            await hub.attach(candidate, toClusterInfo(hello.cluster_info));
          } catch (err) {
            if (!(err instanceof AttachRefusedError)) throw err;
            // The live session stays; this stream never had one.
            session = undefined;
            clearTimeout(deadline);
            call.emit("error", fail(err.grpcCode, err.message));
            return;
          }
          // Ended while attaching (the set-up bound, the agent gone): end() has detached it.
          if (call.cancelled || call.destroyed) return;
          clearTimeout(deadline);
          release();
          // Requests that found the session while it was being attached wait for this.
          session.accept({
            cluster_id: cluster.id,
            cluster_name: cluster.name,
            session_token: session.sessionToken,
            heartbeat_interval_ms: hub.opts.heartbeatMs,
            max_concurrent_requests: hub.opts.maxInFlight,
            idle_tunnels: hub.opts.idleTunnels,
            max_idle_tunnels: hub.opts.maxIdleTunnels,
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
