// One AgentSession per connected agent (its control stream, what is pending and idle on it, when
// it was last heard), and the registry of live sessions: by cluster, and by the session token
// its tunnels present.
import type * as grpc from "@grpc/grpc-js";
import type { DashboardMessage } from "../../proto/gen/agent/v1/DashboardMessage.ts";
import type { StreamAccepted } from "../../proto/gen/agent/v1/StreamAccepted.ts";
import type { AgentMessage__Output } from "../../proto/gen/agent/v1/AgentMessage.ts";
import { PingTracker } from "../../proto/ping.ts";
import { PROTOCOL_VERSION } from "../../proto/wire.ts";
import { randomToken } from "../crypto/encoding.ts";
import type { AgentClusterInfo } from "../cluster/store.ts";
import { AgentUnavailableError } from "./errors.ts";
import type { Pending, TunnelLine } from "./tunnels.ts";

export type ControlCall = grpc.ServerDuplexStream<AgentMessage__Output, DashboardMessage>;

export class AgentSession {
  readonly sessionToken = randomToken("kss");
  /** Announced requests waiting for the agent's tunnel, by request id. */
  readonly pending = new Map<string, Pending>();
  /** Idle tunnel lines, the most recently used last. */
  readonly idle: TunnelLine[] = [];
  /** Exchanges in flight, each with the function that fails it when the stream goes away. */
  readonly tunnels = new Set<(reason: string) => void>();
  /** The watches among them. */
  readonly watches = new Set<(reason: string) => void>();
  inFlight = 0;
  lastHeardMs = Date.now();
  readonly pings = new PingTracker();
  closed = false;
  /** The agent's address (host:port), for logs and security events. */
  readonly peer: string;
  /** ClusterInfo held back by the update-rate bound, and the timer that stores it. */
  pendingInfo?: AgentClusterInfo;
  infoTimer?: ReturnType<typeof setTimeout>;
  /** Resolved when the agent has been told its stream is accepted; rejected when it closes first. */
  private readonly accepted = Promise.withResolvers<void>();
  private isAccepted = false;
  /** Probes waiting for anything from the agent (see answers()). */
  private readonly waiters = new Set<(alive: boolean) => void>();

  constructor(
    readonly clusterId: string,
    readonly clusterName: string,
    readonly agentVersion: string,
    readonly call: ControlCall,
    /** The protocol version the agent's hello named (what it can be asked to do). */
    readonly protocolVersion = PROTOCOL_VERSION,
  ) {
    let peer = "unknown";
    try {
      peer = call.getPeer();
    } catch { /* the call is already gone */ }
    this.peer = peer;
    // Nobody may be waiting when the stream closes before it was accepted.
    this.accepted.promise.catch(() => {});
  }

  /** Tells the agent its stream is accepted; requests may use the session from now on. */
  accept(accepted: StreamAccepted): void {
    this.send({ accepted });
    this.isAccepted = true;
    this.accepted.resolve();
  }

  /** Resolves once the stream is accepted; fails with 503 when it is not within `ms` or closes. */
  async acceptedWithin(ms: number): Promise<void> {
    if (this.isAccepted) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AgentUnavailableError("agent offline: its stream is still being set up")),
        ms,
      );
    });
    try {
      await Promise.race([this.accepted.promise, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  send(msg: DashboardMessage): void {
    if (!this.closed && !this.call.writableEnded) this.call.write(msg);
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
   * Ends the control stream but not the requests in flight on its tunnels (a draining replica's
   * sessions): the agent is told to reconnect, announced requests fail with 503 and idle lines
   * end; tunnels carry on until their requests end or close().
   */
  retire(reason: string): void {
    if (this.closed) return;
    this.send({ goodbye: { reason, reconnect: true } });
    this.failPending(reason);
    for (const t of this.idle.splice(0)) t.call.end();
    this.call.end();
  }

  private failPending(reason: string): void {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.open.reject(new AgentUnavailableError(`agent offline: ${reason}`));
    }
    this.pending.clear();
  }

  /**
   * Ends the control stream; pending requests fail at once with 503, and requests already
   * tunnelled end too (their tunnel may sit on a connection that is not coming back).
   */
  close(reason: string, reconnect: boolean): void {
    if (this.closed) return;
    this.send({ goodbye: { reason, reconnect } });
    this.closed = true;
    this.accepted.reject(new AgentUnavailableError(`agent offline: ${reason}`));
    for (const w of [...this.waiters]) w(false);
    clearTimeout(this.infoTimer);
    this.pendingInfo = undefined;
    this.failPending(reason);
    for (const drop of [...this.tunnels]) drop(reason);
    this.tunnels.clear();
    this.watches.clear();
    for (const t of this.idle.splice(0)) t.call.end();
    this.call.end();
  }
}

/** The live sessions: at most one per cluster, and every one by its session token. */
export class SessionRegistry {
  private readonly byCluster = new Map<string, AgentSession>();
  private readonly tokens = new Map<string, AgentSession>();

  get size(): number {
    return this.byCluster.size;
  }

  get(clusterId: string): AgentSession | undefined {
    return this.byCluster.get(clusterId);
  }

  has(clusterId: string): boolean {
    return this.byCluster.has(clusterId);
  }

  byToken(token: string): AgentSession | undefined {
    return this.tokens.get(token);
  }

  values(): IterableIterator<AgentSession> {
    return this.byCluster.values();
  }

  /** Makes `session` its cluster's live session. */
  add(session: AgentSession): void {
    this.byCluster.set(session.clusterId, session);
    this.tokens.set(session.sessionToken, session);
  }

  /** Forgets the session's token; returns whether it was its cluster's live session (now gone). */
  remove(session: AgentSession): boolean {
    this.tokens.delete(session.sessionToken);
    if (this.byCluster.get(session.clusterId) !== session) return false;
    this.byCluster.delete(session.clusterId);
    return true;
  }

  clear(): void {
    this.byCluster.clear();
    this.tokens.clear();
  }
}
