// The gRPC server agents dial (GRPC_ADDR) as a transport: TLS or not, keepalive enforcement,
// the message-size limits (a Register has its own, small one, enforced from its length prefix),
// HTTP/2 flow-control windows wide enough for tunnels, and a graceful stop. The service it
// serves is grpc_server.ts's.
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import type { Http2Server, Http2Session } from "node:http2";
import { CHANNEL_OPTIONS, clusterAgent } from "../../proto/wire.ts";
import type { ClusterAgentHandlers } from "../../proto/gen/agent/v1/ClusterAgent.ts";
import type { ServerTls } from "../tls.ts";
import { log } from "../../common/log.ts";

/**
 * The largest Register request: a token (at most 4096 characters), versions, and a ClusterInfo
 * the dashboard ignores there (agents send it without names). Larger ones are refused with
 * RESOURCE_EXHAUSTED from their length prefix, before they are read (registerSizeInterceptor).
 */
export const REGISTER_MAX_BYTES = 64 * 1024;
const REGISTER_PATH = "/agent.v1.ClusterAgent/Register";

interface DecoderInternals {
  decoder?: { maxReadMessageLength?: unknown };
}

let limitedEarly = false;
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
      limitedEarly = true;
    } else {
      limitedEarly = false;
      if (!warnedInternals) {
        warnedInternals = true;
        log.warn("grpc-js internals changed: oversized Register requests are read before refusal");
      }
    }
  }
  return new grpc.ServerInterceptingCall(call);
};

/** Whether registerSizeInterceptor could lower the decoder's limit (else the handler checks). */
export function registerLimitedEarly(): boolean {
  return limitedEarly;
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

let bindLogFiltered = false;

/**
 * grpc-js logs a failed bind itself ("E No address added out of total 1 resolved") before
 * bindAsync reports the same failure, which the dashboard turns into one configuration error
 * line; that log line is dropped. Everything else grpc-js logs is written as its default logger
 * writes it.
 */
function filterBindFailureLog(): void {
  if (bindLogFiltered) return;
  bindLogFiltered = true;
  grpc.setLogger({
    error: (message?: unknown, ...rest: unknown[]) => {
      if (!String(message).startsWith("No address added out of total")) {
        console.error(`E ${message}`, ...rest);
      }
    },
    info: (message?: unknown, ...rest: unknown[]) => console.error(`I ${message}`, ...rest),
    debug: (message?: unknown, ...rest: unknown[]) => console.error(`D ${message}`, ...rest),
  });
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
  server.addService(clusterAgent().service, handlers);
  const creds = opts.tls
    // rootCerts is only used to verify client certificates (not requested). Passing our CA
    // instead of null avoids loading the system roots, which Deno's TLS server rejects.
    ? grpc.ServerCredentials.createSsl(Buffer.from(opts.tls.caPem), [{
      cert_chain: Buffer.from(opts.tls.certPem),
      private_key: Buffer.from(opts.tls.keyPem),
    }], false)
    : grpc.ServerCredentials.createInsecure();
  const host = opts.hostname.includes(":") ? `[${opts.hostname}]` : opts.hostname;
  filterBindFailureLog();
  // A failed bind rejects with grpc-js's "No address added out of total 1 resolved errors:
  // [listen EADDRINUSE: …]", which the caller turns into a configuration error.
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${opts.port}`, creds, (err, p) => {
      if (!err) return resolve(p);
      server.forceShutdown();
      reject(err);
    })
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
