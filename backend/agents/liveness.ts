// Whether agents are alive: pings both ways on the control stream (an agent's pings are answered
// and report its RTT; the dashboard pings only an agent that went quiet), and the tick that runs
// every heartbeat interval H: it closes streams silent past the deadline, ends idle tunnel lines
// unused for a while, renews this replica's lease, sweeps clusters held by replicas whose lease
// lapsed, and moves agent clusters that stayed
// "reconnecting" too long to "offline". deriveAgentStatus states the thresholds; the tick and the
// sweep apply them.
import type { Ping__Output } from "../../proto/gen/agent/v1/Ping.ts";
import type { Pong__Output } from "../../proto/gen/agent/v1/Pong.ts";
import { log } from "../../common/log.ts";
import type { ClusterStore } from "../cluster/store.ts";
import type { AgentSession, SessionRegistry } from "./sessions.ts";
import type { Replica } from "../replicas/replica.ts";
import { trimIdle } from "./tunnels.ts";

/** A live stream silent for more than this many heartbeat intervals is closed. */
export const DEADLINE_HEARTBEATS = 2.5;
/** An agent cluster silent for more than this many heartbeat intervals is offline. */
export const OFFLINE_HEARTBEATS = 9;

export type AgentStatus = "connected" | "reconnecting" | "offline" | "pending";

/** Status of an agent cluster from what was last heard of it, as documented in docs/protocol.md. */
export function deriveAgentStatus(
  live: boolean,
  lastHeardMs: number | null,
  nowMs: number,
  heartbeatMs: number,
): AgentStatus {
  if (lastHeardMs === null) return "pending";
  const silent = nowMs - lastHeardMs;
  if (live && silent <= DEADLINE_HEARTBEATS * heartbeatMs) return "connected";
  return silent <= OFFLINE_HEARTBEATS * heartbeatMs ? "reconnecting" : "offline";
}

/** Answers an agent's ping; its report of its own RTT is kept. */
export function answerPing(session: AgentSession, ping: Ping__Output): void {
  session.send({ pong: { seq: ping.seq, ping_sent_at_ms: ping.sent_at_ms } });
  session.pings.reported(ping.last_rtt_ms);
}

/** The agent's answer to the dashboard's ping. */
export function takePong(session: AgentSession, pong: Pong__Output): void {
  session.pings.pong(pong.seq);
}

export interface LivenessOptions {
  heartbeatMs: number;
  idleTunnels: number;
  idleTunnelTtlMs: number;
}

export class Liveness {
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly sessions: SessionRegistry,
    private readonly clusters: ClusterStore,
    private readonly replica: Replica,
    private readonly opts: LivenessOptions,
    /** Ends a session that missed its deadline (the hub detaches and closes it). */
    private readonly expire: (s: AgentSession, reason: string) => void,
    private readonly notify: (clusterId: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(
      () => this.tick().catch((err) => log.warn("agent heartbeat tick failed", { err })),
      this.opts.heartbeatMs,
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async tick(): Promise<void> {
    const now = Date.now();
    const H = this.opts.heartbeatMs;
    for (const s of this.sessions.values()) {
      trimIdle(s, now, this.opts.idleTunnels, this.opts.idleTunnelTtlMs);
      if (deriveAgentStatus(true, s.lastHeardMs, now, H) !== "connected") {
        log.warn("agent silent past its heartbeat deadline; closing its stream", {
          cluster: s.clusterName,
        });
        this.expire(s, "heartbeat deadline missed");
      } else if (now - s.lastHeardMs >= H) {
        // An agent pings every interval and its pings prove it alive (their RTT is the agent's
        // measurement); the dashboard pings only an agent that has gone quiet.
        s.ping();
      }
    }
    // One row, not one per agent: live agents' heartbeats stay in memory (liveHeartbeat), and
    // this replica's lease vouches for them to the others.
    await this.replica.renew();
    // Clusters held by a replica whose lease lapsed are no longer connected.
    for (const id of await this.clusters.sweepOrphanedAgents(this.replica.leaseMs)) {
      if (!this.sessions.has(id)) this.notify(id);
    }
    // The sweep's threshold is deriveAgentStatus's: a stream gone and silent past it is offline.
    const offline = await this.clusters.sweepOffline(OFFLINE_HEARTBEATS * H);
    for (const id of offline) if (!this.sessions.has(id)) this.notify(id);
  }
}
