// Queries for the clusters table. The encrypted kubeconfig never leaves this module except to
// the ClusterManager; API responses use the public columns only.
import type { Db } from "../store/db.ts";
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
  rtt_ms: number | null;
  cluster_info: AgentClusterInfo | null;
  created_at: Date;
  updated_at: Date;
}

/** What a connected agent reports about its cluster (the ClusterInfo message). */
export interface AgentClusterInfo {
  kubernetes_version: string;
  platform: string;
  node_count: number | null;
  namespaces: string[];
  crds: string[];
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

export const CLUSTER_COLUMNS =
  `id, name, connection_type, agent_id, context, server, status, kubernetes_version,
  platform, node_count, last_error, last_checked_at, agent_version, last_heartbeat_at, rtt_ms, cluster_info,
  created_at, updated_at`;

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

export class ClusterStore {
  constructor(private readonly db: Db, private readonly live?: LiveHeartbeats) {}

  async list(): Promise<Cluster[]> {
    const rows = await this.db.query<Cluster>(
      `SELECT ${CLUSTER_COLUMNS} FROM clusters ORDER BY name`,
    );
    return rows.map((c) => this.withLiveHeartbeat(c));
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
  private withLiveHeartbeat(c: Cluster): Cluster {
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
      & ClusterStatusUpdate,
  ): Promise<Cluster> {
    try {
      const [c] = await this.db.query<Cluster>(
        `INSERT INTO clusters (id, name, connection_type, kubeconfig_enc, context, server, status, kubernetes_version,
           platform, node_count, last_checked_at)
         VALUES ($1, $2, 'kubeconfig', $3, $4, $5, $6, $7, $8, $9, now()) RETURNING ${CLUSTER_COLUMNS}`,
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
    change: { name?: string; sealed?: Uint8Array; context?: string; server?: string },
  ): Promise<Cluster> {
    try {
      const [c] = await this.db.query<Cluster>(
        `UPDATE clusters SET name = coalesce($2, name), kubeconfig_enc = coalesce($3, kubeconfig_enc),
           context = coalesce($4, context), server = coalesce($5, server), updated_at = now()
         WHERE id = $1 RETURNING ${CLUSTER_COLUMNS}`,
        [
          id,
          change.name ?? null,
          change.sealed ?? null,
          change.context ?? null,
          change.server ?? null,
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
}
