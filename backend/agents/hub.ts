// The agent hub, the facade the rest of the dashboard uses for agent clusters: it attaches a
// control stream as its cluster's live session (a second stream with the same credential does
// not silently take the cluster over: the live session is pinged first and the newcomer refused
// while it answers, a security event either way), detaches and disconnects sessions, bounds the
// rate at which an agent's ClusterInfo is stored, and carries requests: AgentHub.fetch is what an
// agent cluster's connector calls, Request in, streaming Response out. The parts: sessions.ts
// (who is connected), tunnels.ts (idle lines, announced requests), exchange.ts (one request on a
// line), liveness.ts (pings, deadlines, status sweeps), cluster_info.ts (what is stored).
// With several replicas on one database, a cluster whose stream another replica holds is reached
// through that replica (peer_routing.ts); a stopping replica drains: it takes no new streams,
// tells its agents to reconnect elsewhere and lets requests in flight finish.
import { log } from "../../common/log.ts";
import type { Db } from "../store/db.ts";
import { type AgentClusterInfo, ClusterStore, type LiveHeartbeat } from "../cluster/store.ts";
import {
  AgentUnavailableError,
  AttachRefusedError,
  GRPC_UNAVAILABLE,
  TakeoverRefusedError,
  TunnelRefusedError,
} from "./errors.ts";
import { AgentSession, SessionRegistry } from "./sessions.ts";
import { announce, claim, offerIdle, refuse, takeIdle, type TunnelLine } from "./tunnels.ts";
import { exchange, toWork } from "./exchange.ts";
import { streamExchange, streamStart } from "./stream_exchange.ts";
import type { KubeStream, StreamRequest } from "../cluster/client.ts";
import { STREAMS_PROTOCOL_VERSION } from "../../proto/wire.ts";
import { VERSION } from "../../common/version.ts";
import { Liveness } from "./liveness.ts";
import { Replica } from "../replicas/replica.ts";
import { isWatch, resumableWatch } from "./watch_resume.ts";
import { MOVE_POLL_MS, type PeerHubs, PeerRouting, sleep } from "./peer_routing.ts";

export interface HubOptions {
  heartbeatMs: number;
  /** Requests (watches included) in flight per agent before new ones get 503. */
  maxInFlight: number;
  /** How long the agent has to open the tunnel for an announced request. */
  openTimeoutMs: number;
  /** Idle tunnels each agent keeps open ahead of need. */
  idleTunnels: number;
  /** Idle tunnels kept per agent at most; tunnels beyond it are ended when their request ends. */
  maxIdleTunnels: number;
  /** Idle tunnels beyond `idleTunnels` unused this long are ended. */
  idleTunnelTtlMs: number;
  /**
   * How long a live session has to answer a ping when a second stream arrives with its cluster's
   * credential: it answers, the newcomer is refused; it does not, the newcomer replaces it.
   */
  takeoverProbeMs: number;
  /** ClusterInfo is stored at most once per this interval per cluster; the latest one wins. */
  infoMinIntervalMs: number;
  /**
   * How long a request waits for an agent that is moving between replicas (its stream ended
   * moments ago, or its holder cannot be reached) before it fails with 503.
   */
  moveWaitMs: number;
}

export const defaultHubOptions: HubOptions = {
  heartbeatMs: 10_000,
  maxInFlight: 256,
  openTimeoutMs: 15_000,
  idleTunnels: 1,
  maxIdleTunnels: 32,
  idleTunnelTtlMs: 30_000,
  takeoverProbeMs: 5_000,
  infoMinIntervalMs: 30_000,
  moveWaitMs: 5_000,
};

/** A security event is stored on a cluster at most this often (it is always logged). */
const SECURITY_EVENT_MIN_INTERVAL_MS = 5_000;

