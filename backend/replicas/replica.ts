// This dashboard process as one replica among those sharing the database: its id, the URL its
// peers forward requests to, and its lease (a row in dashboard_replicas renewed every heartbeat
// interval). The other replicas' rows say where a cluster's agent stream is held (see
// clusters.agent_replica_id) and whether that holder is still alive: a lease older than
// LEASE_HEARTBEATS intervals no longer counts.
import type { Db } from "../store/db.ts";
import { VERSION } from "../../common/version.ts";

/** A replica whose lease was not renewed for this many heartbeat intervals is gone. */
export const LEASE_HEARTBEATS = 3;
/** Rows of replicas gone for this long are deleted (their clusters were swept long before). */
const FORGET_AFTER_MS = 24 * 3600_000;

/** Another replica as its row describes it. */
export interface PeerReplica {
  id: string;
  peerUrl: string;
  /** Its lease is current. */
  live: boolean;
  draining: boolean;
}

export class Replica {
  readonly id = crypto.randomUUID();

  constructor(
    private readonly db: Db,
    /** Where the other replicas reach this one (PEER_URL); set before join(). */
    public peerUrl: string,
    private readonly heartbeatMs: number,
    /** The only replica there can be (the embedded database): every other lease is a past run's. */
    private readonly sole = false,
  ) {}

  /** How long a lease lasts without renewal. */
  get leaseMs(): number {
    return LEASE_HEARTBEATS * this.heartbeatMs;
  }

  /**
   * Takes a lease. A row with the same peer URL is this replica's previous run (nothing else can
   * serve that address now), and so is every row when this is the sole replica: their leases end
   * at once, so their clusters are swept without waiting.
   */
  async join(): Promise<void> {
    await this.db.query(
      `UPDATE dashboard_replicas SET heartbeat_at = LEAST(heartbeat_at, now() - interval '1 day')
       WHERE peer_url = $1 OR $2`,
      [this.peerUrl, this.sole],
    );
    await this.db.query(
      `INSERT INTO dashboard_replicas (id, peer_url, version) VALUES ($1, $2, $3)`,
      [this.id, this.peerUrl, VERSION],
    );
  }

  /** Renews the lease; forgets replicas gone for a day. */
  async renew(): Promise<void> {
    await this.db.query("UPDATE dashboard_replicas SET heartbeat_at = now() WHERE id = $1", [
      this.id,
    ]);
    await this.db.query(
      `DELETE FROM dashboard_replicas WHERE heartbeat_at < now() - $1::int * interval '1 millisecond'`,
      [FORGET_AFTER_MS],
    );
  }

  /** Marks this replica as draining (it takes no new agent streams). */
  async drain(): Promise<void> {
    await this.db.query("UPDATE dashboard_replicas SET draining_at = now() WHERE id = $1", [
      this.id,
    ]);
  }

  /** Ends the lease at once (a clean stop, after its agents' streams were handed back). */
  async leave(): Promise<void> {
    await this.db.query(
      "UPDATE dashboard_replicas SET heartbeat_at = now() - interval '1 day' WHERE id = $1",
      [this.id],
    );
  }

  /** Another replica by id, or null when there is no such row. */
  async peer(id: string): Promise<PeerReplica | null> {
    const [row] = await this.db.query<
      { id: string; peer_url: string; live: boolean; draining: boolean }
    >(
      `SELECT id, peer_url, heartbeat_at >= now() - $2::int * interval '1 millisecond' AS live,
         draining_at IS NOT NULL AS draining
       FROM dashboard_replicas WHERE id = $1`,
      [id, this.leaseMs],
    );
    return row
      ? { id: row.id, peerUrl: row.peer_url, live: row.live, draining: row.draining }
      : null;
  }
}
