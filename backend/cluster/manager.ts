// ClusterManager: the only way any handler reaches a cluster. client(id) returns the cluster's
// ClusterClient whatever its connection type, built by that type's connector (connectors/:
// kubeconfig, direct HTTPS; agent, the gRPC tunnel), each given to the constructor. It also keeps
// kubeconfig clusters' status fresh with periodic, bounded-concurrency checks. forPerson(id,
// person) is what every route acting for someone uses: it decides the person's role on the
// cluster (404 when none, as if the cluster did not exist) and, for clusters set to impersonate,
// returns a client that acts as the person. A cluster's events (status changed, settings
// changed, deleted) go through announce, so that every replica on the database applies them
// (replicas/bus.ts); a lone process applies them itself.
import { type ClusterClient, clusterSummary, ClusterUnavailableError } from "./client.ts";
import type { Cluster, ClusterListItem, ClusterStore, ConnectionType } from "./store.ts";
import type { ClusterAccess, ClusterScope, Person } from "./access.ts";
import type { ClusterRole } from "../auth/roles.ts";
import { impersonatedIdentity, impersonating } from "./impersonation.ts";
import { notFound } from "../http/errors.ts";
import { log } from "../../common/log.ts";

/** Builds the client of one cluster of its connection type. */
export type Connector = (cluster: Cluster) => Promise<ClusterClient>;

/** A cluster as one person reaches it. */
export interface PersonalClient {
  /** The cluster as stored when its client was built (labels, impersonate, name, type). */
  cluster: Cluster;
  /** The person's role on it. */
  role: ClusterRole;
  /** Acts as the person when the cluster impersonates; otherwise the cluster's own client. */
  client: ClusterClient;
}

/** Who decides access and how impersonated names are prefixed. */
export interface Identity {
  access: ClusterAccess;
  impersonationPrefix: string;
}

/**
 * Something that happened to a cluster, applied by every replica: `status` (its stored status
 * changed: tell the status listeners), `changed` (its settings or kubeconfig were edited: also
 * drop the cached client), `removed` (it was deleted: also run the removal listeners).
 */
export interface ClusterEvent {
  kind: "status" | "changed" | "removed";
  id: string;
}

/** A cluster as shown to one person: with their role on it. */
export type WithRole<C> = C & { my_role: ClusterRole };

interface Connected {
  cluster: Cluster;
  client: ClusterClient;
}

export class ClusterManager {
  private readonly clients = new Map<string, Promise<Connected>>();
  private checkTimer?: ReturnType<typeof setInterval>;
  /** Listeners told whenever a cluster's stored status changes (the UI's live stream). */
  readonly statusListeners = new Set<(clusterId: string) => void>();
  /** Listeners told when a cluster is deleted (the agent hub ends its stream). */
  readonly removalListeners = new Set<(clusterId: string) => void>();
  /**
   * Announces a cluster event. By default it is applied here; with several replicas the replica
   * bus (replicas/bus.ts) applies it here at once and on every other replica.
   */
  announce: (event: ClusterEvent) => void = (event) => this.apply(event);

  constructor(
    readonly store: ClusterStore,
    private readonly connectors: Readonly<Record<ConnectionType, Connector>>,
    readonly identity?: Identity,
  ) {}

  private connected(id: string): Promise<Connected> {
    let p = this.clients.get(id);
    if (!p) {
      p = this.store.get(id).then(async (cluster) => {
        const connect = this.connectors[cluster.connection_type];
        if (!connect) {
          throw new Error(`no connector for connection type ${cluster.connection_type}`);
        }
        return { cluster, client: await connect(cluster) };
      });
      this.clients.set(id, p);
      p.catch(() => this.clients.delete(id));
    }
    return p;
  }

  /** The cluster's own client (the dashboard's identity: health checks, not people). */
  async client(id: string): Promise<ClusterClient> {
    return (await this.connected(id)).client;
  }

  /** The person's role on a cluster (null: none, the cluster is hidden from them). */
  async roleOf(person: Person, cluster: ClusterScope): Promise<ClusterRole | null> {
    if (this.identity) return await this.identity.access.roleOn(person, cluster);
    return person.role === "none" ? null : person.role;
  }

  /** The clusters the person holds a role on, each with `my_role`. */
  async listFor(person: Person): Promise<WithRole<ClusterListItem>[]> {
    const out: WithRole<ClusterListItem>[] = [];
    for (const c of await this.store.list()) {
      const role = await this.roleOf(person, c);
      if (role !== null) out.push({ ...c, my_role: role });
    }
    return out;
  }

  /** One cluster with the person's role; 404 when it does not exist or they hold none. */
  async getFor(id: string, person: Person): Promise<WithRole<Cluster>> {
    const c = await this.store.get(id);
    const role = await this.roleOf(person, c);
    if (role === null) throw notFound("cluster");
    return { ...c, my_role: role };
  }

  /**
   * The cluster as `person` reaches it; 404 when the cluster does not exist or the person holds
   * no role on it. Without an identity (tests of other parts), the global role decides alone.
   */
  async forPerson(id: string, person: Person): Promise<PersonalClient> {
    const { cluster, client } = await this.connected(id);
    const role = await this.roleOf(person, cluster);
    if (role === null) throw notFound("cluster");
    if (!cluster.impersonate || !this.identity) return { cluster, role, client };
    const who = impersonatedIdentity(person, role, this.identity.impersonationPrefix);
    return { cluster, role, client: impersonating(client, who) };
  }

  /** Drops the cached client (after an edit or delete), closing its connections. */
  invalidate(id: string): void {
    const p = this.clients.get(id);
    this.clients.delete(id);
    p?.then((c) => c.client.close(), () => {});
  }

  /** After a cluster's settings or kubeconfig were edited: every replica drops its client. */
  changed(id: string): void {
    this.announce({ kind: "changed", id });
  }

  /** After a cluster was deleted: every replica drops its client and tells its listeners. */
  removed(id: string): void {
    this.announce({ kind: "removed", id });
  }

  /** After a cluster's stored status changed: every replica tells its status listeners. */
  notifyStatus(id: string): void {
    this.announce({ kind: "status", id });
  }

  /** Applies a cluster event on this replica (announced here or by another replica). */
  apply(event: ClusterEvent): void {
    const { kind, id } = event;
    if (kind !== "status") this.invalidate(id);
    if (kind === "removed") { for (const l of this.removalListeners) l(id); }
    for (const l of this.statusListeners) l(id);
  }

  /**
   * After a gap in which other replicas' events may have been lost: every cached client is
   * dropped, those of clusters deleted meanwhile as a removal (their listeners run), and the
   * status listeners hear of every cluster.
   */
  async resync(): Promise<void> {
    // Taken first: a client cached before the list was read is of a cluster the list shows,
    // unless it was deleted.
    const cached = [...this.clients.keys()];
    const ids = new Set((await this.store.list()).map((c) => c.id));
    for (const id of cached) {
      if (ids.has(id)) this.invalidate(id);
      else this.apply({ kind: "removed", id });
    }
    for (const id of ids) for (const l of this.statusListeners) l(id);
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
