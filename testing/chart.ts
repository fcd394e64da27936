// The agent's Helm chart (deploy/helm/dashboard-agent) installed into a real control plane, and
// the REAL agent run as the chart's pod would run it: the chart's ServiceAccount, its ConfigMap
// as environment, the token from its Secret and the credential kept in its credential Secret.
// Shared by deploy/helm/chart_test.ts and backend/cluster/agent_credential_e2e_test.ts.
import assert from "node:assert/strict";
import { type ControlPlane, kubeRequest, tokenKubeconfig } from "../tools/testenv/mod.ts";
import { ROOT, type RunningAgent, startAgent, type TestDashboard } from "./harness.ts";

export const CHART = `${ROOT}deploy/helm/dashboard-agent`;
export const RELEASE = "dashboard-agent";

/** `helm install` of the chart into `ns` with these values (and any extra flags); must succeed. */
export async function installChart(
  cp: ControlPlane,
  ns: string,
  values: unknown,
  args: string[] = [],
): Promise<void> {
  const inst = await cp.helm(
    ["install", RELEASE, CHART, "--namespace", ns, ...args, "--values", "-"],
    { stdin: JSON.stringify(values) },
  );
  assert.equal(inst.code, 0, inst.stderr);
}

/**
 * Runs the agent as the chart's pod would: its ServiceAccount, ConfigMap and (with `withToken`)
 * the token from its Secret. The ConfigMap must name this dashboard's agent URL.
 */
export async function startChartAgent(
  t: TestDashboard,
  cp: ControlPlane,
  ns: string,
  opts: { withToken: boolean },
): Promise<RunningAgent> {
  const cm = await kubeRequest(cp, "GET", `/api/v1/namespaces/${ns}/configmaps/${RELEASE}`);
  assert.equal(cm.status, 200);
  const env = { ...(cm.body as { data: Record<string, string> }).data };
  delete env.HEALTH_ADDR; // several agents on one host: the harness's 127.0.0.1:0
  assert.equal(env.DASHBOARD_URL, t.d.agentUrl);
  let token: string | undefined;
  if (opts.withToken) {
    const s = await kubeRequest(cp, "GET", `/api/v1/namespaces/${ns}/secrets/${RELEASE}-token`);
    token = atob((s.body as { data: { token: string } }).data.token);
  }
  return await startAgent({
    dashboardUrl: env.DASHBOARD_URL,
    caHash: env.CA_HASH ?? null,
    kubeconfig: await tokenKubeconfig(cp, await cp.serviceAccountToken(ns, RELEASE)),
    token,
    secretStore: true,
    extraEnv: { ...env, POD_NAMESPACE: ns },
  });
}