export class AgentHub {
  private readonly sessions = new SessionRegistry();
  /** Per cluster: the stream being admitted (a takeover probe runs one at a time). */
  private readonly admitting = new Map<string, Promise<void>>();
  /** Per cluster: when ClusterInfo was last stored (the update-rate bound). */
  private readonly infoStoredMs = new Map<string, number>();
  /** Per cluster: when a security event was last stored. */
  private readonly securityEventMs = new Map<string, number>();
  private readonly clusters: ClusterStore;
  private readonly liveness: Liveness;
  readonly opts: HubOptions;
  /** Whether a request is carried here or by the replica holding its agent's stream. */
  private readonly routing: PeerRouting;
  /** This process among the replicas sharing the database. */
  readonly replica: Replica;
  /** Set by drain(): no new agent streams are taken. */
  private draining = false;
  /** Sessions drain() retired: their requests in flight end, at the latest, with stop(). */
  private readonly retired: AgentSession[] = [];

  constructor(
    db: Db,
    private readonly notify: (clusterId: string) => void,
    opts: Partial<HubOptions> = {},
    replica?: Replica,
    /** Other replicas' agent streams; none with the embedded database (one replica). */
    peers?: PeerHubs,
  ) {
    this.opts = { ...defaultHubOptions, ...opts };
    this.clusters = new ClusterStore(db);
    this.routing = new PeerRouting(peers, (id) => this.sessions.has(id), this.opts.moveWaitMs);
    this.replica = replica ??
      new Replica(db, `local:${crypto.randomUUID()}`, this.opts.heartbeatMs, db.kind === "pglite");
    this.liveness = new Liveness(
      this.sessions,
      this.clusters,
      this.replica,
      this.opts,
      (s, reason) => {
        this.detach(s, reason);
        s.close(reason, true);
      },
      notify,
    );
  }

  get size(): number {
    return this.sessions.size;
  }

  session(clusterId: string): AgentSession | undefined {
    return this.sessions.get(clusterId);
  }

  sessionByToken(token: string): AgentSession | undefined {
    return this.sessions.byToken(token);
  }

  /**
   * Takes this replica's lease, marks streams nobody holds any more as gone (a previous run's,
   * a dead replica's: ClusterStore.sweepOrphanedAgents) and starts heartbeats and status sweeps.
   */
  async start(): Promise<void> {
    await this.replica.join();
    const gone = await this.clusters.sweepOrphanedAgents(this.replica.leaseMs, true);
    for (const id of gone) this.notify(id);
    this.liveness.start();
  }

  /** Keeps a tunnel line for the next request (beyond `maxIdleTunnels` it is ended). */
  offerIdle(s: AgentSession, t: TunnelLine): void {
    offerIdle(s, t, this.opts.maxIdleTunnels);
  }

  /** A connected agent's last heartbeat and RTT: held here, stored when its stream ends. */
  liveHeartbeat(clusterId: string): LiveHeartbeat | undefined {
    const s = this.sessions.get(clusterId);
    return s && { at: new Date(s.lastHeardMs), rttMs: s.rttMs };
  }

  /**
   * Registers a new control stream for a cluster. When the cluster has a live session, that one
   * is pinged first (`takeoverProbeMs`): if it answers, the newcomer is refused (throws
   * TakeoverRefusedError) and the live session stays; if not, the newcomer replaces it. Both
   * are security events (logged, and stored on the cluster). Admissions of one cluster run one
   * at a time, so two newcomers cannot both pass one probe.
   */
  async attach(session: AgentSession, info: AgentClusterInfo | null): Promise<void> {
    const id = session.clusterId;
    const before = this.admitting.get(id) ?? Promise.resolve();
    const turn = Promise.withResolvers<void>();
    const mine = before.then(() => turn.promise);
    this.admitting.set(id, mine);
    try {
      await before;
      if (this.draining) {
        throw new AttachRefusedError(
          GRPC_UNAVAILABLE,
          "this dashboard replica is stopping; reconnect to take another replica",
        );
      }
      if (!this.sessions.get(id)) await this.takeOverFromPeer(session);
      const old = this.sessions.get(id);
      if (old && !old.closed) {
        const alive = await old.answers(this.opts.takeoverProbeMs);
        if (alive && !old.closed) {
          this.securityEvent(
            session,
            `refused an agent connection from ${session.peer}: another agent with this cluster's credential is connected from ${old.peer} and answering; if the agent was not just reinstalled, the credential may have leaked: rotate it`,
          );
          throw new TakeoverRefusedError(
            "another agent with this cluster's credential is connected; if you replaced the agent pod, wait for the old one to stop",
          );
        }
        // The newcomer went away while the old session was probed: nothing to replace it with.
        if (session.closed) return;
        this.securityEvent(
          session,
          `an agent connection from ${session.peer} replaced the one from ${old.peer}, which did not answer a ping within ${
            this.opts.takeoverProbeMs / 1000
          } s (expected after an agent restart; otherwise rotate the credential)`,
        );
      }
      if (session.closed) return;
      this.sessions.add(session);
      if (old) {
        this.sessions.remove(old);
        old.close("replaced by a newer connection from the same cluster", false);
      }
    } finally {
      turn.resolve();
      if (this.admitting.get(id) === mine) this.admitting.delete(id);
    }
    info = this.infoNow(session, info);
    await this.clusters.agentConnected(
      session.clusterId,
      session.agentVersion,
      info,
      this.replica.id,
    );
    this.notify(session.clusterId);
  }

