// The live side of agent clusters: one AgentSession per connected agent (its control stream),
// heartbeats both ways with RTT (held in memory while the stream is up, stored when it ends),
// status derived from them, and the tunnels that carry proxied requests and watches, each on a
// gRPC stream opened by the agent. A request goes to an idle tunnel the agent opened ahead of
// need when there is one, else it is announced on the control stream and the agent opens a
// tunnel for it; a tunnel whose request completed cleanly is idle again. AgentHub.fetch is what
// an agent cluster's ClusterClient calls: Request in, streaming Response out.
// A second stream with a cluster's credential does not silently take the cluster over: the live
// session is pinged first and the newcomer is refused while it answers (a security event either
// way). What an agent reports about its cluster is bounded in size and in stored update rate.
import type * as grpc from "@grpc/grpc-js";
import { status as grpcStatus } from "@grpc/grpc-js";
import { once } from "node:events";
import type { DashboardMessage } from "../../proto/gen/agent/v1/DashboardMessage.ts";
import type { AgentMessage__Output } from "../../proto/gen/agent/v1/AgentMessage.ts";
import type { TunnelUp__Output } from "../../proto/gen/agent/v1/TunnelUp.ts";
import type { TunnelDown } from "../../proto/gen/agent/v1/TunnelDown.ts";
import type { K8sRequest } from "../../proto/gen/agent/v1/K8sRequest.ts";
import type { WatchStart } from "../../proto/gen/agent/v1/WatchStart.ts";
import type { ClusterInfo__Output } from "../../proto/gen/agent/v1/ClusterInfo.ts";
import { CHUNK_BYTES } from "../../proto/wire.ts";
import { PingTracker } from "../../proto/ping.ts";
import { randomToken } from "../crypto/encoding.ts";
import type { Db } from "../store/db.ts";
import { type AgentClusterInfo, ClusterStore, type LiveHeartbeat } from "./store.ts";
import { log } from "../../proto/log.ts";

export type ControlCall = grpc.ServerDuplexStream<AgentMessage__Output, DashboardMessage>;
export type TunnelCall = grpc.ServerDuplexStream<TunnelUp__Output, TunnelDown>;

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

/**
 * What the dashboard keeps of an agent's ClusterInfo. Longer lists are cut (`truncated: true`);
 * names longer than a Kubernetes name can be are dropped (also flagged); strings are cut. Worst
 * case about 1.2 MB per cluster, and only GET /api/clusters/{id} returns the names.
 */
export const INFO_LIMITS = {
  namespaces: 10_000,
  crds: 2_000,
  /** kubernetes_version and platform. */
  stringChars: 256,
  /** A namespace name is a DNS label. */
  namespaceChars: 63,
  /** A CRD name (<plural>.<group>) is a DNS subdomain. */
  crdChars: 253,
};

/** Status of an agent cluster from what was last heard of it, as documented in docs/protocol.md. */
export function deriveAgentStatus(
  live: boolean,
  lastHeardMs: number | null,
  nowMs: number,
  heartbeatMs: number,
): "connected" | "reconnecting" | "offline" | "pending" {
  if (lastHeardMs === null) return "pending";
  const silent = nowMs - lastHeardMs;
  if (live && silent <= 2.5 * heartbeatMs) return "connected";
  return silent <= 9 * heartbeatMs ? "reconnecting" : "offline";
}

export class AgentUnavailableError extends Error {}

type Frame = IteratorResult<TunnelUp__Output>;
/** What a tunnel carries: a request or a watch (the same messages the control stream announces). */
type Work =
  | { request: K8sRequest; watch?: undefined }
  | { watch: WatchStart; request?: undefined };

/** An opened tunnel: the call, and the iterator already used to read its open frame. */
export interface OpenTunnel {
  call: TunnelCall;
  frames: AsyncIterator<TunnelUp__Output>;
  /** While idle: the read that notices the agent closing it (the agent sends nothing else). */
  idleRead?: Promise<Frame>;
  idleSinceMs?: number;
}

/** The next frame of a tunnel, taking over the read started while it was idle. */
function nextFrame(t: OpenTunnel): Promise<Frame> {
  const p = t.idleRead ?? t.frames.next();
  t.idleRead = undefined;
  return p;
}

interface Pending {
  open: PromiseWithResolvers<OpenTunnel>;
  timer: ReturnType<typeof setTimeout>;
}

