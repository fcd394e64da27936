// The release version shared by the dashboard, the agent and the agent's Helm chart.
export const VERSION = "0.1.0";