  /**
   * The takeover rule across replicas: when another live replica holds the cluster's stream, it
   * pings its session; if that answers, the newcomer is refused as on one replica. An unreachable
   * holder counts as silent (its lease decides whether it is alive at all).
   */
  private async takeOverFromPeer(session: AgentSession): Promise<void> {
    const holder = await this.routing.holder(session.clusterId);
    if (!holder) return;
    const alive = await this.routing.peers!.probe(holder, session.clusterId).catch((err) => {
      log.warn("could not probe the replica holding an agent stream", {
        cluster: session.clusterName,
        replica: holder.peerUrl,
        err,
      });
      return false;
    });
    if (alive) {
      this.securityEvent(
        session,
        `refused an agent connection from ${session.peer}: another agent with this cluster's credential is connected to dashboard replica ${holder.peerUrl} and answering; if the agent was not just reinstalled, the credential may have leaked: rotate it`,
      );
      throw new TakeoverRefusedError(
        "another agent with this cluster's credential is connected; if you replaced the agent pod, wait for the old one to stop",
      );
    }
  }

  /**
   * For a peer's takeover probe: whether this replica's session of the cluster answers a ping
   * within `takeoverProbeMs`; a silent one is ended here (the newcomer on the peer replaces it).
   */
  async probe(clusterId: string): Promise<boolean> {
    const s = this.sessions.get(clusterId);
    if (!s || s.closed) return false;
    if (await s.answers(this.opts.takeoverProbeMs) && !s.closed) return true;
    this.detach(s, "replaced by a newer connection on another dashboard replica");
    s.close("replaced by a newer connection from the same cluster", false);
    return false;
  }

  /** Logs a security event and stores it on the cluster (at most every few seconds). */
  private securityEvent(session: AgentSession, text: string): void {
    log.warn("agent security event", {
      cluster: session.clusterName,
      cluster_id: session.clusterId,
      peer: session.peer,
      event: text,
    });
    const now = Date.now();
    const last = this.securityEventMs.get(session.clusterId) ?? 0;
    if (now - last < SECURITY_EVENT_MIN_INTERVAL_MS) return;
    this.securityEventMs.set(session.clusterId, now);
    this.clusters.recordSecurityEvent(session.clusterId, text).then(
      () => this.notify(session.clusterId),
      (err) => log.warn("could not store an agent security event", { err }),
    );
  }

  /**
   * The update-rate bound of ClusterInfo: returns the info to store now, or null when this
   * cluster's was stored less than `infoMinIntervalMs` ago; then it is held on the session and
   * stored when the interval has passed (a later one replaces it: the latest wins).
   */
  private infoNow(session: AgentSession, info: AgentClusterInfo | null): AgentClusterInfo | null {
    if (!info) return null;
    const now = Date.now();
    const wait = (this.infoStoredMs.get(session.clusterId) ?? -Infinity) +
      this.opts.infoMinIntervalMs - now;
    if (wait <= 0) {
      this.infoStoredMs.set(session.clusterId, now);
      return info;
    }
    session.pendingInfo = info;
    session.infoTimer ??= setTimeout(() => {
      session.infoTimer = undefined;
      const next = session.pendingInfo;
      session.pendingInfo = undefined;
      if (next && !session.closed && this.sessions.get(session.clusterId) === session) {
        this.updateInfo(session, next).catch((err) =>
          log.warn("could not store cluster info", { err })
        );
      }
    }, wait);
    return null;
  }