/** Keeps at most `max` names of at most `chars` characters; `cut` when anything was left out. */
function boundedNames(list: string[], max: number, chars: number) {
  const valid = list.filter((n) => n.length > 0 && n.length <= chars);
  return { names: valid.slice(0, max), cut: valid.length > max || valid.length < list.length };
}

/** An agent's ClusterInfo as stored, within INFO_LIMITS. */
export function toClusterInfo(
  info: ClusterInfo__Output | null | undefined,
): AgentClusterInfo | null {
  if (!info) return null;
  const L = INFO_LIMITS;
  const ns = boundedNames(info.namespaces, L.namespaces, L.namespaceChars);
  const crds = boundedNames(info.crds, L.crds, L.crdChars);
  const out: AgentClusterInfo = {
    kubernetes_version: info.kubernetes_version.slice(0, L.stringChars),
    platform: info.platform.slice(0, L.stringChars),
    node_count: info.node_count < 0 ? null : info.node_count,
    namespaces: ns.names,
    crds: crds.names,
  };
  if (
    ns.cut || crds.cut || info.kubernetes_version.length > L.stringChars ||
    info.platform.length > L.stringChars
  ) {
    out.truncated = true;
  }
  return out;
}

export class AgentSession {
  readonly sessionToken = randomToken("kss");
  readonly pending = new Map<string, Pending>();
  /** Idle tunnels, the most recently used last. */
  readonly idle: OpenTunnel[] = [];
  /** Tunnels in flight, each with the function that fails it when the stream goes away. */
  readonly tunnels = new Set<(reason: string) => void>();
  inFlight = 0;
  lastHeardMs = Date.now();
  readonly pings = new PingTracker();
  closed = false;
  /** The agent's address (host:port), for logs and security events. */
  readonly peer: string;
  /** ClusterInfo held back by the update-rate bound, and the timer that stores it. */
  pendingInfo?: AgentClusterInfo;
  infoTimer?: ReturnType<typeof setTimeout>;
  /** Probes waiting for anything from the agent (see answers()). */
  private readonly waiters = new Set<(alive: boolean) => void>();

  constructor(
    readonly clusterId: string,
    readonly clusterName: string,
    readonly agentVersion: string,
    readonly call: ControlCall,
  ) {
    let peer = "unknown";
    try {
      peer = call.getPeer();
    } catch { /* the call is already gone */ }
    this.peer = peer;
  }

  send(msg: DashboardMessage): void {
    if (!this.closed) this.call.write(msg);
  }

  /** Something arrived from the agent. */
  heard(): void {
    this.lastHeardMs = Date.now();
    for (const w of this.waiters) w(true);
    this.waiters.clear();
  }

  /**
   * Pings the agent and resolves true when anything arrives from it within `ms`, false when
   * nothing does or the stream ends first.
   */
  answers(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      const done = (alive: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(alive);
      };
      this.waiters.add(done);
      this.ping();
    });
  }

  get rttMs(): number | null {
    return this.pings.rttMs;
  }

  ping(): void {
    this.send({ ping: this.pings.next() });
  }

  /**
   * Ends the control stream; pending requests fail at once with 503, and requests already
   * tunnelled end too (their tunnel may sit on a connection that is not coming back).
   */
  close(reason: string, reconnect: boolean): void {
    if (this.closed) return;
    this.send({ goodbye: { reason, reconnect } });
    this.closed = true;
    for (const w of [...this.waiters]) w(false);
    clearTimeout(this.infoTimer);
    this.pendingInfo = undefined;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.open.reject(new AgentUnavailableError(`agent offline: ${reason}`));
    }
    this.pending.clear();
    for (const drop of [...this.tunnels]) drop(reason);
    this.tunnels.clear();
    for (const t of this.idle.splice(0)) t.call.end();
    this.call.end();
  }
}

/**
 * The status sweep of every tick: agent clusters "reconnecting" for longer than $1 ms become
 * "offline". It reads through clusters_reconnecting_idx (migration 006), not the whole table.
 */
export const OFFLINE_SWEEP_SQL =
  `UPDATE clusters SET status = 'offline' WHERE connection_type = 'agent' AND status = 'reconnecting'
     AND (last_heartbeat_at IS NULL OR last_heartbeat_at < now() - $1::int * interval '1 millisecond')
   RETURNING id`;

