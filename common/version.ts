// The release version shared by the dashboard, the agent and the agent's Helm chart.
export const VERSION = "0.1.0";

/**
 * The agent image the dashboard's install commands use unless AGENT_IMAGE (or the Deploy agent
 * dialog's advanced field) says otherwise: the project's published name for this version. The
 * chart's values.yaml carries the same repository (deploy/helm/chart_test.ts checks it).
 */
export const DEFAULT_AGENT_IMAGE = `ghcr.io/kube-dashboard/dashboard-agent:${VERSION}`;