  /**
   * Forgets a session that ended; only the current session of a cluster changes its status. With
   * `released`, this replica let it go (draining) and its agent moves to another replica.
   */
  detach(session: AgentSession, reason: string, released = false): void {
    if (!this.sessions.remove(session)) return;
    this.clusters.agentStreamEnded(
      session.clusterId,
      {
        lastHeardMs: session.lastHeardMs,
        reason,
        rttMs: session.rttMs,
      },
      this.replica.id,
      released,
    ).then(
      () => this.notify(session.clusterId),
      (err) => log.warn("could not record agent disconnect", { err }),
    );
  }

  /** Stores an agent's ClusterInfo (already bounded by toClusterInfo), within the rate bound. */
  async updateInfo(session: AgentSession, info: AgentClusterInfo): Promise<void> {
    if (!this.infoNow(session, info)) return;
    await this.clusters.storeClusterInfo(session.clusterId, info);
    this.notify(session.clusterId);
  }

  /**
   * Ends a cluster's stream for good (cluster deleted, credential revoked or rotated), here or,
   * with `onPeers`, on the replica holding it (a deleted cluster's row is gone, so deletions reach
   * the holder as an event between replicas instead).
   */
  disconnect(clusterId: string, reason: string, onPeers = false): void {
    this.infoStoredMs.delete(clusterId);
    this.securityEventMs.delete(clusterId);
    const s = this.sessions.get(clusterId);
    if (!s) {
      if (onPeers) this.disconnectOnPeer(clusterId, reason);
      return;
    }
    this.sessions.remove(s);
    s.close(reason, false);
    // The agent cannot come back with its credential: the cluster is offline, not connected.
    this.clusters.agentDisconnected(clusterId, {
      lastHeardMs: s.lastHeardMs,
      reason,
      rttMs: s.rttMs,
    }).then(
      () => this.notify(clusterId),
      (err) => log.warn("could not record agent disconnect", { err }),
    );
  }

  /** Ends the streams of clusters that no longer exist (deleted while events were missed). */
  async endDeleted(): Promise<void> {
    const ids = [...this.sessions.values()].map((s) => s.clusterId);
    if (!ids.length) return;
    const existing = new Set(await this.clusters.existingIds(ids));
    for (const id of ids) {
      if (!existing.has(id)) this.disconnect(id, "the cluster was deleted from the dashboard");
    }
  }

  private disconnectOnPeer(clusterId: string, reason: string): void {
    this.routing.holder(clusterId)
      .then((peer) => peer && this.routing.peers!.disconnect(peer, clusterId, reason))
      .catch((err) => log.warn("could not end an agent stream on the replica holding it", { err }));
  }

