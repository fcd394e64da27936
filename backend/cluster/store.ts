// Every query on the clusters table (and the agent hub's heartbeat row, which dates agent
// clusters after a crash): the REST handlers', the kubeconfig checks', the agent hub's status
// changes and the agent registry's. The encrypted kubeconfig never leaves this module except to
// the kubeconfig connector; API responses use the public columns only. Over 400 lines because
// it is the one home of that SQL; each method is one statement (or one transaction).
import type { Db, Queryable } from "../store/db.ts";
import { conflict, notFound } from "../http/errors.ts";

export type ConnectionType = "kubeconfig" | "agent";

export interface Cluster {
  id: string;
  name: string;
  connection_type: ConnectionType;
  agent_id: string | null;
  context: string | null;
  server: string | null;
  status: string;
  kubernetes_version: string | null;
  platform: string | null;
  node_count: number | null;
  last_error: string | null;
  last_checked_at: Date | null;
  agent_version: string | null;
  last_heartbeat_at: Date | null;
  /** The dashboard replica holding the agent's control stream (null: none). */
  agent_replica_id: string | null;
  rtt_ms: number | null;
  cluster_info: AgentClusterInfo | null;
  /** The last security event of an agent cluster (a second agent with its credential). */
  last_security_event: string | null;
  last_security_event_at: Date | null;
  /** Labels for per-cluster role bindings by selector (backend/cluster/access.ts). */
  labels: Record<string, string>;
  /** Requests for a person carry Impersonate-User/Group (backend/cluster/impersonation.ts). */
  impersonate: boolean;
  created_at: Date;
  updated_at: Date;
}

/** A cluster as listed (GET /api/clusters): ClusterInfo without its lists, only their lengths. */
export type ClusterListItem = Omit<Cluster, "cluster_info"> & {
  cluster_info: AgentClusterInfoSummary | null;
};

/** ClusterInfo in a list: the names stay on GET /api/clusters/{id}. */
export interface AgentClusterInfoSummary {
  kubernetes_version: string;
  platform: string;
  node_count: number | null;
  namespace_count: number;
  crd_count: number;
  truncated: boolean;
}

/** What a connected agent reports about its cluster (the ClusterInfo message). */
export interface AgentClusterInfo {
  kubernetes_version: string;
  platform: string;
  node_count: number | null;
  namespaces: string[];
  crds: string[];
  /** Set when the agent sent more names than the dashboard keeps (agents/cluster_info.ts, INFO_LIMITS). */
  truncated?: boolean;
}

/** A connected agent's latest heartbeat, which the agent hub holds in memory. */
export interface LiveHeartbeat {
  at: Date;
  rttMs: number | null;
}

/** Where live heartbeats come from (the agent hub); the stored ones are older while connected. */
export interface LiveHeartbeats {
  liveHeartbeat(clusterId: string): LiveHeartbeat | undefined;
}

/**
 * A connected agent's last heartbeat as any replica can tell it: the stored one (when its stream
 * was accepted), or the lease of the replica holding the stream when that is later. The holder
 * closes a stream silent for 2.5 heartbeat intervals, so while its lease is renewed the agent was
 * heard within ~3.5 intervals; the holder itself shows its own live value (withLiveHeartbeat).
 */
const LAST_HEARTBEAT =
  `CASE WHEN status = 'connected' AND agent_replica_id IS NOT NULL THEN GREATEST(last_heartbeat_at,
    (SELECT r.heartbeat_at FROM dashboard_replicas r WHERE r.id = clusters.agent_replica_id))
  ELSE last_heartbeat_at END AS last_heartbeat_at`;

export const CLUSTER_COLUMNS =
  `id, name, connection_type, agent_id, context, server, status, kubernetes_version,
  platform, node_count, last_error, last_checked_at, agent_version, ${LAST_HEARTBEAT}, rtt_ms, cluster_info,
  last_security_event, last_security_event_at, labels, impersonate, agent_replica_id, created_at, updated_at`;

const arrayLength = (key: string) =>
  `CASE jsonb_typeof(cluster_info->'${key}') WHEN 'array' THEN jsonb_array_length(cluster_info->'${key}') ELSE 0 END`;

/**
 * The list's columns: ClusterInfo with counts instead of the namespace and CRD names, built in
 * SQL so the names never leave the database for a list (every viewer's page loads it), and
 * strings an agent reported cut to 256 characters (rows stored before the bounds existed).
 */
