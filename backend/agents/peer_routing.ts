// Where a request for an agent cluster goes when several replicas share the database: this
// replica's own session, or the replica holding the agent's stream (PeerHubs, implemented by
// backend/replicas/peers.ts). While the agent is moving between replicas (a replica let its stream
// go moments ago, or a bodiless request found the holder unreachable) a request waits up to
// `moveWaitMs` for it instead of failing at once. With one replica (no PeerHubs) everything is
// local.
import type { KubeStream, StreamRequest } from "../cluster/client.ts";
import { PeerUnreachableError } from "./errors.ts";

/** How often a request waiting for a moving agent looks for it again. */
export const MOVE_POLL_MS = 100;

/** Another replica holding an agent stream, as the hub reaches it. */
export interface PeerHolder {
  id: string;
  peerUrl: string;
}

/** How the hub reaches agent streams that other replicas hold (backend/replicas/peers.ts). */
export interface PeerHubs {
  /**
   * The live replica other than this one holding the cluster's agent stream, if any; with none,
   * whether a replica let its stream go moments ago (its agent is probably reconnecting).
   */
  holder(clusterId: string): Promise<{ peer: PeerHolder | null; moving: boolean }>;
  fetch(peer: PeerHolder, clusterId: string, req: Request): Promise<Response>;
  stream(peer: PeerHolder, clusterId: string, req: StreamRequest): Promise<KubeStream>;
  /** Whether the holder's session answers a ping; a silent one is closed there. */
  probe(peer: PeerHolder, clusterId: string): Promise<boolean>;
  /** Ends the cluster's stream on the holder for good (credential rotated). */
  disconnect(peer: PeerHolder, clusterId: string, reason: string): Promise<void>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class PeerRouting {
  constructor(
    readonly peers: PeerHubs | undefined,
    /** Whether this replica holds the cluster's stream itself. */
    private readonly holdsHere: (clusterId: string) => boolean,
    private readonly moveWaitMs: number,
  ) {}

  /** A request here (`here`) or forwarded to the replica holding the stream. */
  async fetch(
    clusterId: string,
    req: Request,
    here: (req: Request) => Promise<Response>,
  ): Promise<Response> {
    const until = Date.now() + this.moveWaitMs;
    for (;;) {
      const peer = await this.locate(clusterId, until, req.signal);
      if (!peer) return await here(req);
      try {
        return await this.peers!.fetch(peer, clusterId, req);
      } catch (err) {
        // A holder that died: its agents are reconnecting. A request with a body may have sent
        // some of it, so only bodiless ones are tried again.
        const retry = err instanceof PeerUnreachableError && req.body === null &&
          Date.now() < until && !req.signal.aborted;
        if (!retry) throw err;
        await sleep(MOVE_POLL_MS);
      }
    }
  }

  /** An upgraded stream here (`here`) or through the replica holding the agent's stream. */
  async stream(
    clusterId: string,
    req: StreamRequest,
    here: (req: StreamRequest) => Promise<KubeStream>,
  ): Promise<KubeStream> {
    const peer = await this.locate(clusterId, Date.now() + this.moveWaitMs, req.signal);
    return peer ? await this.peers!.stream(peer, clusterId, req) : await here(req);
  }

  /** The other live replica holding the cluster's stream now, without waiting. */
  async holder(clusterId: string): Promise<PeerHolder | null> {
    return (await this.peers?.holder(clusterId))?.peer ?? null;
  }

  /**
   * The replica to forward to (null: this one, whose session then carries the request or says
   * the agent is offline), waiting until `until` while the cluster's agent is moving.
   */
  private async locate(
    clusterId: string,
    until: number,
    signal: AbortSignal,
  ): Promise<PeerHolder | null> {
    if (!this.peers) return null;
    for (;;) {
      if (this.holdsHere(clusterId)) return null;
      const { peer, moving } = await this.peers.holder(clusterId);
      if (peer || !moving || Date.now() >= until || signal.aborted) return peer;
      await sleep(MOVE_POLL_MS);
    }
  }
}
