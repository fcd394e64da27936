// The shapes the web UI reads from the dashboard's REST API (JSON: dates are ISO strings).

export type Role = "admin" | "editor" | "viewer";

export interface UiUser {
  id: string;
  username: string;
  role: Role;
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
  /** A second agent connection with the cluster's credential (refused, or replacing one). */
  last_security_event?: string | null;
  last_security_event_at?: string | null;
}

export type AgentPermissions = "read-only" | "operator" | "admin" | "custom";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface AgentTokenCreated {
  id: string;
  token: string;
  expires_at: string;
  install_command: string;
  helm_command: string;
}

export interface AgentTokenInfo {
  id: string;
  cluster_name: string;
  permissions: AgentPermissions | string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
  cluster_id: string | null;
  state: "pending" | "used" | "expired" | "revoked";
}

export interface ApiToken {
  id: string;
  name: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

/** Turns Date fields (server-side rows) into the JSON shape islands receive. */
export function toJson<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
