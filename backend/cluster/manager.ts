// ClusterManager: the only way any handler reaches a cluster. client(id) returns the cluster's
// ClusterClient whatever its connection type, built by that type's connector (connectors/:
// kubeconfig, direct HTTPS; agent, the gRPC tunnel), each given to the constructor. It also keeps
// kubeconfig clusters' status fresh with periodic, bounded-concurrency checks.
import { type ClusterClient, clusterSummary, ClusterUnavailableError } from "./client.ts";
import type { Cluster, ClusterStore, ConnectionType } from "./store.ts";
import { log } from "../../common/log.ts";

/** Builds the client of one cluster of its connection type. */
export type Connector = (cluster: Cluster) => Promise<ClusterClient>;

export class ClusterManager {
  private readonly clients = new Map<string, Promise<ClusterClient>>();
  private checkTimer?: ReturnType<typeof setInterval>;
  /** Listeners told whenever a cluster's stored status changes (the UI's live stream). */
  readonly statusListeners = new Set<(clusterId: string) => void>();
  /** Listeners told when a cluster is deleted (the agent hub ends its stream). */
  readonly removalListeners = new Set<(clusterId: string) => void>();

  constructor(
    readonly store: ClusterStore,
    private readonly connectors: Readonly<Record<ConnectionType, Connector>>,
  ) {}

  async client(id: string): Promise<ClusterClient> {
    let p = this.clients.get(id);
    if (!p) {
      p = this.store.get(id).then((c) => {
        const connect = this.connectors[c.connection_type];
        if (!connect) throw new Error(`no connector for connection type ${c.connection_type}`);
        return connect(c);
      });
      this.clients.set(id, p);
      p.catch(() => this.clients.delete(id));
    }
    return await p;
  }

  /** Drops the cached client (after an edit or delete), closing its connections. */
  invalidate(id: string): void {
    const p = this.clients.get(id);
    this.clients.delete(id);
    p?.then((c) => c.close(), () => {});
  }

  /** After a cluster was deleted: drop its client and tell listeners. */
  removed(id: string): void {
    this.invalidate(id);
    for (const l of this.removalListeners) l(id);
    this.notifyStatus(id);
  }

  notifyStatus(id: string): void {
    for (const l of this.statusListeners) l(id);
  }

  /** Checks one kubeconfig cluster's reachability and records version and node count. */
  async check(id: string): Promise<void> {
    const signal = AbortSignal.timeout(10_000);
    try {
      const s = await clusterSummary(await this.client(id), signal);
      await this.store.setStatus(id, {
        status: "connected",
        kubernetes_version: s.kubernetesVersion,
        platform: s.platform,
        node_count: s.nodeCount,
      });
    } catch (err) {
      const why = err instanceof ClusterUnavailableError ? err.detail : (err as Error).message;
      await this.store.setStatus(id, { status: "unreachable", last_error: why });
    }
    this.notifyStatus(id);
  }

  /** Periodically re-checks every kubeconfig cluster, at most `concurrency` at once. */
  startChecks(intervalMs = 30_000, concurrency = 4): void {
    let running = false;
    const run = async () => {
      // A round still going (slow or timing-out clusters) is not overlapped by the next.
      if (running) return;
      running = true;
      try {
        await checkAll();
      } finally {
        running = false;
      }
    };
    const checkAll = async () => {
      const ids = await this.store.kubeconfigClusterIds();
      const workers = Array.from({ length: concurrency }, async () => {
        for (let id = ids.shift(); id; id = ids.shift()) await this.check(id);
      });
      await Promise.all(workers);
    };
    this.checkTimer = setInterval(
      () => run().catch((err) => log.warn("cluster checks failed", { err })),
      intervalMs,
    );
  }

  close(): void {
    clearInterval(this.checkTimer);
    for (const id of [...this.clients.keys()]) this.invalidate(id);
  }
}
