// For the e2e tests that repeat a step through an agent: an agent cluster made with the admin
// preset, so it impersonates each person (the agent runs with ALLOW_IMPERSONATION on a
// cluster-admin ServiceAccount, and the dashboard's role groups are bound as the chart binds
// them), resolved once the dashboard lists it as connected.
import assert from "node:assert/strict";
import type { ControlPlane } from "../../tools/testenv/mod.ts";
import { bindDashboardRoles, serviceAccountKubeconfig } from "../../testing/clusters.ts";
import { type RunningAgent, startAgent } from "../../testing/harness.ts";
import { eventually } from "../../testing/eventually.ts";
import { restCall, type TestDashboard } from "./harness.ts";

/**
 * Registers cluster `name` and starts its agent (ServiceAccount `serviceAccount`); the cluster's
 * id and the agent, which the caller stops. If it does not connect, the agent is stopped and the
 * error carries the end of its log.
 */
export async function connectImpersonatingAgent(
  dash: TestDashboard,
  cp: ControlPlane,
  adminToken: string,
  name: string,
  serviceAccount: string,
): Promise<{ id: string; agent: RunningAgent }> {
  await bindDashboardRoles(cp);
  const issued = await restCall(dash.url, "POST", "/api/clusters/agent-token", adminToken, {
    cluster_name: name,
    permissions: "admin",
  });
  assert.equal(issued.status, 201, issued.text);
  const agent = await startAgent({
    dashboardUrl: dash.dashboard.agentUrl,
    caHash: dash.dashboard.caHash,
    kubeconfig: await serviceAccountKubeconfig(cp, serviceAccount, "cluster-admin"),
    token: (issued.json as { token: string }).token,
    extraEnv: { ALLOW_IMPERSONATION: "true" },
  });
  try {
    const id = await eventually(`agent cluster ${name} connected`, async () => {
      const r = await restCall(dash.url, "GET", "/api/clusters", adminToken);
      const c = (r.json as { items: { id: string; name: string; status: string }[] }).items
        .find((i) => i.name === name);
      return c?.status === "connected" && c.id;
    }, { timeoutMs: 45_000, message: async () => (await agent.logs()).slice(-4000) });
    return { id, agent };
  } catch (err) {
    await agent.stop();
    throw err;
  }
}
