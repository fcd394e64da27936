// The agent's dialer, its connection to the dashboard: registers once with the token (then keeps
// the credential), holds the control stream, answers heartbeats, runs tunnelled requests, watches
// and upgraded streams (exec, attach, port-forward) with one concurrency bound, reports
// ClusterInfo on connect and when it changes, and reconnects forever with exponential backoff and
// full jitter (cap 30 s).
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import {
  CHANNEL_OPTIONS,
  clusterAgent,
  PINNED_SERVER_NAME,
  PROTOCOL_VERSION,
} from "../proto/wire.ts";
import type { ClusterAgentClient } from "../proto/gen/agent/v1/ClusterAgent.ts";
import type { AgentMessage } from "../proto/gen/agent/v1/AgentMessage.ts";
import type { DashboardMessage__Output } from "../proto/gen/agent/v1/DashboardMessage.ts";
import type { ClusterInfo } from "../proto/gen/agent/v1/ClusterInfo.ts";
import { VERSION } from "../common/version.ts";
import { log } from "../common/log.ts";
import type { AgentConfig } from "./config.ts";
import { type ImpersonationPolicy, type KubeAccess, refuseImpersonation } from "./kube.ts";
import { admitTunnelled } from "./credential_guard.ts";
import type { CredentialStore, StoredCredential } from "./credentials.ts";
import { type Exchange, type ExchangeWork, type TunnelCall, workTarget } from "./tunnel.ts";
import { TunnelPool } from "./tunnel_pool.ts";
import { failTunnel, proxyRequest } from "./proxy.ts";
import { runWatch } from "./watcher.ts";
import { runStream } from "./stream.ts";
import { collectClusterInfo } from "./discovery.ts";
import { Heartbeat } from "./heartbeat.ts";
import { fetchPinnedCa, isIpAddress } from "./tls_pin.ts";

export type ConnectionState =
  | "starting"
  | "registering"
  | "connecting"
  | "connected"
  | "backoff"
  | "stopped";

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
const INFO_REFRESH_MS = 60_000;
/** Idle tunnels kept open at most, whatever the dashboard asks for. */
const MAX_IDLE_TUNNELS = 64;

/** The agent's gRPC channel options (the fleet benchmark's simulated agents use the same). */
export const AGENT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  ...CHANNEL_OPTIONS,
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.initial_reconnect_backoff_ms": 1_000,
  "grpc.max_reconnect_backoff_ms": BACKOFF_CAP_MS,
  // Request bodies (kubectl apply) flow towards the agent; 64 KiB windows would throttle them.
  "grpc-node.flow_control_window": 1024 * 1024,
};

/** Reconnecting after a Goodbye that asks to: a random delay below this (spreads a fleet). */
const MOVE_JITTER_MS = 300;

/** Full jitter: a random delay between 0 and min(cap, base * 2^attempt). */
export function backoffDelay(attempt: number, random = Math.random): number {
  return Math.floor(
    random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 20)),
  );
}

type ControlCall = grpc.ClientDuplexStream<AgentMessage, DashboardMessage__Output>;

export class Dialer {
  state: ConnectionState = "starting";
  /** Whether the current stream got StreamAccepted. */
  private accepted = false;
  /** Whether the dashboard refused the stored credential (deleted cluster, rotation). */
  private credentialRejected = false;
  lastError = "";
  private client?: ClusterAgentClient;
  /**
   * Set when the next stream should go over a new connection: the dashboard replica said goodbye
   * with reconnect (it is stopping) or refused the stream as unavailable; through a load balancer
   * a new connection can reach another replica, where the kept channel would not.
   */
  private freshChannel = false;
  /** The last stream ended with a Goodbye asking to reconnect (the replica is stopping). */
  private moving = false;
  private readonly running = new Map<string, Exchange>();
  private readonly stopping = new AbortController();
  /** Whether and as whom tunnelled work may impersonate (kube.ts refuseImpersonation). */
  private readonly impersonation: ImpersonationPolicy;

  constructor(
    private readonly cfg: AgentConfig,
    private readonly kube: KubeAccess,
    private readonly store: CredentialStore,
  ) {
    this.impersonation = {
      allowImpersonation: cfg.allowImpersonation,
      impersonationPrefix: cfg.impersonationPrefix,
    };
  }

