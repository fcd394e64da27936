// The replica side of peers.ts: calls under /internal/replicas/ from the other replicas, served
// before the app (no session, no CSRF rule, no audit: the caller already decided who may do what
// and as whom, and recorded it). Each call must carry the peer secret. A forwarded request or
// stream is carried on this replica's own agent session only (fetchHere/streamHere), never
// forwarded again.
import { log } from "../../common/log.ts";
import { AgentUnavailableError, TunnelRefusedError } from "../agents/errors.ts";
import type { AgentHub } from "../agents/hub.ts";
import { CLUSTER_BASE, StreamRefusedError } from "../cluster/client.ts";
import { relay } from "../cluster/stream_relay.ts";
import { offeredProtocols } from "../cluster/stream_proxy.ts";
import type { ReadGate } from "../http/tls_front.ts";
import {
  isPeerAuthorized,
  parsePeerPath,
  PEER_BODY,
  PEER_METHOD,
  PEER_PATH,
  peerErrorResponse,
} from "./peer_protocol.ts";

/** Headers of a peer call that are not the forwarded request's. */
const CALL_HEADERS = new Set([
  "authorization",
  "host",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
  "upgrade",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
  PEER_METHOD,
  PEER_PATH,
  PEER_BODY,
]);
/** The methods a forwarded request may have (the proxy's). */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export interface PeerRouteOptions {
  hub: AgentHub;
  /** The shared peer secret. */
  secret: string;
  /** Idle bound of a forwarded upgraded stream (STREAM_IDLE_TIMEOUT_MINUTES). */
  streamIdleMs: number;
  /** Aborted when the dashboard stops: forwarded streams end. */
  shutdown: AbortSignal;
}

/** Whether a request is a peer call (served by peerHandler, not the app). */
export function isPeerCall(pathname: string): boolean {
  return pathname.startsWith("/internal/replicas/");
}

/** Serves one peer call. */
export function peerHandler(
  opts: PeerRouteOptions,
): (req: Request, gate?: ReadGate) => Promise<Response> {
  return async (req, gate) => {
    const url = new URL(req.url);
    const target = parsePeerPath(url.pathname);
    if (!target) return text(404, "no such replica call");
    if (!isPeerAuthorized(req.headers.get("authorization"), opts.secret)) {
      return text(401, "replica calls need the peer secret of this dashboard's ENCRYPTION_KEY");
    }
    const { clusterId, action } = target;
    try {
      switch (action) {
        case "fetch":
          return await forwardedFetch(opts.hub, clusterId, req);
        case "stream":
          return await forwardedStream(opts, clusterId, req, gate);
        case "probe":
          return Response.json({ alive: await opts.hub.probe(clusterId) });
        case "disconnect": {
          const reason = req.headers.get(PEER_PATH) || "the agent credential was rotated";
          opts.hub.disconnect(clusterId, reason);
          return new Response(null, { status: 204 });
        }
      }
    } catch (err) {
      if (err instanceof AgentUnavailableError || err instanceof TunnelRefusedError) {
        return peerErrorResponse(err);
      }
      log.warn("a replica call failed", { action, cluster: clusterId, err });
      return peerErrorResponse(
        new AgentUnavailableError(`agent offline: ${(err as Error).message}`),
      );
    }
  };
}

/** The forwarded request's own headers. */
function forwardedHeaders(req: Request): Headers {
  const out = new Headers();
  req.headers.forEach((value, name) => {
    if (!CALL_HEADERS.has(name)) out.append(name, value);
  });
  return out;
}

/** The forwarded request's path and query on the cluster. */
function forwardedPath(req: Request): string {
  const path = req.headers.get(PEER_PATH) ?? "";
  if (!path.startsWith("/")) {
    throw new TunnelRefusedError(400, "a forwarded request needs its path");
  }
  return path;
}

async function forwardedFetch(hub: AgentHub, clusterId: string, req: Request): Promise<Response> {
  const method = req.headers.get(PEER_METHOD) ?? "";
  if (req.method !== "POST" || !METHODS.has(method)) {
    throw new TunnelRefusedError(400, `a forwarded request cannot have method ${method}`);
  }
  const inner = new Request(CLUSTER_BASE + forwardedPath(req), {
    method,
    headers: forwardedHeaders(req),
    body: req.headers.get(PEER_BODY) === "1" ? req.body : null,
    signal: req.signal,
  });
  const res = await hub.fetchHere(clusterId, inner);
  const headers = new Headers(res.headers);
  for (const h of ["connection", "keep-alive", "transfer-encoding"]) headers.delete(h);
  return new Response(res.body, { status: res.status, headers });
}

async function forwardedStream(
  opts: PeerRouteOptions,
  clusterId: string,
  req: Request,
  gate: ReadGate | undefined,
): Promise<Response> {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new TunnelRefusedError(400, "a forwarded stream is a WebSocket upgrade");
  }
  const signal = AbortSignal.any([req.signal, opts.shutdown]);
  let upstream;
  try {
    upstream = await opts.hub.streamHere(clusterId, {
      path: forwardedPath(req),
      protocols: offeredProtocols(req.headers.get("sec-websocket-protocol")),
      headers: forwardedHeaders(req),
      signal,
    });
  } catch (err) {
    // The API server's own refusal passes on as it is; the replica calling unwraps it the same.
    if (err instanceof StreamRefusedError) return err.response;
    throw err;
  }
  const { socket, response } = Deno.upgradeWebSocket(
    req,
    upstream.protocol ? { protocol: upstream.protocol } : {},
  );
  relay(socket, upstream, { idleMs: opts.streamIdleMs, signal: opts.shutdown, gate }).catch((err) =>
    log.warn("a forwarded stream failed", { cluster: clusterId, err })
  );
  return response;
}

function text(status: number, message: string): Response {
  return new Response(message, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