export class AgentHub {
  private readonly sessions = new Map<string, AgentSession>();
  private readonly byToken = new Map<string, AgentSession>();
  /** Per cluster: the stream being admitted (a takeover probe runs one at a time). */
  private readonly admitting = new Map<string, Promise<void>>();
  /** Per cluster: when ClusterInfo was last stored (the update-rate bound). */
  private readonly infoStoredMs = new Map<string, number>();
  /** Per cluster: when a security event was last stored. */
  private readonly securityEventMs = new Map<string, number>();
  private readonly clusters: ClusterStore;
  private timer?: ReturnType<typeof setInterval>;
  readonly opts: HubOptions;

  constructor(
    private readonly db: Db,
    private readonly notify: (clusterId: string) => void,
    opts: Partial<HubOptions> = {},
  ) {
    this.opts = { ...defaultHubOptions, ...opts };
    this.clusters = new ClusterStore(db);
  }

  get size(): number {
    return this.sessions.size;
  }

  session(clusterId: string): AgentSession | undefined {
    return this.sessions.get(clusterId);
  }

  sessionByToken(token: string): AgentSession | undefined {
    return this.byToken.get(token);
  }

  /**
   * Marks streams of a previous process as gone and starts heartbeats and status sweeps. Their
   * last heartbeat becomes the previous hub's last beat when that is later than the stored one
   * (after a crash; a clean stop stored every agent's own).
   */
  async start(): Promise<void> {
    await this.db.query(
      `UPDATE clusters SET status = 'reconnecting',
         last_heartbeat_at = GREATEST(last_heartbeat_at, (SELECT beat_at FROM agent_hub_heartbeat))
       WHERE connection_type = 'agent' AND status = 'connected'`,
    );
    this.timer = setInterval(
      () => this.tick().catch((err) => log.warn("agent heartbeat tick failed", { err })),
      this.opts.heartbeatMs,
    );
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const deadline = 2.5 * this.opts.heartbeatMs;
    for (const s of this.sessions.values()) {
      this.trimIdle(s, now);
      if (now - s.lastHeardMs > deadline) {
        log.warn("agent silent past its heartbeat deadline; closing its stream", {
          cluster: s.clusterName,
        });
        this.detach(s, "heartbeat deadline missed");
        s.close("heartbeat deadline missed", true);
      } else if (now - s.lastHeardMs >= this.opts.heartbeatMs) {
        // An agent pings every interval and its pings prove it alive (their RTT is the agent's
        // measurement); the dashboard pings only an agent that has gone quiet.
        s.ping();
      }
    }
    // One row, not one per agent: live agents' heartbeats stay in memory (liveHeartbeat).
    if (this.sessions.size) {
      await this.db.query(
        `INSERT INTO agent_hub_heartbeat (id, beat_at) VALUES (1, now())
         ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at`,
      );
    }
    const offline = await this.db.query<{ id: string }>(OFFLINE_SWEEP_SQL, [
      9 * this.opts.heartbeatMs,
    ]);
    for (const { id } of offline) if (!this.sessions.has(id)) this.notify(id);
  }

  /** Ends idle tunnels beyond the target that were not used for `idleTunnelTtlMs`. */
  private trimIdle(s: AgentSession, now: number): void {
    while (
      s.idle.length > this.opts.idleTunnels &&
      now - (s.idle[0].idleSinceMs ?? now) > this.opts.idleTunnelTtlMs
    ) {
      s.idle.shift()!.call.end();
    }
  }

  /**
   * Keeps a tunnel for the next request: an agent's idle offer (first frame `open{""}`) or a
   * tunnel whose request completed cleanly. Beyond `maxIdleTunnels` the tunnel is ended.
   */
  offerIdle(s: AgentSession, t: OpenTunnel): void {
    if (s.closed || s.idle.length >= this.opts.maxIdleTunnels || t.call.destroyed) {
      t.call.end();
      return;
    }
    t.idleSinceMs = Date.now();
    const read = t.frames.next();
    t.idleRead = read;
    s.idle.push(t);
    // Anything on an idle tunnel (its end, an error, a stray frame) retires it.
    const retire = () => {
      if (t.idleRead !== read) return; // taken by a request, which now owns the read
      const i = s.idle.indexOf(t);
      if (i >= 0) s.idle.splice(i, 1);
      t.idleRead = undefined;
      if (!t.call.writableEnded) t.call.end();
    };
    read.then(retire, retire);
  }

