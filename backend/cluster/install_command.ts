// Renders the commands an admin copies to install an agent: the `curl | bash` install script and
// the Helm alternative. Every value is validated upstream and single-quoted here; the token goes
// through the environment or stdin, never onto a command line that `ps` shows.
import type { AgentPermissions } from "./permissions.ts";

/** POSIX single-quoting: safe for any byte string in sh/bash. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** A YAML double-quoted scalar (JSON strings are valid YAML). */
const yamlString = (v: string) => JSON.stringify(v);

export interface InstallParams {
  publicUrl: string;
  /** URL the agent dials: https://host:port (TLS) or http://host:port (insecure). */
  agentUrl: string;
  caHash: string | null;
  clusterName: string;
  permissions: AgentPermissions;
  token: string;
  chartVersion: string;
  namespace?: string;
}

/**
 * `curl | bash` of agent/install.sh. The script fetches the chart from --dashboard-http-url (the
 * dashboard's web address, which serves it) and points the agent at --dashboard-url (the gRPC
 * agent endpoint): two different URLs. The user's curl must trust the dashboard's HTTPS (for the
 * dashboard's own CA: `export CURL_CA_BUNDLE=ca.pem` first; docs/agent.md).
 */
export function installCommand(p: InstallParams): string {
  const args = [
    "--dashboard-url",
    shellQuote(p.agentUrl),
    "--dashboard-http-url",
    shellQuote(p.publicUrl),
    "--cluster-name",
    shellQuote(p.clusterName),
    "--permissions",
    shellQuote(p.permissions.preset),
    ...(p.permissions.rules ? ["--rules", shellQuote(JSON.stringify(p.permissions.rules))] : []),
    p.caHash ? `--ca-hash ${shellQuote(p.caHash)}` : "--insecure",
    "--namespace",
    shellQuote(p.namespace ?? "dashboard-agent"),
  ];
  return `curl -fsSL ${shellQuote(`${p.publicUrl}/api/agents/install.sh`)} | AGENT_TOKEN=${
    shellQuote(p.token)
  } bash -s -- ${args.join(" ")}`;
}

export function helmCommand(p: InstallParams): string {
  const ns = p.namespace ?? "dashboard-agent";
  const chart = `${p.publicUrl}/api/agents/charts/dashboard-agent-${p.chartVersion}.tgz`;
  const values = [
    `clusterName: ${yamlString(p.clusterName)}`,
    `token: ${yamlString(p.token)}`,
    "dashboard:",
    `  url: ${yamlString(p.agentUrl)}`,
    p.caHash ? `  caHash: ${yamlString(p.caHash)}` : "  insecure: true",
    "rbac:",
    `  preset: ${yamlString(p.permissions.preset)}`,
    ...(p.permissions.rules ? [`  rules: ${JSON.stringify(p.permissions.rules)}`] : []),
  ];
  return `helm upgrade --install dashboard-agent ${shellQuote(chart)} --namespace ${
    shellQuote(ns)
  } --create-namespace --values - <<'EOF'\n${values.join("\n")}\nEOF`;
}