  /**
   * Drains this replica before it stops: it takes no new agent streams, and each agent is told
   * to reconnect (to another replica, through the load balancer) while the requests it carries
   * here go on. Watches end at once: the replica their client is connected to resumes them where
   * the agent is now (watch_resume.ts). Resolves when no other request is left in flight, or after
   * `deadlineMs`.
   */
  async drain(deadlineMs: number): Promise<void> {
    this.draining = true;
    await this.replica.drain().catch((err) =>
      log.warn("could not mark this replica as draining", { err })
    );
    for (const s of [...this.sessions.values()]) {
      this.detach(s, "the dashboard replica holding its stream is stopping", true);
      s.retire("this dashboard replica is stopping; reconnect to another replica");
      this.retired.push(s);
    }
    // After a moment, so that the agent is on its way and the resumed watch finds it moving.
    await sleep(MOVE_POLL_MS);
    for (const s of this.retired) {
      for (const drop of [...s.watches]) drop("the dashboard replica carrying it is stopping");
    }
    const end = Date.now() + deadlineMs;
    while (Date.now() < end && this.retired.some((s) => s.inFlight > 0)) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Stores every live agent's heartbeat (bounded by `storeTimeoutMs`), ends the streams and this
   * replica's lease.
   */
  async stop(storeTimeoutMs = 5_000): Promise<void> {
    this.liveness.stop();
    const live = [...this.sessions.values()];
    const stored = this.clusters.storeLiveHeartbeats(live).then(() =>
      this.clusters.releaseAgents(this.replica.id)
    ).then(() => this.replica.leave()).catch((err) =>
      log.warn("could not store the agents' last heartbeats", { err })
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([stored, new Promise((r) => (timer = setTimeout(r, storeTimeoutMs)))]);
    clearTimeout(timer);
    for (const s of [...live, ...this.retired.splice(0)]) {
      this.sessions.remove(s);
      s.close("the dashboard is shutting down", true);
    }
    this.sessions.clear();
  }

  /** Called by the Tunnel handler with the request id from the agent's first frame. */
  claimTunnel(session: AgentSession, requestId: string, line: TunnelLine): boolean {
    return claim(session, requestId, line);
  }

  /** Called when the agent refuses an announced request (limits, path not allowed). */
  refuse(session: AgentSession, requestId: string, status: number, message: string): void {
    refuse(session, requestId, status, message);
  }

  /**
   * Carries one request through the cluster's agent, here or through the replica holding its
   * stream; a watch resumes when that stream fails under it (watch_resume.ts). Fails with
   * AgentUnavailableError or TunnelRefusedError.
   */
  async fetch(clusterId: string, req: Request): Promise<Response> {
    const route = (r: Request) =>
      this.routing.fetch(clusterId, r, (h) => this.fetchHere(clusterId, h));
    const res = await route(req);
    return isWatch(req) ? resumableWatch(req, res, route) : res;
  }

  /** fetch() on this replica's own session only (what a peer's forwarded request gets). */
  async fetchHere(clusterId: string, req: Request): Promise<Response> {
    const s = await this.admit(clusterId);
    const requestId = crypto.randomUUID();
    const { work, isWatch } = toWork(req, requestId);
    let line = takeIdle(s);
    if (line) line.call.write(work);
    else line = await announce(s, requestId, work, req.signal, this.opts.openTimeoutMs);
    return exchange(s, line, req, isWatch, (l) => this.offerIdle(s, l));
  }

  /**
   * Opens an upgraded stream (exec, attach, port-forward) through the cluster's agent; it counts
   * as a request in flight until it ends. An agent older than protocol v2 cannot carry one.
   */
  async stream(clusterId: string, req: StreamRequest): Promise<KubeStream> {
    return await this.routing.stream(clusterId, req, (h) => this.streamHere(clusterId, h));
  }

  /** stream() on this replica's own session only (what a peer's forwarded stream gets). */
  async streamHere(clusterId: string, req: StreamRequest): Promise<KubeStream> {
    const s = await this.admit(clusterId);
    if (s.protocolVersion < STREAMS_PROTOCOL_VERSION) {
      throw new TunnelRefusedError(
        501,
        `the cluster's agent (version ${s.agentVersion || "unknown"}, protocol ` +
          `v${s.protocolVersion}) cannot carry exec, attach or port-forward; upgrade the agent ` +
          `to ${VERSION}`,
      );
    }
    const requestId = crypto.randomUUID();
    const work = { stream: streamStart(req, requestId) };
    let line = takeIdle(s);
    if (line) line.call.write(work);
    else line = await announce(s, requestId, work, req.signal, this.opts.openTimeoutMs);
    return streamExchange(s, line, req);
  }

  /**
   * The cluster's live session, if it may take one more request, once the agent was told its
   * stream is accepted (until then the agent could not take the request).
   */
  private async admit(clusterId: string): Promise<AgentSession> {
    const s = this.sessions.get(clusterId);
    if (!s) throw new AgentUnavailableError("agent offline: the cluster's agent is not connected");
    await s.acceptedWithin(this.opts.openTimeoutMs);
    if (s.inFlight + s.pending.size >= this.opts.maxInFlight) {
      throw new AgentUnavailableError(
        `agent busy: ${this.opts.maxInFlight} requests already in flight`,
      );
    }
    return s;
  }
}