export const CLUSTER_LIST_COLUMNS =
  `id, name, connection_type, agent_id, context, server, status, left(kubernetes_version, 256) AS kubernetes_version,
  left(platform, 256) AS platform, node_count, last_error, last_checked_at, agent_version, ${LAST_HEARTBEAT}, rtt_ms,
  CASE WHEN cluster_info IS NULL THEN NULL ELSE jsonb_build_object(
    'kubernetes_version', left(coalesce(cluster_info->>'kubernetes_version', ''), 256),
    'platform', left(coalesce(cluster_info->>'platform', ''), 256),
    'node_count', cluster_info->'node_count',
    'namespace_count', ${arrayLength("namespaces")},
    'crd_count', ${arrayLength("crds")},
    'truncated', coalesce(cluster_info->'truncated', 'false'::jsonb)) END AS cluster_info,
  last_security_event, last_security_event_at, labels, impersonate, agent_replica_id, created_at, updated_at`;

export interface ClusterStatusUpdate {
  status: string;
  kubernetes_version?: string | null;
  platform?: string | null;
  node_count?: number | null;
  last_error?: string | null;
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === "23505";
}

/** Reads through clusters_kubeconfig_idx (migration 006), however many agent clusters there are. */
export const KUBECONFIG_IDS_SQL =
  "SELECT id FROM clusters WHERE connection_type = 'kubeconfig' ORDER BY name";

/**
 * The status sweep of every hub tick: agent clusters "reconnecting" for longer than $1 ms become
 * "offline". It reads through clusters_reconnecting_idx (migration 006), not the whole table.
 */
export const OFFLINE_SWEEP_SQL =
  `UPDATE clusters SET status = 'offline' WHERE connection_type = 'agent' AND status = 'reconnecting'
     AND (last_heartbeat_at IS NULL OR last_heartbeat_at < now() - $1::int * interval '1 millisecond')
   RETURNING id`;

/** What an agent's control stream ending records: when it was last heard, and why it ended. */
export interface AgentStreamEnd {
  lastHeardMs: number;
  reason: string;
  rttMs: number | null;
}

/** A new agent cluster, created by a registration. */
export interface NewAgentCluster {
  id: string;
  name: string;
  agentId: string;
  credentialHash: string;
  permissions: unknown;
  /** Requests for a person impersonate them (the default for the admin preset). */
  impersonate: boolean;
}

export class ClusterStore {
  constructor(private readonly db: Db, private readonly live?: LiveHeartbeats) {}

  /** Every cluster, small: namespace and CRD names only as counts (see CLUSTER_LIST_COLUMNS). */
  async list(): Promise<ClusterListItem[]> {
    const rows = await this.db.query<ClusterListItem>(
      `SELECT ${CLUSTER_LIST_COLUMNS} FROM clusters ORDER BY name`,
    );
    return rows.map((c) => this.withLiveHeartbeat(c));
  }

  /** One cluster in the list's small shape (what the live status stream sends). */
  async listItem(id: string): Promise<ClusterListItem> {
    const [c] = await this.db.query<ClusterListItem>(
      `SELECT ${CLUSTER_LIST_COLUMNS} FROM clusters WHERE id = $1`,
      [id],
    );
    if (!c) throw notFound("cluster");
    return this.withLiveHeartbeat(c);
  }