  /** Runs until stop(); never gives up on its own. */
  async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopping.signal.aborted) {
      this.accepted = false;
      try {
        // The channel is kept across streams (grpc-js reconnects it): closing it would send a
        // GOAWAY, and Deno's HTTP/2 can abort the receiving process on one (denoland/deno#36788).
        if (this.freshChannel) this.retireChannel();
        const client = await this.dial();
        let cred = await this.store.load();
        // No credential yet, or the dashboard refused it (rotated): a TOKEN (a new install
        // command's) registers again and replaces the stored credential.
        if (!cred || (this.credentialRejected && this.cfg.token)) {
          cred = await this.register(client);
        }
        this.credentialRejected = false;
        await this.stream(client, cred);
      } catch (err) {
        this.lastError = (err as Error).message;
        log.error("connection to the dashboard failed", { err: this.lastError });
      }
      if (this.stopping.signal.aborted) break;
      // A stream that was accepted restarts the backoff; jitter still spreads the reconnects. Told
      // to move (a dashboard replica stopping), it reconnects almost at once: requests for the
      // cluster wait for it meanwhile.
      attempt = this.accepted ? 1 : attempt + 1;
      const delay = this.moving
        ? Math.floor(Math.random() * MOVE_JITTER_MS)
        : backoffDelay(attempt);
      this.moving = false;
      this.state = "backoff";
      log.info("reconnecting", { in_ms: delay, attempt });
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        this.stopping.signal.addEventListener("abort", () => {
          clearTimeout(t);
          r();
        }, { once: true });
      });
    }
    this.state = "stopped";
  }

  /** Ends the stream and every request; the process exits next (the channel is not closed). */
  stop(): void {
    this.stopping.abort();
    for (const t of this.running.values()) t.abort("agent stopping");
  }

  /**
   * Forgets the channel for the next dial. It is closed once its connection is gone: closing a
   * connected channel would send the GOAWAY above, and requests still in flight on it finish.
   */
  private retireChannel(): void {
    this.freshChannel = false;
    const old = this.client;
    this.client = undefined;
    if (!old) return;
    const channel = old.getChannel();
    const closeWhenDisconnected = () => {
      const state = channel.getConnectivityState(false);
      if (state !== grpc.connectivityState.READY && state !== grpc.connectivityState.CONNECTING) {
        old.close();
        return;
      }
      channel.watchConnectivityState(state, Date.now() + 3600_000, closeWhenDisconnected);
    };
    closeWhenDisconnected();
  }

  private async dial(): Promise<ClusterAgentClient> {
    if (this.client) return this.client;
    const url = this.cfg.dashboardUrl;
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const options: grpc.ChannelOptions = { ...AGENT_CHANNEL_OPTIONS };
    let creds: grpc.ChannelCredentials;
    if (this.cfg.insecure) {
      creds = grpc.credentials.createInsecure();
    } else {
      let ca: string | undefined;
      if (this.cfg.caHash) {
        // Deno's TLS client refuses IP addresses as server names: verify the pinned name instead.
        const servername = isIpAddress(host) ? PINNED_SERVER_NAME : undefined;
        ca = await fetchPinnedCa(host, port, this.cfg.caHash, servername);
        if (servername) options["grpc.ssl_target_name_override"] = servername;
      }
      creds = grpc.credentials.createSsl(ca ? Buffer.from(ca) : null);
    }
    const Client = clusterAgent();
    const target = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    this.client = new Client(target, creds, options) as unknown as ClusterAgentClient;
    return this.client;
  }

  private async register(client: ClusterAgentClient): Promise<StoredCredential> {
    if (!this.cfg.token) {
      throw new Error(
        `no stored credential in ${this.store.where} and no TOKEN to register with; reinstall the agent with a new install command`,
      );
    }
    this.state = "registering";
    const info = await collectClusterInfo(this.kube).catch(() => null);
    const res = await new Promise<{ cluster_id: string; cluster_name: string; credential: string }>(
      (resolve, reject) =>
        client.Register(
          {
            token: this.cfg.token!,
            protocol_version: PROTOCOL_VERSION,
            agent_version: VERSION,
            // Without names: the dashboard ignores it here and limits Register to 64 KiB.
            cluster_info: info && { ...info, namespaces: [], crds: [] },
          },
          { deadline: Date.now() + 30_000 },
          (err, r) =>
            err
              ? reject(new Error(`registration refused: ${err.details || err.message}`))
              : resolve(r!),
        ),
    );
    if (this.cfg.clusterName && this.cfg.clusterName !== res.cluster_name) {
      log.warn("the dashboard registered this cluster under another name", {
        expected: this.cfg.clusterName,
        got: res.cluster_name,
      });
    }
    const cred = {
      credential: res.credential,
      cluster_id: res.cluster_id,
      cluster_name: res.cluster_name,
    };
    await this.store.save(cred);
    log.info("registered with the dashboard", {
      cluster: res.cluster_name,
      cluster_id: res.cluster_id,
      stored_in: this.store.where,
    });
    return cred;
  }

  /** One control stream, from hello to its end. */
  private stream(client: ClusterAgentClient, cred: StoredCredential): Promise<void> {
    this.state = "connecting";
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${cred.credential}`);
    const call = client.Stream(md) as unknown as ControlCall;
    const send = (m: AgentMessage) => {
      if (!call.writableEnded) call.write(m);
    };
    let pool: TunnelPool | undefined;
    let lastInfo = "";
    let infoTimer: ReturnType<typeof setInterval> | undefined;
    const heartbeat = new Heartbeat((ping) => send({ ping }), () => {
      log.warn("no heartbeat from the dashboard within the deadline; reconnecting");
      call.cancel();
    });
    const reportInfo = async () => {
      const info: ClusterInfo = await collectClusterInfo(this.kube);
      const key = JSON.stringify(info);
      if (key !== lastInfo) {
        lastInfo = key;
        send({ cluster_info: info });
      }
    };

    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const done = (err?: Error) => {
        if (settled) return;
        settled = true;
        heartbeat.stop();
        clearInterval(infoTimer);
        pool?.stop("control stream ended");
        // Told to move (its replica is stopping), requests in flight finish on their tunnels,
        // which that replica keeps open for them; otherwise nobody is left to answer them.
        if (!this.moving) {
          for (const [id, t] of this.running) {
            t.abort("control stream ended");
            this.running.delete(id);
          }
        }
        if (this.state === "connected") this.state = "connecting";
        if (err) reject(err);
        else resolve();
      };
      const onStop = () => call.cancel();
      this.stopping.signal.addEventListener("abort", onStop, { once: true });

      call.on("data", (msg: DashboardMessage__Output) => {
        heartbeat.heard();
        switch (msg.msg) {
          case "accepted": {
            const a = msg.accepted!;
            pool?.stop("replaced by a new session");
            pool = new TunnelPool(
              () => this.tunnelCall(client, a.session_token),
              Math.min(a.idle_tunnels, a.max_idle_tunnels, MAX_IDLE_TUNNELS),
              (tunnel, work) => this.runPooled(tunnel, work),
            );
            pool.replenish();
            this.state = "connected";
            this.accepted = true;
            this.lastError = "";
            heartbeat.start(Math.max(200, a.heartbeat_interval_ms || 10_000));
            clearInterval(infoTimer);
            infoTimer = setInterval(
              () => reportInfo().catch((err) => log.warn("cluster info refresh failed", { err })),
              INFO_REFRESH_MS,
            );
            log.info("connected to the dashboard", { cluster: a.cluster_name });
            break;
          }
          case "ping":
            send({ pong: { seq: msg.ping!.seq, ping_sent_at_ms: msg.ping!.sent_at_ms } });
            break;
          case "pong":
            heartbeat.pings.pong(msg.pong!.seq);
            break;
          case "k8s_request":
          case "watch_start":
          case "stream_start": {
            const work: ExchangeWork = msg.k8s_request
              ? { request: msg.k8s_request }
              : msg.watch_start
              ? { watch: msg.watch_start }
              : { stream: msg.stream_start! };
            const id = workTarget(work).request_id;
            const refused = pool ? this.refusal(work) : { status: 503, why: "not ready" };
            if (refused) {
              send({
                tunnel_refused: {
                  request_id: id,
                  http_status: refused.status,
                  message: refused.why,
                },
              });
              break;
            }
            const tunnel = pool!.announced(id, work.request?.has_body ?? false);
            // The pool opens lines for requests; no frame has arrived on it yet.
            if (work.stream) tunnel.beginStream();
            this.runWork(tunnel, work);
            break;
          }
          case "watch_stop": {
            const id = msg.watch_stop!.request_id;
            this.running.get(id)?.abort("stopped by the dashboard");
            this.running.delete(id);
            break;
          }
          case "goodbye":
            if (msg.goodbye!.reconnect) this.freshChannel = this.moving = true;
            log.warn("the dashboard closed the stream", {
              reason: msg.goodbye!.reason,
              reconnect: msg.goodbye!.reconnect,
            });
            break;
          default:
            log.warn("unexpected message from the dashboard", { message: msg.msg ?? "empty" });
        }
      });
      call.on("error", (err: grpc.ServiceError) => {
        this.stopping.signal.removeEventListener("abort", onStop);
        if (err.code === grpc.status.CANCELLED && this.stopping.signal.aborted) return done();
        if (err.code === grpc.status.UNAUTHENTICATED) this.credentialRejected = true;
        if (err.code === grpc.status.UNAVAILABLE) this.freshChannel = true;
        done(new Error(`stream ended: ${err.details || err.message}`));
      });
      call.on("end", () => {
        this.stopping.signal.removeEventListener("abort", onStop);
        done();
      });

      // Hello goes out quickly (the dashboard waits 10 s for it); slower info follows later.
      collectClusterInfo(this.kube, AbortSignal.timeout(5_000)).then(
        (info) => {
          lastInfo = JSON.stringify(info);
          send({
            hello: {
              protocol_version: PROTOCOL_VERSION,
              agent_version: VERSION,
              cluster_info: info,
            },
          });
        },
        (err) => {
          log.warn("could not collect cluster info before connecting", { err });
          send({ hello: { protocol_version: PROTOCOL_VERSION, agent_version: VERSION } });
        },
      );
    });
  }

  /** Why the agent will not run this request, watch or stream now, or null. */
  private refusal(work: ExchangeWork): { status: number; why: string } | null {
    if (this.running.size >= this.cfg.maxConcurrentRequests) {
      return {
        status: 429,
        why: `the agent is at its limit of ${this.cfg.maxConcurrentRequests} concurrent requests`,
      };
    }
    // The path allow-list, and the credential Secret's guard (which may narrow the path).
    const why = admitTunnelled(work, this.store.secret);
    if (why) return { status: 403, why };
    // Impersonation the agent will not do (kube.ts refuseImpersonation): never sent on without it.
    const headers = (work.request ?? work.watch ?? work.stream).headers;
    const refused = refuseImpersonation(headers, this.impersonation);
    return refused ? { status: 403, why: refused } : null;
  }

  /** A request handed to an idle tunnel: refusals are answered on the tunnel itself. */
  private runPooled(tunnel: Exchange, work: ExchangeWork): void {
    const refused = this.refusal(work);
    if (refused) {
      failTunnel(tunnel, false, refused.status, refused.why);
      return;
    }
    this.runWork(tunnel, work);
  }

  private runWork(tunnel: Exchange, work: ExchangeWork): void {
    const id = workTarget(work).request_id;
    this.running.set(id, tunnel);
    const opts = this.impersonation;
    const done = work.request
      ? proxyRequest(this.kube, work.request, tunnel, opts)
      : work.watch
      ? runWatch(this.kube, work.watch, tunnel, opts)
      : runStream(this.kube, work.stream, tunnel, opts);
    done.catch((err) => log.warn("tunnelled request failed", { err }))
      .finally(() => this.running.delete(id));
  }

  private tunnelCall(client: ClusterAgentClient, sessionToken: string): TunnelCall {
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${sessionToken}`);
    return client.Tunnel(md) as unknown as TunnelCall;
  }
}
