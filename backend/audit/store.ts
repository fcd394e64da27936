// The audit trail's table (audit_events, migration 009): recording an event (also written to the
// JSON log), listing with filters newest first by keyset pagination, exporting in pages (bounded
// memory however long the trail) and the retention sweep. Request bodies, tokens and query
// strings are never given to it (target.ts decides the stored path). A failed INSERT is logged
// and swallowed: the trail never fails the request it records.
import type { Db } from "../store/db.ts";
import { log } from "../../common/log.ts";

/** One event as the dashboard records it. */
export interface AuditEntry {
  userId: string | null;
  /** The signed-in user, or the username a login attempt named. */
  username: string | null;
  /** The connection's address (backend/http/client_address.ts). */
  source: string | null;
  clusterId: string | null;
  /** Given when the cluster is gone by the time the event is recorded (its deletion). */
  clusterName?: string | null;
  verb: string;
  path: string;
  status: number;
  /** Logins: success, failure, rate_limited or disabled. */
  outcome?: string | null;
}

/** One stored event, as the REST API and the export give it. */
export interface AuditEvent {
  id: number;
  at: Date;
  user_id: string | null;
  username: string | null;
  source: string | null;
  cluster_id: string | null;
  cluster_name: string | null;
  verb: string;
  path: string;
  status: number;
  outcome: string | null;
}

export interface AuditFilter {
  /** Exact username. */
  user?: string;
  /** Cluster id. */
  cluster?: string;
  verb?: string;
  /** Statuses from..to inclusive (an exact status, or a class such as 400..499). */
  status?: { from: number; to: number };
  /** Events at or after this time. */
  since?: Date;
  /** Events before this time. */
  until?: Date;
  /** Keyset pagination: events older than the one with this id. */
  before?: number;
  /** Page size: default AUDIT_PAGE_DEFAULT, at most AUDIT_PAGE_MAX. */
  limit?: number;
}

export interface AuditPage {
  items: AuditEvent[];
  /** Pass as `before` for the next (older) page; null when this was the last. */
  next_before: number | null;
}

export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 1000;
/** Rows per query of an export. */
export const AUDIT_EXPORT_PAGE = 500;
/** Rows per DELETE of a sweep (short transactions, however much has expired). */
export const AUDIT_SWEEP_BATCH = 5000;

const COLUMNS =
  "id, at, user_id, username, source, cluster_id, cluster_name, verb, path, status, outcome";

type Raw = Omit<AuditEvent, "id"> & { id: number | string | bigint };

export class AuditLog {
  constructor(private readonly db: Db) {}

  /**
   * Records one event and writes it to the JSON log. Never throws: a failure is logged as an
   * error (with the event) and the request goes on.
   */
  async record(e: AuditEntry): Promise<void> {
    const fields = {
      user_id: e.userId,
      username: e.username,
      source: e.source,
      cluster_id: e.clusterId,
      verb: e.verb,
      path: e.path,
      status: e.status,
      ...(e.outcome ? { outcome: e.outcome } : {}),
    };
    try {
      const [row] = await this.db.query<{ id: unknown; cluster_name: string | null }>(
        `INSERT INTO audit_events
           (user_id, username, source, cluster_id, cluster_name, verb, path, status, outcome)
         VALUES ($1::uuid, $2, $3, $4::uuid,
                 coalesce($5::text, (SELECT name FROM clusters WHERE id = $4::uuid)),
                 $6, $7, $8, $9)
         RETURNING id, cluster_name`,
        [
          e.userId,
          e.username,
          e.source,
          e.clusterId,
          e.clusterName ?? null,
          e.verb,
          e.path,
          e.status,
          e.outcome ?? null,
        ],
      );
      log.info("audit", {
        id: Number(row.id),
        ...fields,
        ...(row.cluster_name ? { cluster_name: row.cluster_name } : {}),
      });
    } catch (err) {
      log.error("audit event not stored", { ...fields, err });
    }
  }

  /** The name of a cluster, or null (read before a deletion, to record it). */
  async clusterName(id: string): Promise<string | null> {
    try {
      const [row] = await this.db.query<{ name: string }>(
        "SELECT name FROM clusters WHERE id = $1::uuid",
        [id],
      );
      return row?.name ?? null;
    } catch {
      return null;
    }
  }

  /** One page of events matching the filter, newest first. */
  async list(filter: AuditFilter = {}): Promise<AuditPage> {
    const limit = Math.min(Math.max(1, filter.limit ?? AUDIT_PAGE_DEFAULT), AUDIT_PAGE_MAX);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (n: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.user !== undefined) add((p) => `username = ${p}`, filter.user);
    if (filter.cluster !== undefined) add((p) => `cluster_id = ${p}::uuid`, filter.cluster);
    if (filter.verb !== undefined) add((p) => `verb = ${p}`, filter.verb);
    if (filter.status !== undefined) {
      add((p) => `status >= ${p}::int`, filter.status.from);
      add((p) => `status <= ${p}::int`, filter.status.to);
    }
    if (filter.since) add((p) => `at >= ${p}::timestamptz`, filter.since.toISOString());
    if (filter.until) add((p) => `at < ${p}::timestamptz`, filter.until.toISOString());
    if (filter.before !== undefined) add((p) => `id < ${p}::bigint`, filter.before);
    params.push(limit + 1);
    const rows = await this.db.query<Raw>(
      `SELECT ${COLUMNS} FROM audit_events
       ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY id DESC LIMIT $${params.length}::int`,
      params,
    );
    const items = rows.slice(0, limit).map((r) => ({ ...r, id: Number(r.id) }));
    return {
      items,
      next_before: rows.length > limit ? items[items.length - 1].id : null,
    };
  }

  /**
   * Every event matching the filter (its limit aside), newest first, read AUDIT_EXPORT_PAGE rows
   * at a time: memory stays bounded however long the trail is.
   */
  async *export(
    filter: AuditFilter = {},
    pageSize = AUDIT_EXPORT_PAGE,
  ): AsyncGenerator<AuditEvent> {
    let before = filter.before;
    for (;;) {
      const page = await this.list({ ...filter, before, limit: pageSize });
      yield* page.items;
      if (page.next_before === null) return;
      before = page.next_before;
    }
  }

  /** Deletes events older than retentionDays, in batches; returns how many. */
  async sweep(retentionDays: number): Promise<number> {
    let total = 0;
    for (;;) {
      const [{ n }] = await this.db.query<{ n: number }>(
        `WITH gone AS (
           DELETE FROM audit_events WHERE id IN (
             SELECT id FROM audit_events WHERE at < now() - make_interval(days => $1::int)
             ORDER BY id LIMIT $2::int)
           RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [retentionDays, AUDIT_SWEEP_BATCH],
      );
      total += n;
      if (n < AUDIT_SWEEP_BATCH) return total;
    }
  }
}
