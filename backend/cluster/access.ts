// Who may reach which cluster, and as which cluster role: the global role applies to every
// cluster, and per-cluster role bindings (for a user or one of their groups, on one cluster or on
// every cluster whose labels match a selector) add to it; the higher role wins. A person with no
// role on a cluster does not see it at all (404, left out of lists). The bindings are few and read
// on every proxied request, so they are kept in memory and reloaded after any change, on every
// replica (announce; replicas/bus.ts), and at least every BINDINGS_TTL_MS in any case.
import type { Db } from "../store/db.ts";
import { type ClusterRole, clusterRoleOf, higher } from "../auth/roles.ts";
import type { User } from "../auth/service.ts";
import { badRequest, notFound } from "../http/errors.ts";

/** The person a request acts for: the signed-in user with their dashboard groups. */
export type Person = Pick<User, "id" | "username" | "role" | "groups">;

/** Label selector of a binding: every pair must be among the cluster's labels. */
export type LabelSelector = Record<string, string>;

export interface RoleBinding {
  id: string;
  subject_kind: "user" | "group";
  /** A username or a dashboard group. */
  subject: string;
  cluster_id: string | null;
  cluster_selector: LabelSelector | null;
  role: ClusterRole;
  created_at: Date;
}

export type NewRoleBinding = Omit<RoleBinding, "id" | "created_at">;

/** What access decisions read of a cluster. */
export interface ClusterScope {
  id: string;
  labels: Record<string, string>;
}

const BINDINGS_TTL_MS = 5_000;
const BINDING_COLUMNS = "id, subject_kind, subject, cluster_id, cluster_selector, role, created_at";
/** Bindings beyond this are refused: every request walks the person's bindings. */
export const MAX_ROLE_BINDINGS = 10_000;

export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export class ClusterAccess {
  #bindings: Promise<RoleBinding[]> | undefined;
  #loadedAt = 0;

  /**
   * Announces a change to the bindings once it is committed. By default it drops this process's
   * cache; with several replicas the replica bus (replicas/bus.ts) makes it drop every replica's.
   */
  announce: () => void = () => this.forget();

  constructor(private readonly db: Db, private readonly ttlMs = BINDINGS_TTL_MS) {}

  #all(): Promise<RoleBinding[]> {
    if (!this.#bindings || Date.now() - this.#loadedAt > this.ttlMs) {
      this.#loadedAt = Date.now();
      const loading = this.db.query<RoleBinding>(
        `SELECT ${BINDING_COLUMNS} FROM cluster_role_bindings ORDER BY created_at, id`,
      );
      loading.catch(() => {
        if (this.#bindings === loading) this.#bindings = undefined;
      });
      this.#bindings = loading;
    }
    return this.#bindings;
  }

  /** Drops the cached bindings (after a change here or on another replica). */
  forget(): void {
    this.#bindings = undefined;
  }

  /** The person's role on the cluster: the higher of the global role and matching bindings. */
  async roleOn(person: Person, cluster: ClusterScope): Promise<ClusterRole | null> {
    let role = clusterRoleOf(person.role);
    if (role === "admin") return role;
    for (const b of await this.#all()) {
      if (!appliesTo(b, person)) continue;
      const onCluster = b.cluster_id !== null
        ? b.cluster_id === cluster.id
        : selectorMatches(b.cluster_selector ?? {}, cluster.labels);
      if (onCluster) role = higher(role, b.role);
    }
    return role;
  }

  /** The clusters of a list the person holds a role on, in order. */
  async visible<C extends ClusterScope>(person: Person, clusters: readonly C[]): Promise<C[]> {
    if (clusterRoleOf(person.role) !== null) return [...clusters];
    const out: C[] = [];
    for (const c of clusters) if (await this.roleOn(person, c) !== null) out.push(c);
    return out;
  }

  list(): Promise<RoleBinding[]> {
    return this.#all();
  }

  async create(b: NewRoleBinding): Promise<RoleBinding> {
    try {
      return await this.db.transaction(async (tx) => {
        const [{ count }] = await tx.query<{ count: number }>(
          "SELECT count(*)::int AS count FROM cluster_role_bindings",
        );
        if (count >= MAX_ROLE_BINDINGS) {
          throw badRequest(
            `there are already ${MAX_ROLE_BINDINGS} cluster role bindings, the most the dashboard ` +
              "keeps; bind groups instead of single users",
          );
        }
        if (b.cluster_id !== null) {
          const found = await tx.query("SELECT 1 FROM clusters WHERE id = $1", [b.cluster_id]);
          if (!found.length) throw notFound("cluster");
        }
        const [row] = await tx.query<RoleBinding>(
          `INSERT INTO cluster_role_bindings (subject_kind, subject, cluster_id, cluster_selector, role)
           VALUES ($1, $2, $3, $4::text::jsonb, $5) RETURNING ${BINDING_COLUMNS}`,
          [
            b.subject_kind,
            b.subject,
            b.cluster_id,
            b.cluster_selector === null ? null : JSON.stringify(b.cluster_selector),
            b.role,
          ],
        );
        return row;
      });
    } finally {
      this.announce();
    }
  }

  async delete(id: string): Promise<void> {
    const rows = await this.db.query(
      "DELETE FROM cluster_role_bindings WHERE id = $1 RETURNING id",
      [id],
    );
    this.announce();
    if (!rows.length) throw notFound("cluster role binding");
  }
}

function appliesTo(b: RoleBinding, person: Person): boolean {
  return b.subject_kind === "user"
    ? b.subject === person.username
    : person.groups.includes(b.subject);
}