  /** A connected agent's last heartbeat and RTT: held here, stored when its stream ends. */
  liveHeartbeat(clusterId: string): LiveHeartbeat | undefined {
    const s = this.sessions.get(clusterId);
    return s && { at: new Date(s.lastHeardMs), rttMs: s.rttMs };
  }

  /** One UPDATE for every live session's last heartbeat and RTT (on a clean stop). */
  private async storeLiveHeartbeats(): Promise<void> {
    const live = [...this.sessions.values()];
    if (!live.length) return;
    await this.db.query(
      `UPDATE clusters c SET last_heartbeat_at = v.heard, rtt_ms = coalesce(v.rtt, c.rtt_ms)
       FROM (SELECT unnest($1::uuid[]) AS id, unnest($2::timestamptz[]) AS heard, unnest($3::real[]) AS rtt) v
       WHERE c.id = v.id`,
      [
        live.map((s) => s.clusterId),
        live.map((s) => new Date(s.lastHeardMs).toISOString()),
        live.map((s) => s.rttMs),
      ],
    );
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
      this.sessions.set(id, session);
      this.byToken.set(session.sessionToken, session);
      if (old) {
        this.byToken.delete(old.sessionToken);
        old.close("replaced by a newer connection from the same cluster", false);
      }
    } finally {
      turn.resolve();
      if (this.admitting.get(id) === mine) this.admitting.delete(id);
    }
    info = this.infoNow(session, info);
    await this.db.query(
      `UPDATE clusters SET status = 'connected', agent_version = $2, last_heartbeat_at = now(), last_error = NULL,
         cluster_info = coalesce($3::text::jsonb, cluster_info), kubernetes_version = coalesce($4, kubernetes_version),
         platform = coalesce($5, platform), node_count = coalesce($6, node_count), last_checked_at = now()
       WHERE id = $1`,
      [
        session.clusterId,
        session.agentVersion,
        info ? JSON.stringify(info) : null,
        info?.kubernetes_version ?? null,
        info?.platform ?? null,
        info?.node_count ?? null,
      ],
    );
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
    this.byToken.delete(session.sessionToken);
    if (this.sessions.get(session.clusterId) !== session) return;
    this.sessions.delete(session.clusterId);
    this.db.query(
      `UPDATE clusters SET status = 'reconnecting', last_heartbeat_at = to_timestamp($2::double precision / 1000),
         rtt_ms = coalesce($4, rtt_ms), last_error = $3 WHERE id = $1 AND status = 'connected'`,
      [session.clusterId, session.lastHeardMs, reason, session.rttMs],
    ).then(
      () => this.notify(session.clusterId),
      (err) => log.warn("could not record agent disconnect", { err }),
    );
  }

  /** Stores an agent's ClusterInfo (already bounded by toClusterInfo), within the rate bound. */
  async updateInfo(session: AgentSession, info: AgentClusterInfo): Promise<void> {
    if (!this.infoNow(session, info)) return;
    await this.db.query(
      `UPDATE clusters SET cluster_info = $2::text::jsonb, kubernetes_version = $3, platform = $4, node_count = $5,
         last_checked_at = now() WHERE id = $1`,
      [
        session.clusterId,
        JSON.stringify(info),
        info.kubernetes_version,
        info.platform,
        info.node_count,
      ],
    );
    this.notify(session.clusterId);
  }

  /** Ends a cluster's stream for good (cluster deleted, credential revoked or rotated). */
  disconnect(clusterId: string, reason: string): void {
    this.infoStoredMs.delete(clusterId);
    this.securityEventMs.delete(clusterId);
    const s = this.sessions.get(clusterId);
    if (!s) return;
    this.sessions.delete(clusterId);
    this.byToken.delete(s.sessionToken);
    s.close(reason, false);
    // The agent cannot come back with its credential: the cluster is offline, not connected.
    this.db.query(
      `UPDATE clusters SET status = 'offline', last_heartbeat_at = to_timestamp($2::double precision / 1000),
         rtt_ms = coalesce($4, rtt_ms), last_error = $3 WHERE id = $1`,
      [clusterId, s.lastHeardMs, reason, s.rttMs],
    ).then(
      () => this.notify(clusterId),
      (err) => log.warn("could not record agent disconnect", { err }),
    );
  }

  /** Stores every live agent's heartbeat (bounded by `storeTimeoutMs`), then ends the streams. */
  async stop(storeTimeoutMs = 5_000): Promise<void> {
    clearInterval(this.timer);
    const stored = this.storeLiveHeartbeats().catch((err) =>
      log.warn("could not store the agents' last heartbeats", { err })
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([stored, new Promise((r) => (timer = setTimeout(r, storeTimeoutMs)))]);
    clearTimeout(timer);
    for (const s of [...this.sessions.values()]) {
      this.sessions.delete(s.clusterId);
      s.close("the dashboard is shutting down", true);
    }
    this.byToken.clear();
  }

  /** Called by the Tunnel handler with the request id from the agent's first frame. */
  claimTunnel(session: AgentSession, requestId: string, tunnel: OpenTunnel): boolean {
    const p = session.pending.get(requestId);
    if (!p) return false;
    session.pending.delete(requestId);
    clearTimeout(p.timer);
    p.open.resolve(tunnel);
    return true;
  }

  /** Called when the agent refuses an announced request (limits, path not allowed). */
  refuse(session: AgentSession, requestId: string, status: number, message: string): void {
    const p = session.pending.get(requestId);
    if (!p) return;
    session.pending.delete(requestId);
    clearTimeout(p.timer);
    p.open.reject(new TunnelRefusedError(status, message));
  }

  /** Carries one request through the cluster's agent. */
  async fetch(clusterId: string, req: Request): Promise<Response> {
    const s = this.sessions.get(clusterId);
    if (!s) throw new AgentUnavailableError("agent offline: the cluster's agent is not connected");
    if (s.inFlight + s.pending.size >= this.opts.maxInFlight) {
      throw new AgentUnavailableError(
        `agent busy: ${this.opts.maxInFlight} requests already in flight`,
      );
    }
    const url = new URL(req.url);
    const isWatch = req.method === "GET" && /^(true|1)$/.test(url.searchParams.get("watch") ?? "");
    const requestId = crypto.randomUUID();
    const headers = [...req.headers].map(([name, value]) => ({ name, value }));
    let work: Work;
    if (isWatch) {
      url.searchParams.delete("watch");
      const rv = url.searchParams.get("resourceVersion") ?? "";
      url.searchParams.delete("resourceVersion");
      work = {
        watch: {
          request_id: requestId,
          path: url.pathname + url.search,
          resource_version: rv,
          headers,
        },
      };
    } else {
      work = {
        request: {
          request_id: requestId,
          method: req.method,
          path: url.pathname + url.search,
          headers,
          has_body: req.body !== null,
        },
      };
    }
    let tunnel = this.takeIdle(s);
    if (tunnel) tunnel.call.write(work);
    else tunnel = await this.announce(s, requestId, work, req.signal);
    return this.exchange(s, tunnel, req, isWatch);
  }

  /** The most recently used idle tunnel that is still open, if any. */
  private takeIdle(s: AgentSession): OpenTunnel | undefined {
    for (let t = s.idle.pop(); t; t = s.idle.pop()) {
      if (t.idleRead && !t.call.destroyed && !t.call.writableEnded) return t;
    }
    return undefined;
  }

  /** Announces the request on the control stream and waits for the agent's tunnel for it. */
  private async announce(
    s: AgentSession,
    requestId: string,
    work: Work,
    signal: AbortSignal,
  ): Promise<OpenTunnel> {
    const open = Promise.withResolvers<OpenTunnel>();
    const timer = setTimeout(() => {
      s.pending.delete(requestId);
      // So that a late agent does not run a request whose client already got 503.
      s.send({ watch_stop: { request_id: requestId } });
      open.reject(new AgentUnavailableError("agent did not answer in time"));
    }, this.opts.openTimeoutMs);
    s.pending.set(requestId, { open, timer });
    const onAbort = () => {
      if (s.pending.delete(requestId)) {
        clearTimeout(timer);
        s.send({ watch_stop: { request_id: requestId } });
        open.reject(signal.reason ?? new DOMException("aborted", "AbortError"));
      }
    };
    signal.addEventListener("abort", onAbort, { once: true });
    s.send(work.request ? { k8s_request: work.request } : { watch_start: work.watch });
    try {
      return await open.promise;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Sends the request's body on the tunnel and turns the agent's frames into the Response. */
  private async exchange(
    s: AgentSession,
    tunnel: OpenTunnel,
    req: Request,
    isWatch: boolean,
  ): Promise<Response> {
    const { call } = tunnel;
    s.inFlight++;
    let released = false;
    // The control stream ended (agent gone, heartbeat missed, cluster deleted): fail the tunnel
    // now rather than when its connection times out; a pending read rejects with this.
    let dropped = "";
    const drop = (reason: string) => {
      dropped = `agent offline: ${reason}`;
      if (call.writableEnded || call.destroyed) return;
      call.emit(
        "error",
        Object.assign(new AgentUnavailableError(dropped), {
          code: grpcStatus.UNAVAILABLE,
          details: dropped,
        }),
      );
    };
    if (s.closed) drop("the control stream ended");
    else s.tunnels.add(drop);
    const release = () => {
      if (released) return;
      released = true;
      s.inFlight--;
      s.tunnels.delete(drop);
      req.signal.removeEventListener("abort", cancel);
      call.off("close", release);
      call.off("error", release);
    };
    let cancelled = false;
    const cancel = () => {
      cancelled = true;
      if (!call.writableEnded) {
        call.write({ end: { error: "cancelled by the client" } });
        call.end();
      }
      release();
    };
    req.signal.addEventListener("abort", cancel, { once: true });
    call.on("close", release);
    call.on("error", release);
    // The request is sent in full once its body's end frame is written (a request without a
    // body, and a watch, have no end frame); only then is the tunnel reusable.
    let requestSent = false;
    const body = isWatch ? null : req.body;
    if (body) this.pumpBody(body, call).then(() => requestSent = true, cancel);
    else requestSent = true;
    // The response ended cleanly: the tunnel serves the next request, unless its request side
    // is not complete (the agent answered before reading the whole body).
    const completed = () => {
      release();
      if (requestSent && !cancelled) this.offerIdle(s, tunnel);
      else if (!call.writableEnded) call.end();
    };

    let first: TunnelUp__Output | undefined;
    try {
      const r = await nextFrame(tunnel);
      first = r.done ? undefined : r.value;
    } catch {
      first = undefined;
    }
    if (!first?.response) {
      cancel();
      throw new AgentUnavailableError(
        dropped || first?.end?.error || "the agent closed the request before answering",
      );
    }
    const head = first.response;
    const outHeaders = new Headers();
    for (const h of head.headers) outHeaders.append(h.name, h.value);
    const noBody = head.status === 204 || head.status === 304;
    if (head.complete) {
      completed();
      // A view into the decoded message (a Node Buffer), not a copy.
      const whole = head.body as unknown as Uint8Array<ArrayBuffer>;
      return new Response(noBody ? null : whole, { status: head.status, headers: outHeaders });
    }
    const encoder = new TextEncoder();
    // Everything else streams, pulled frame by frame as the client reads.
    const stream = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        try {
          const next = await nextFrame(tunnel);
          if (next.done) {
            release();
            ctrl.error(new Error("the agent's stream ended without finishing the response"));
            return;
          }
          const f = next.value;
          if (f.body) ctrl.enqueue(f.body.data);
          else if (f.watch_event) {
            const e = f.watch_event;
            ctrl.enqueue(encoder.encode(`{"type":${JSON.stringify(e.type)},"object":`));
            ctrl.enqueue(e.object);
            ctrl.enqueue(encoder.encode("}\n"));
          } else if (f.end) {
            if (f.end.error) {
              release();
              call.end();
              ctrl.error(new Error(f.end.error));
            } else {
              completed();
              ctrl.close();
            }
          }
        } catch (err) {
          release();
          // After the client went away the call's premature close is expected: nobody to tell.
          if (!cancelled) ctrl.error(err);
        }
      },
      cancel,
    }, { highWaterMark: 4 });
    return new Response(noBody ? null : stream, { status: head.status, headers: outHeaders });
  }

  /** Streams a request body to the agent in chunks, waiting for 'drain' when gRPC pushes back. */
  private async pumpBody(body: ReadableStream<Uint8Array>, call: TunnelCall): Promise<void> {
    for await (const chunk of body) {
      for (let off = 0; off < chunk.length; off += CHUNK_BYTES) {
        if (call.writableEnded) return;
        if (!call.write({ body: { data: chunk.subarray(off, off + CHUNK_BYTES) } })) {
          await once(call, "drain");
        }
      }
    }
    if (!call.writableEnded) call.write({ end: { error: "" } });
  }
}

export class TunnelRefusedError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}
