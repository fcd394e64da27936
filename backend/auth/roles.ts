// The dashboard's roles and their order. A user's global role applies to every cluster (and,
// for admin, to the dashboard itself); 'none' gives no cluster unless a per-cluster binding does.
// A cluster role (from the global role or a binding on that cluster) decides what a person may
// do there through the dashboard: viewers read, editors and admins also write and open streams.

export const globalRoles = ["admin", "editor", "viewer", "none"] as const;
export type GlobalRole = typeof globalRoles[number];

export const clusterRoles = ["admin", "editor", "viewer"] as const;
export type ClusterRole = typeof clusterRoles[number];

const RANK: Record<GlobalRole, number> = { none: 0, viewer: 1, editor: 2, admin: 3 };

/** Whether `role` is `needed` or above it. */
export function atLeast(role: GlobalRole, needed: GlobalRole): boolean {
  return RANK[role] >= RANK[needed];
}

/** The higher of two roles (null: no role). */
export function higher<R extends GlobalRole>(a: R | null, b: R | null): R | null {
  if (a === null) return b;
  if (b === null) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

/** A global role as a cluster role: 'none' gives none. */
export function clusterRoleOf(role: GlobalRole): ClusterRole | null {
  return role === "none" ? null : role;
}
