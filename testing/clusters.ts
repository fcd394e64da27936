// Test fixtures that connect a control plane to a test dashboard in either of the two ways a
// cluster joins: an uploaded kubeconfig, or a real agent (authenticated to the API server with a
// ServiceAccount token from the TokenRequest API, as it would be in a pod).
import {
  type ControlPlane,
  ensureNamespace,
  kubeRequest,
  tokenKubeconfig,
} from "../tools/testenv/mod.ts";
import { type RunningAgent, startAgent, type TestDashboard } from "./harness.ts";
import { eventually } from "./eventually.ts";

export type ConnectionKind = "kubeconfig" | "agent";

export interface ConnectedCluster {
  id: string;
  name: string;
  agent?: RunningAgent;
  /** Token kubeconfig of the agent's ServiceAccount (agent clusters). */
  agentKubeconfig?: string;
  close(): Promise<void>;
}

export interface ClusterJson {
  id: string;
  name: string;
  status: string;
  connection_type: string;
  kubernetes_version: string | null;
  node_count: number | null;
  cluster_info: {
    kubernetes_version: string;
    namespaces: string[];
    crds: string[];
    node_count: number | null;
  } | null;
  agent_version: string | null;
  last_heartbeat_at: string | null;
  rtt_ms: number | null;
}

/** A ServiceAccount bound to a ClusterRole; returns a kubeconfig using only its token. */
export async function serviceAccountKubeconfig(
  cp: ControlPlane,
  name: string,
  clusterRole: string,
): Promise<string> {
  const ns = "dashboard-agent-tests";
  await ensureNamespace(cp, ns);
  await kubeRequest(cp, "POST", `/api/v1/namespaces/${ns}/serviceaccounts`, {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name },
  });
  await kubeRequest(cp, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: `${name}-${clusterRole}` },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
    subjects: [{ kind: "ServiceAccount", name, namespace: ns }],
  });
  return await tokenKubeconfig(cp, await cp.serviceAccountToken(ns, name, 3600));
}

/** The cluster's kubeconfig as downloaded by `token`'s user, written to a temp file; its path. */
export async function downloadKubeconfig(
  t: Pick<TestDashboard, "api" | "adminToken">,
  clusterId: string,
  token = t.adminToken,
): Promise<string> {
  const r = await t.api("GET", `/api/clusters/${clusterId}/kubeconfig`, undefined, token);
  if (r.status !== 200) throw new Error(`GET kubeconfig of ${clusterId}: ${r.status} ${r.text}`);
  const path = await Deno.makeTempFile({ suffix: ".kubeconfig" });
  await Deno.writeTextFile(path, r.text);
  return path;
}

export async function getCluster(t: TestDashboard, id: string): Promise<ClusterJson> {
  const r = await t.api("GET", `/api/clusters/${id}`, undefined, t.adminToken);
  if (r.status !== 200) throw new Error(`GET cluster ${id}: ${r.status} ${r.text}`);
  return r.json as ClusterJson;
}

/**
 * A registration token. The default preset, operator, registers a cluster that does not
 * impersonate (requests run as the agent's own credential, whatever the test gave it); the admin
 * preset's clusters impersonate their users (connectCluster).
 */
export async function createAgentToken(
  t: TestDashboard,
  name: string,
  permissions = "operator",
): Promise<{ id: string; token: string }> {
  const r = await t.api(
    "POST",
    "/api/clusters/agent-token",
    { cluster_name: name, permissions },
    t.adminToken,
  );
  if (r.status !== 201) throw new Error(`agent-token: ${r.status} ${r.text}`);
  return r.json as { id: string; token: string };
}

export async function waitForAgentCluster(
  t: TestDashboard,
  name: string,
  timeoutMs = 15_000,
): Promise<ClusterJson> {
  return await eventually(`agent cluster ${name} connected`, async () => {
    const r = await t.api("GET", "/api/clusters", undefined, t.adminToken);
    const c = (r.json as { items: ClusterJson[] }).items.find((i) => i.name === name);
    return c?.status === "connected" && c.cluster_info ? c : undefined;
  }, timeoutMs);
}

/**
 * The dashboard's role groups bound to Kubernetes' built-in ClusterRoles, as the agent chart
 * binds them for the admin preset with impersonation (role:admin → cluster-admin, role:editor →
 * edit, role:viewer → view). Idempotent.
 */
export async function bindDashboardRoles(cp: ControlPlane, prefix = "dashboard:"): Promise<void> {
  const pairs = [["admin", "cluster-admin"], ["editor", "edit"], ["viewer", "view"]] as const;
  for (const [role, clusterRole] of pairs) {
    const r = await kubeRequest(
      cp,
      "POST",
      "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: `dashboard-role-${role}` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
        subjects: [{
          apiGroup: "rbac.authorization.k8s.io",
          kind: "Group",
          name: `${prefix}role:${role}`,
        }],
      },
    );
    if (r.status !== 201 && r.status !== 409) {
      throw new Error(`binding ${prefix}role:${role}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  }
}

/**
 * Connects the control plane to the dashboard one way or the other. An agent cluster is made
 * with the admin preset unless `preset` says otherwise, so it impersonates its users: the agent
 * runs with ALLOW_IMPERSONATION (as the chart sets it for that preset) and, unless `bindRoles` is
 * false, the dashboard's role groups are bound as the chart binds them (bindDashboardRoles).
 * With another preset the cluster does not impersonate: requests run as the agent's credential
 * (a ServiceAccount bound to `clusterRole`).
 */
export async function connectCluster(
  t: TestDashboard,
  cp: ControlPlane,
  kind: ConnectionKind,
  name: string,
  opts: {
    clusterRole?: string;
    /** The agent token's preset (default admin: the cluster impersonates its users). */
    preset?: string;
    bindRoles?: boolean;
    agentEnv?: Record<string, string>;
    /** A kubeconfig cluster set to impersonate its users (agent clusters: the admin preset). */
    impersonate?: boolean;
  } = {},
): Promise<ConnectedCluster> {
  if (kind === "kubeconfig") {
    const r = await t.api("POST", "/api/clusters", {
      name,
      kubeconfig: await Deno.readTextFile(cp.kubeconfigPath),
      ...(opts.impersonate ? { impersonate: true } : {}),
    }, t.adminToken);
    if (r.status !== 201) throw new Error(`add kubeconfig cluster: ${r.status} ${r.text}`);
    const c = r.json as ClusterJson;
    return { id: c.id, name, close: async () => {} };
  }
  const agentKubeconfig = await serviceAccountKubeconfig(
    cp,
    `agent-${name}`,
    opts.clusterRole ?? "cluster-admin",
  );
  const preset = opts.preset ?? "admin";
  if (preset === "admin" && opts.bindRoles !== false) await bindDashboardRoles(cp);
  const { token } = await createAgentToken(t, name, preset);
  const agent = await startAgent({
    dashboardUrl: t.d.agentUrl,
    caHash: t.d.caHash,
    kubeconfig: agentKubeconfig,
    token,
    extraEnv: { ALLOW_IMPERSONATION: "true", ...opts.agentEnv },
  });
  try {
    const c = await waitForAgentCluster(t, name);
    return { id: c.id, name, agent, agentKubeconfig, close: async () => void await agent.stop() };
  } catch (err) {
    await agent.stop();
    throw new Error(`${(err as Error).message}\nagent log:\n${(await agent.logs()).slice(-4000)}`);
  }
}
