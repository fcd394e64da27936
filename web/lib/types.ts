// The shapes the web UI reads from the dashboard's REST API (JSON: dates are ISO strings).
import type { RBAC_VERBS } from "../../common/rbac_verbs.ts";

/** A global role; "none" gives no cluster unless a per-cluster binding does. */
export type Role = "admin" | "editor" | "viewer" | "none";

/** A role on one cluster (from the global role or a per-cluster binding). */
export type ClusterRole = "admin" | "editor" | "viewer";

/**
 * Where an account comes from: "local" (a password here) or "sso" (the OpenID provider, whose
 * groups set its role and groups at each sign-in).
 */
export type UserSource = "local" | "sso";

export interface UiUser {
  id: string;
  username: string;
  role: Role;
  /** Dashboard groups. */
  groups: string[];
  source: UserSource;
}

/** A user as admins see it (GET /api/users). */
export interface UserRecord extends UiUser {
  created_at: string;
  updated_at: string;
  /** Set while the account is disabled. */
  disabled_at: string | null;
  last_login_at: string | null;
}

/** A per-cluster role (GET /api/role-bindings): on one cluster, or on clusters by labels. */
export interface RoleBinding {
  id: string;
  subject_kind: "user" | "group";
  subject: string;
  cluster_id: string | null;
  cluster_selector: Record<string, string> | null;
  role: ClusterRole;
  created_at: string;
}

export interface ClusterInfo {
  kubernetes_version?: string | null;
  platform?: string | null;
  node_count?: number | null;
  namespaces?: string[];
  crds?: string[];
  /** In a list (GET /api/clusters) the names are left out; only their counts are given. */
  namespace_count?: number;
  crd_count?: number;
  /** The agent reported more than the dashboard keeps. */
  truncated?: boolean;
}

export interface Cluster {
  id: string;
  name: string;
  connection_type: "kubeconfig" | "agent";
  status: string;
  kubernetes_version: string | null;
  platform: string | null;
  node_count: number | null;
  last_error: string | null;
  last_checked_at: string | null;
  created_at: string;
  updated_at: string;
  context?: string | null;
  server?: string | null;
  agent_version?: string | null;
  last_heartbeat_at?: string | null;
  rtt_ms?: number | null;
  cluster_info?: ClusterInfo | null;
  /** The cluster's labels (role bindings may select clusters by them). */
  labels?: Record<string, string>;
  /** Requests for a person impersonate them (Impersonate-User/Group). */
  impersonate?: boolean;
  /** The signed-in person's role on this cluster (global role or a per-cluster binding). */
  my_role?: ClusterRole;
  /** A second agent connection with the cluster's credential (refused, or replacing one). */
  last_security_event?: string | null;
  last_security_event_at?: string | null;
}

export type AgentPermissions = "read-only" | "operator" | "admin" | "custom";

/** A verb a custom agent rule may name. */
export type RuleVerb = typeof RBAC_VERBS[number] | "*";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: RuleVerb[];
  resourceNames?: string[];
}

/** An agent token's permissions: a preset, and the rules of "custom". */
export interface AgentTokenPermissions {
  preset: AgentPermissions;
  rules?: PolicyRule[];
}

/** An agent registration token, never its secret (GET /api/clusters/agent-token). */
export interface AgentTokenInfo {
  id: string;
  cluster_name: string;
  permissions: AgentTokenPermissions;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
  cluster_id: string | null;
  /** The agent image its commands set; null: the dashboard's AGENT_IMAGE. */
  image: string | null;
  image_pull_secrets: string[];
  state: "pending" | "used" | "expired" | "revoked";
}

/**
 * A new registration token (POST /api/clusters/agent-token) or a rotated credential (POST
 * /api/clusters/{id}/agent/rotate): the token, its secret and the commands that install it.
 */
export interface AgentTokenCreated extends AgentTokenInfo {
  token: string;
  install_command: string;
  helm_command: string;
}

export interface ApiToken {
  id: string;
  name: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

/** Every REST list: `{"items": [...]}`. */
export interface ItemsOf<T> {
  items: T[];
}

/** Every REST error's body (ErrorBody in /api/openapi.json). */
export interface ErrorBody {
  error: {
    /** A stable, machine-readable reason such as not_found. */
    code: string;
    message: string;
  };
}

/** Turns Date fields (server-side rows) into the JSON shape islands receive. */
export function toJson<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
