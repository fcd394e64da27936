// The agent hub, the facade the rest of the dashboard uses for agent clusters: it attaches a
// control stream as its cluster's live session (a second stream with the same credential does
// not silently take the cluster over: the live session is pinged first and the newcomer refused
// while it answers, a security event either way), detaches and disconnects sessions, bounds the
// rate at which an agent's ClusterInfo is stored, and carries requests: AgentHub.fetch is what an
// agent cluster's connector calls, Request in, streaming Response out. The parts: sessions.ts
// (who is connected), tunnels.ts (idle lines, announced requests), exchange.ts (one request on a
// line), liveness.ts (pings, deadlines, status sweeps), cluster_info.ts (what is stored).
import { log } from "../../common/log.ts";
import type { Db } from "../store/db.ts";
import { type AgentClusterInfo, ClusterStore, type LiveHeartbeat } from "../cluster/store.ts";
import { AgentUnavailableError, TunnelRefusedError } from "./errors.ts";
import { AgentSession, SessionRegistry } from "./sessions.ts";
import { announce, claim, offerIdle, refuse, takeIdle, type TunnelLine } from "./tunnels.ts";
import { exchange, toWork } from "./exchange.ts";
import { streamExchange, streamStart } from "./stream_exchange.ts";
import type { KubeStream, StreamRequest } from "../cluster/client.ts";
import { STREAMS_PROTOCOL_VERSION } from "../../proto/wire.ts";
import { VERSION } from "../../common/version.ts";
import { Liveness } from "./liveness.ts";

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
};

/** A security event is stored on a cluster at most this often (it is always logged). */
const SECURITY_EVENT_MIN_INTERVAL_MS = 5_000;

/** Why a stream was not attached. */
export class TakeoverRefusedError extends Error {}

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

  constructor(
    db: Db,
    private readonly notify: (clusterId: string) => void,
    opts: Partial<HubOptions> = {},
  ) {
    this.opts = { ...defaultHubOptions, ...opts };
    this.clusters = new ClusterStore(db);
    this.liveness = new Liveness(this.sessions, this.clusters, this.opts, (s, reason) => {
      this.detach(s, reason);
      s.close(reason, true);
    }, notify);
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
   * Marks streams of a previous process as gone (ClusterStore.markAgentStreamsGone) and starts
   * heartbeats and status sweeps.
   */
  async start(): Promise<void> {
    await this.clusters.markAgentStreamsGone();
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
    await this.clusters.agentConnected(session.clusterId, session.agentVersion, info);
    this.notify(session.clusterId);
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

  /** Forgets a session that ended; only the current session of a cluster changes its status. */
  detach(session: AgentSession, reason: string): void {
    if (!this.sessions.remove(session)) return;
    this.clusters.agentStreamEnded(session.clusterId, {
      lastHeardMs: session.lastHeardMs,
      reason,
      rttMs: session.rttMs,
    }).then(
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

  /** Ends a cluster's stream for good (cluster deleted, credential revoked or rotated). */
  disconnect(clusterId: string, reason: string): void {
    this.infoStoredMs.delete(clusterId);
    this.securityEventMs.delete(clusterId);
    const s = this.sessions.get(clusterId);
    if (!s) return;
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

  /** Stores every live agent's heartbeat (bounded by `storeTimeoutMs`), then ends the streams. */
  async stop(storeTimeoutMs = 5_000): Promise<void> {
    this.liveness.stop();
    const stored = this.clusters.storeLiveHeartbeats([...this.sessions.values()]).catch((err) =>
      log.warn("could not store the agents' last heartbeats", { err })
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([stored, new Promise((r) => (timer = setTimeout(r, storeTimeoutMs)))]);
    clearTimeout(timer);
    for (const s of [...this.sessions.values()]) {
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
   * Carries one request through the cluster's agent: on an idle tunnel line when there is one,
   * else announced on the control stream. Fails with AgentUnavailableError or TunnelRefusedError.
   */
  async fetch(clusterId: string, req: Request): Promise<Response> {
    const s = this.admit(clusterId);
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
    const s = this.admit(clusterId);
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

  /** The cluster's live session, if it may take one more request. */
  private admit(clusterId: string): AgentSession {
    const s = this.sessions.get(clusterId);
    if (!s) throw new AgentUnavailableError("agent offline: the cluster's agent is not connected");
    if (s.inFlight + s.pending.size >= this.opts.maxInFlight) {
      throw new AgentUnavailableError(
        `agent busy: ${this.opts.maxInFlight} requests already in flight`,
      );
    }
    return s;
  }
}
