// Reaching an agent stream another replica holds: which live replica holds a cluster's stream
// (clusters.agent_replica_id and that replica's lease), and the replica-to-replica calls the hub
// makes through it: a request or watch forwarded as one HTTP request whose answer streams back,
// an upgraded stream (exec, attach, port-forward) as one WebSocket, the takeover probe and the
// disconnect of a rotated credential. The wire format is peer_protocol.ts's; the other side is
// peer_routes.ts. Calls are authenticated with the replicas' shared peer secret over TLS whose
// chain must end at the dashboard's CA.
import http from "node:http";
import https from "node:https";
import { nodeFetch } from "../../common/node_fetch.ts";
import type { KubeStream, StreamRequest } from "../cluster/client.ts";
import { StreamRefusedError } from "../cluster/client.ts";
import { openWebSocketStream } from "../cluster/ws_stream.ts";
import type { ClusterStore } from "../cluster/store.ts";
import type { PeerHolder, PeerHubs } from "../agents/peer_routing.ts";
import { AgentUnavailableError, PeerUnreachableError } from "../agents/errors.ts";
import type { Replica } from "./replica.ts";
import {
  PEER_BODY,
  PEER_ERROR,
  PEER_METHOD,
  PEER_PATH,
  peerErrorOf,
  peerPath,
  type PeerTls,
} from "./peer_protocol.ts";

/** Connections kept per peer replica (each request or watch in flight holds one). */
const MAX_SOCKETS_PER_PEER = 1024;
/** How long connecting to a peer may take before the request fails as unavailable. */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long a peer's row is reused before it is read again. */
const PEER_ROW_TTL_MS = 1_000;
/**
 * A cluster whose agent stream ended less than this long ago is "moving": its agent is probably
 * reconnecting (to this or another replica), and requests wait for it (AgentHub.route).
 */
const MOVING_MS = 10_000;
/** The longest error text read from a peer. */
const MAX_ERROR_BYTES = 4096;

export class PeerClient implements PeerHubs {
  private readonly agent: http.Agent;
  private readonly rows = new Map<string, { holder: PeerHolder | null; until: number }>();

  constructor(
    private readonly clusters: ClusterStore,
    private readonly replica: Replica,
    /** The shared peer secret (peer_protocol.ts peerSecret). */
    private readonly secret: string,
    private readonly tls: PeerTls,
  ) {
    const options = { keepAlive: true, maxSockets: MAX_SOCKETS_PER_PEER };
    this.agent = tls.insecure ? new http.Agent(options) : new https.Agent({
      ...options,
      ca: tls.caPem,
      ...(tls.caPem ? { checkServerIdentity: () => undefined } : {}),
    });
  }

  async holder(clusterId: string): Promise<{ peer: PeerHolder | null; moving: boolean }> {
    const { replicaId, moving } = await this.clusters.agentHolder(clusterId, MOVING_MS);
    if (!replicaId || replicaId === this.replica.id) return { peer: null, moving };
    const now = Date.now();
    const cached = this.rows.get(replicaId);
    if (cached && cached.until > now) return { peer: cached.holder, moving: false };
    const row = await this.replica.peer(replicaId);
    const holder = row?.live ? { id: row.id, peerUrl: row.peerUrl } : null;
    if (this.rows.size > 256) this.rows.clear();
    this.rows.set(replicaId, { holder, until: now + PEER_ROW_TTL_MS });
    return { peer: holder, moving: false };
  }

  async fetch(peer: PeerHolder, clusterId: string, req: Request): Promise<Response> {
    const url = new URL(req.url);
    const headers = new Headers(req.headers);
    headers.set("authorization", `Bearer ${this.secret}`);
    headers.set(PEER_METHOD, req.method);
    headers.set(PEER_PATH, url.pathname + url.search);
    headers.set(PEER_BODY, req.body ? "1" : "0");
    const res = await this.call(peer, peerPath(clusterId, "fetch"), {
      method: "POST",
      headers,
      body: req.body,
      signal: req.signal,
    });
    await throwIfRefused(res);
    return res;
  }

  async stream(peer: PeerHolder, clusterId: string, req: StreamRequest): Promise<KubeStream> {
    const headers = new Headers(req.headers);
    headers.set(PEER_PATH, req.path);
    try {
      return await openWebSocketStream({
        server: peer.peerUrl,
        caPem: this.tls.caPem,
        chainOnly: this.tls.caPem !== undefined,
        token: this.secret,
      }, {
        path: peerPath(clusterId, "stream"),
        protocols: req.protocols,
        headers,
        signal: req.signal,
      });
    } catch (err) {
      if (err instanceof StreamRefusedError) await throwIfRefused(err.response);
      if (err instanceof StreamRefusedError || req.signal.aborted) throw err;
      throw new PeerUnreachableError(
        `agent offline: the dashboard replica holding its stream (${peer.peerUrl}) is unreachable: ${
          (err as Error).message
        }`,
      );
    }
  }

  async probe(peer: PeerHolder, clusterId: string): Promise<boolean> {
    const res = await this.call(peer, peerPath(clusterId, "probe"), this.control());
    const body = await res.json() as { alive?: unknown };
    return body.alive === true;
  }

  async disconnect(peer: PeerHolder, clusterId: string, reason: string): Promise<void> {
    const init = this.control();
    init.headers.set(PEER_PATH, reason.slice(0, 200));
    const res = await this.call(peer, peerPath(clusterId, "disconnect"), init);
    await res.body?.cancel();
  }

  close(): void {
    this.agent.destroy();
  }

  private control() {
    const headers = new Headers({ authorization: `Bearer ${this.secret}` });
    return { method: "POST", headers, body: null, signal: AbortSignal.timeout(30_000) };
  }

  /** One call to a peer; a peer that cannot be reached makes the agent unavailable (503). */
  private async call(
    peer: PeerHolder,
    path: string,
    init: {
      method: string;
      headers: Headers;
      body: ReadableStream<Uint8Array> | null;
      signal: AbortSignal;
    },
  ): Promise<Response> {
    const url = new URL(peer.peerUrl + path);
    try {
      return await nodeFetch(
        url.protocol === "https:" ? https.request : http.request,
        this.agent,
        url,
        { ...init, connectTimeoutMs: CONNECT_TIMEOUT_MS },
      );
    } catch (err) {
      if (init.signal.aborted) throw err;
      this.rows.delete(peer.id);
      throw new PeerUnreachableError(
        `agent offline: the dashboard replica holding its stream (${peer.peerUrl}) is unreachable: ${
          (err as Error).message
        }`,
      );
    }
  }
}

/** A peer's answer that says why it could not carry the request, as the hub's own errors. */
async function throwIfRefused(res: Response): Promise<void> {
  const kind = res.headers.get(PEER_ERROR);
  if (!kind) return;
  const text = await readBounded(res, MAX_ERROR_BYTES);
  const err = peerErrorOf(kind, res.status, text);
  throw err ?? new AgentUnavailableError(`agent offline: ${text}`);
}

async function readBounded(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  while (size < max) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => {});
  const all = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  return new TextDecoder().decode(all.subarray(0, max));
}