  /** The ids of the kubeconfig clusters (for the periodic checks; agent clusters are not read). */
  async kubeconfigClusterIds(): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(KUBECONFIG_IDS_SQL);
    return rows.map((r) => r.id);
  }

  async get(id: string): Promise<Cluster> {
    const [c] = await this.db.query<Cluster>(
      `SELECT ${CLUSTER_COLUMNS} FROM clusters WHERE id = $1`,
      [id],
    );
    if (!c) throw notFound("cluster");
    return this.withLiveHeartbeat(c);
  }

  /** A connected agent's heartbeat and RTT as the hub has them now, not as last stored. */
  private withLiveHeartbeat<C extends ClusterListItem | Cluster>(c: C): C {
    const beat = c.connection_type === "agent" ? this.live?.liveHeartbeat(c.id) : undefined;
    if (beat) {
      c.last_heartbeat_at = beat.at;
      c.rtt_ms = beat.rttMs ?? c.rtt_ms;
    }
    return c;
  }

  async kubeconfigOf(
    id: string,
  ): Promise<{ sealed: Uint8Array; name: string; context: string | null }> {
    const [row] = await this.db.query<
      { kubeconfig_enc: Uint8Array | null; name: string; context: string | null }
    >(
      "SELECT kubeconfig_enc, name, context FROM clusters WHERE id = $1",
      [id],
    );
    if (!row) throw notFound("cluster");
    if (!row.kubeconfig_enc) throw notFound("kubeconfig of cluster");
    return { sealed: row.kubeconfig_enc, name: row.name, context: row.context };
  }

  async createKubeconfigCluster(
    input:
      & { id: string; name: string; sealed: Uint8Array; context: string; server: string }
      & { labels?: Record<string, string>; impersonate?: boolean }
      & ClusterStatusUpdate,
  ): Promise<Cluster> {
    try {
      const [c] = await this.db.query<Cluster>(
        `INSERT INTO clusters (id, name, connection_type, kubeconfig_enc, context, server, status, kubernetes_version,
           platform, node_count, last_checked_at, labels, impersonate)
         VALUES ($1, $2, 'kubeconfig', $3, $4, $5, $6, $7, $8, $9, now(), $10::text::jsonb, $11)
         RETURNING ${CLUSTER_COLUMNS}`,
        [
          input.id,
          input.name,
          input.sealed,
          input.context,
          input.server,
          input.status,
          input.kubernetes_version ?? null,
          input.platform ?? null,
          input.node_count ?? null,
          JSON.stringify(input.labels ?? {}),
          input.impersonate ?? false,
        ],
      );
      return c;
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`a cluster named ${input.name} already exists`);
      throw err;
    }
  }

  async update(
    id: string,
    change: {
      name?: string;
      sealed?: Uint8Array;
      context?: string;
      server?: string;
      labels?: Record<string, string>;
      impersonate?: boolean;
    },
  ): Promise<Cluster> {
    try {
      const [c] = await this.db.query<Cluster>(
        `UPDATE clusters SET name = coalesce($2, name), kubeconfig_enc = coalesce($3, kubeconfig_enc),
           context = coalesce($4, context), server = coalesce($5, server),
           labels = coalesce($6::text::jsonb, labels), impersonate = coalesce($7, impersonate),
           updated_at = now()
         WHERE id = $1 RETURNING ${CLUSTER_COLUMNS}`,
        [
          id,
          change.name ?? null,
          change.sealed ?? null,
          change.context ?? null,
          change.server ?? null,
          change.labels === undefined ? null : JSON.stringify(change.labels),
          change.impersonate ?? null,
        ],
      );
      if (!c) throw notFound("cluster");
      return c;
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`a cluster named ${change.name} already exists`);
      throw err;
    }
  }

  async setStatus(id: string, s: ClusterStatusUpdate): Promise<void> {
    await this.db.query(
      `UPDATE clusters SET status = $2, kubernetes_version = coalesce($3, kubernetes_version),
         platform = coalesce($4, platform), node_count = coalesce($5, node_count), last_error = $6,
         last_checked_at = now() WHERE id = $1`,
      [
        id,
        s.status,
        s.kubernetes_version ?? null,
        s.platform ?? null,
        s.node_count ?? null,
        s.last_error ?? null,
      ],
    );
  }

  /**
   * Records a security event on a cluster (shown on GET /api/clusters/{id} and the cluster's
   * page). The text must never contain a credential.
   */
  async recordSecurityEvent(id: string, text: string): Promise<void> {
    await this.db.query(
      `UPDATE clusters SET last_security_event = $2, last_security_event_at = now() WHERE id = $1`,
      [id, text.slice(0, 1024)],
    );
  }

  /** Deletes a cluster; unused tokens that would reinstall its agent are revoked with it. */
  async delete(id: string): Promise<Cluster> {
    const c = await this.db.transaction(async (tx) => {
      await tx.query(
        "UPDATE agent_tokens SET revoked_at = now() WHERE cluster_id = $1 AND used_at IS NULL AND revoked_at IS NULL",
        [id],
      );
      const [row] = await tx.query<Cluster>(
        `DELETE FROM clusters WHERE id = $1 RETURNING ${CLUSTER_COLUMNS}`,
        [id],
      );
      return row;
    });
    if (!c) throw notFound("cluster");
    return c;
  }

  /** Which of these cluster ids still exist. */
  async existingIds(ids: string[]): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      "SELECT id FROM clusters WHERE id = ANY($1::uuid[])",
      [ids],
    );
    return rows.map((r) => r.id);
  }

  /** Counts by connection type and status (the dashboard_clusters metric). */
  countByTypeAndStatus(): Promise<{ connection_type: string; status: string; n: number }[]> {
    return this.db.query<{ connection_type: string; status: string; n: number }>(
      "SELECT connection_type, status, count(*)::int AS n FROM clusters GROUP BY 1, 2",
    );
  }

  // --- Agent clusters: the hub's status changes ---

  /**
   * Streams whose holder is gone: agent clusters "connected" through a replica whose lease is
   * older than `leaseMs` (it crashed or was killed) become "reconnecting" and their last heartbeat
   * that replica's last renewal when it is later than the stored one (a clean stop stored every
   * agent's own). With `unheld` (at start), also those no replica holds. Returns their ids. Reads
   * dashboard_replicas (a few rows) and clusters through clusters_agent_replica_idx.
   */
  async sweepOrphanedAgents(leaseMs: number, unheld = false): Promise<string[]> {
    const lapsed = await this.db.query<{ id: string }>(
      `UPDATE clusters c SET status = 'reconnecting', agent_replica_id = NULL, agent_released_at = now(),
         last_heartbeat_at = GREATEST(c.last_heartbeat_at, r.heartbeat_at),
         last_error = 'the dashboard replica holding its stream stopped'
       FROM dashboard_replicas r
       WHERE c.agent_replica_id = r.id AND c.status = 'connected'
         AND r.heartbeat_at < now() - $1::int * interval '1 millisecond'
       RETURNING c.id`,
      [Math.round(leaseMs)],
    );
    const orphans = unheld
      ? await this.db.query<{ id: string }>(
        `UPDATE clusters SET status = 'reconnecting'
         WHERE connection_type = 'agent' AND status = 'connected' AND agent_replica_id IS NULL
         RETURNING id`,
      )
      : [];
    return [...lapsed, ...orphans].map((r) => r.id);
  }

  /** A stopping replica's clusters are no longer held ("reconnecting" until their agents return). */
  async releaseAgents(replicaId: string): Promise<void> {
    await this.db.query(
      `UPDATE clusters SET status = 'reconnecting', agent_replica_id = NULL, agent_released_at = now()
       WHERE agent_replica_id = $1 AND status = 'connected'`,
      [replicaId],
    );
  }

  /** Agent clusters "reconnecting" for longer than `silentMs` become "offline"; their ids. */
  async sweepOffline(silentMs: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(OFFLINE_SWEEP_SQL, [silentMs]);
    return rows.map((r) => r.id);
  }

  /** One UPDATE for the last heartbeat and RTT of every live agent (on a clean stop). */
  async storeLiveHeartbeats(
    live: { clusterId: string; lastHeardMs: number; rttMs: number | null }[],
  ): Promise<void> {
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

  /** An agent's control stream was accepted; with `info`, its ClusterInfo is stored too. */
  async agentConnected(
    id: string,
    agentVersion: string,
    info: AgentClusterInfo | null,
    replicaId: string,
  ): Promise<void> {
    await this.db.query(
      `UPDATE clusters SET status = 'connected', agent_version = $2, last_heartbeat_at = now(), last_error = NULL,
         agent_replica_id = $7,
         cluster_info = coalesce($3::text::jsonb, cluster_info), kubernetes_version = coalesce($4, kubernetes_version),
         platform = coalesce($5, platform), node_count = coalesce($6, node_count), last_checked_at = now()
       WHERE id = $1`,
      [
        id,
        agentVersion,
        info ? JSON.stringify(info) : null,
        info?.kubernetes_version ?? null,
        info?.platform ?? null,
        info?.node_count ?? null,
        replicaId,
      ],
    );
  }

  /** Stores an agent's ClusterInfo. */
  async storeClusterInfo(id: string, info: AgentClusterInfo): Promise<void> {
    await this.db.query(
      `UPDATE clusters SET cluster_info = $2::text::jsonb, kubernetes_version = $3, platform = $4, node_count = $5,
         last_checked_at = now() WHERE id = $1`,
      [id, JSON.stringify(info), info.kubernetes_version, info.platform, info.node_count],
    );
  }

  /**
   * The control stream a replica held ended: the cluster may come back ("reconnecting"). Only
   * the holder's end counts: once the agent reconnected to another replica, it holds it. With
   * `released`, the replica let it go (it is stopping) and the agent is on its way to another:
   * requests wait for it for a while (agentHolder's `moving`).
   */
  async agentStreamEnded(
    id: string,
    end: AgentStreamEnd,
    replicaId: string,
    released = false,
  ): Promise<void> {
    await this.db.query(
      `UPDATE clusters SET status = 'reconnecting', last_heartbeat_at = to_timestamp($2::double precision / 1000),
         rtt_ms = coalesce($4, rtt_ms), last_error = $3, agent_replica_id = NULL,
         agent_released_at = CASE WHEN $6 THEN now() ELSE agent_released_at END
       WHERE id = $1 AND status = 'connected' AND agent_replica_id = $5`,
      [id, end.lastHeardMs, end.reason, end.rttMs, replicaId, released],
    );
  }

  /**
   * The replica holding a cluster's agent stream (null: none), and whether a replica let its
   * stream go less than `movingMs` ago (it stopped or died: the agent is on its way to another).
   * An agent that went away itself is not moving.
   */
  async agentHolder(
    id: string,
    movingMs: number,
  ): Promise<{ replicaId: string | null; moving: boolean }> {
    const [row] = await this.db.query<{ agent_replica_id: string | null; moving: boolean }>(
      `SELECT CASE WHEN status = 'connected' THEN agent_replica_id END AS agent_replica_id,
         (status = 'reconnecting' AND agent_released_at > now() - $2::int * interval '1 millisecond')
           AS moving
       FROM clusters WHERE id = $1`,
      [id, Math.round(movingMs)],
    );
    return { replicaId: row?.agent_replica_id ?? null, moving: row?.moving ?? false };
  }

  /** The agent was disconnected for good (credential revoked or rotated): "offline". */
  async agentDisconnected(id: string, end: AgentStreamEnd): Promise<void> {
    await this.db.query(
      `UPDATE clusters SET status = 'offline', last_heartbeat_at = to_timestamp($2::double precision / 1000),
         rtt_ms = coalesce($4, rtt_ms), last_error = $3, agent_replica_id = NULL WHERE id = $1`,
      [id, end.lastHeardMs, end.reason, end.rttMs],
    );
  }

  // --- Agent clusters: registration and credentials ---

  /** Whether a cluster has this name. */
  async nameTaken(name: string): Promise<boolean> {
    const [taken] = await this.db.query("SELECT 1 FROM clusters WHERE name = $1", [name]);
    return taken !== undefined;
  }

  /** The agent cluster whose credential has this SHA-256, or null. */
  async agentClusterByCredentialHash(hash: string): Promise<Cluster | null> {
    const [c] = await this.db.query<Cluster>(
      `SELECT ${CLUSTER_COLUMNS} FROM clusters WHERE agent_credential_hash = $1 AND connection_type = 'agent'`,
      [hash],
    );
    return c ?? null;
  }

  /**
   * Gives an agent cluster a new credential (a reinstall), in the caller's transaction; null when
   * there is no such agent cluster.
   */
  async setAgentCredential(tx: Queryable, id: string, hash: string): Promise<Cluster | null> {
    const [c] = await tx.query<Cluster>(
      `UPDATE clusters SET agent_credential_hash = $2, updated_at = now()
       WHERE id = $1 AND connection_type = 'agent' RETURNING ${CLUSTER_COLUMNS}`,
      [id, hash],
    );
    return c ?? null;
  }

  /** Creates a pending agent cluster in the caller's transaction (a unique name violation throws). */
  async createAgentCluster(tx: Queryable, c: NewAgentCluster): Promise<Cluster> {
    const [row] = await tx.query<Cluster>(
      `INSERT INTO clusters (id, name, connection_type, agent_id, agent_credential_hash, agent_permissions, status, impersonate)
       VALUES ($1, $2, 'agent', $3, $4, $5::text::jsonb, 'pending', $6) RETURNING ${CLUSTER_COLUMNS}`,
      [c.id, c.name, c.agentId, c.credentialHash, JSON.stringify(c.permissions), c.impersonate],
    );
    return row;
  }

  /**
   * Replaces an agent cluster's credential hash (the old credential stops working at once);
   * the cluster's name and permissions, or null when there is no such agent cluster.
   */
  async replaceAgentCredential<P>(
    id: string,
    hash: string,
  ): Promise<{ name: string; agent_permissions: P } | null> {
    const [c] = await this.db.query<{ name: string; agent_permissions: P }>(
      `UPDATE clusters SET agent_credential_hash = $2 WHERE id = $1 AND connection_type = 'agent'
       RETURNING name, agent_permissions`,
      [id, hash],
    );
    return c ?? null;
  }
}
