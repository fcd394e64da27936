// Agent configuration from flags and environment variables (every flag has an env twin; the
// install script and Helm chart use the env names). Validated at start with clear errors.
// The registration token is best given through TOKEN (env or the chart's Secret): a --token
// flag would be visible in `ps`.
import { parseArgs } from "node:util";
import type { LogLevel } from "../common/log.ts";

/** The prefix every impersonated user and group name must start with, unless configured. */
export const DEFAULT_IMPERSONATION_PREFIX = "dashboard:";

export interface AgentConfig {
  dashboardUrl: URL;
  token?: string;
  clusterName?: string;
  caHash?: string;
  insecure: boolean;
  credentialSecret: string;
  namespace?: string;
  kubeconfig?: string;
  stateDir?: string;
  healthAddr: { hostname: string; port: number };
  maxConcurrentRequests: number;
  allowImpersonation: boolean;
  /** Every impersonated user and group name must start with it (docs/agent.md). */
  impersonationPrefix: string;
  logLevel: LogLevel;
}

export class AgentConfigError extends Error {}

/** flag name -> env name; also the list of accepted flags. */
export const agentFlags = {
  "dashboard-url": "DASHBOARD_URL",
  "token": "TOKEN",
  "cluster-name": "CLUSTER_NAME",
  "ca-hash": "CA_HASH",
  "credential-secret": "CREDENTIAL_SECRET",
  "namespace": "POD_NAMESPACE",
  "kubeconfig": "KUBECONFIG",
  "state-dir": "STATE_DIR",
  "health-addr": "HEALTH_ADDR",
  "max-concurrent-requests": "MAX_CONCURRENT_REQUESTS",
  "impersonation-prefix": "IMPERSONATION_PREFIX",
  "log-level": "LOG_LEVEL",
} as const;
const boolFlags = { "insecure": "INSECURE", "allow-impersonation": "ALLOW_IMPERSONATION" } as const;

/** The names the agent impersonates start with it; it ends in a separator so that "dashboard:"
 * never also matches "dashboardx...". The chart's values.schema.json has the same pattern. */
const IMPERSONATION_PREFIX = /^[a-z0-9][a-z0-9:._-]{0,62}[:-]$/;

function bool(name: string, v: string | undefined): boolean {
  if (v === undefined || v === "") return false;
  if (/^(1|true|yes)$/i.test(v)) return true;
  if (/^(0|false|no)$/i.test(v)) return false;
  throw new AgentConfigError(`${name}=${JSON.stringify(v)} must be true or false`);
}

/** The text of --help: every flag with its environment variable. */
export function agentUsage(): string {
  const rows = [
    ...Object.entries(agentFlags).map(([f, e]) => `  --${f.padEnd(24)} ${e}`),
    ...Object.entries(boolFlags).map(([f, e]) => `  --${f.padEnd(24)} ${e}=true`),
    `  --${"version".padEnd(24)} print the version`,
    `  --${"help".padEnd(24)} print this text`,
  ];
  return `Usage: dashboard-agent [flags]   (every flag also as its environment variable)\n\n${
    rows.join("\n")
  }\n\nSee docs/agent.md. Prefer TOKEN in the environment to --token, which ps shows.`;
}

/** Returns "version" or "help" when one of those was asked for. */
export function loadAgentConfig(
  env: Record<string, string | undefined>,
  args: string[],
): AgentConfig | "version" | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      options: {
        ...Object.fromEntries(Object.keys(agentFlags).map((f) => [f, { type: "string" as const }])),
        ...Object.fromEntries(Object.keys(boolFlags).map((f) => [f, { type: "boolean" as const }])),
        version: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new AgentConfigError(
      `${(err as Error).message}; run with --help for the flags (docs/agent.md)`,
    );
  }
  if (values.help) return "help";
  if (values.version) return "version";
  const get = (flag: keyof typeof agentFlags): string | undefined => {
    const v = values[flag];
    if (typeof v === "string" && v !== "") return v;
    const e = env[agentFlags[flag]] ?? (flag === "token" ? env.AGENT_TOKEN : undefined);
    return e === undefined || e === "" ? undefined : e;
  };
  const getBool = (flag: keyof typeof boolFlags) =>
    values[flag] === true || bool(boolFlags[flag], env[boolFlags[flag]]);

  const rawUrl = get("dashboard-url");
  if (!rawUrl) {
    throw new AgentConfigError(
      "DASHBOARD_URL (--dashboard-url) is required, e.g. https://dashboard.example.com:9090",
    );
  }
  let dashboardUrl: URL;
  try {
    dashboardUrl = new URL(rawUrl);
  } catch {
    throw new AgentConfigError(
      `DASHBOARD_URL=${
        JSON.stringify(rawUrl)
      } is not a URL (e.g. https://dashboard.example.com:9090)`,
    );
  }
  if (
    !/^https?:$/.test(dashboardUrl.protocol) || dashboardUrl.pathname !== "/" || dashboardUrl.search
  ) {
    throw new AgentConfigError(
      `DASHBOARD_URL must be https://host:port (or http://host:port with --insecure)`,
    );
  }
  const insecure = getBool("insecure");
  if (dashboardUrl.protocol === "http:" && !insecure) {
    throw new AgentConfigError(
      "DASHBOARD_URL uses http:// (no TLS): pass --insecure (INSECURE=true) to allow it",
    );
  }
  if (dashboardUrl.protocol === "https:" && insecure) {
    throw new AgentConfigError(
      "--insecure needs an http:// DASHBOARD_URL; with https:// use --ca-hash",
    );
  }
  const caHash = get("ca-hash")?.toLowerCase();
  if (caHash !== undefined && !/^sha256:[0-9a-f]{64}$/.test(caHash)) {
    throw new AgentConfigError(
      "CA_HASH must look like sha256:<64 hex digits> (from the install command)",
    );
  }
  const token = get("token");
  if (token !== undefined && !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
    throw new AgentConfigError(
      "TOKEN is not a registration token (a JWT from the install command)",
    );
  }
  const clusterName = get("cluster-name");
  if (clusterName !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(clusterName)) {
    throw new AgentConfigError(
      "CLUSTER_NAME must be a DNS-1123 label (lowercase letters, digits, '-')",
    );
  }
  const credentialSecret = get("credential-secret") ?? "dashboard-agent-credential";
  if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(credentialSecret)) {
    throw new AgentConfigError("CREDENTIAL_SECRET must be a valid Secret name");
  }
  const namespace = get("namespace");
  if (namespace !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new AgentConfigError("POD_NAMESPACE must be a valid namespace name");
  }
  const health = get("health-addr") ?? "0.0.0.0:8081";
  const hm = /^([A-Za-z0-9.:-]*):(\d{1,5})$/.exec(health);
  if (!hm || Number(hm[2]) > 65535) {
    throw new AgentConfigError(`HEALTH_ADDR=${JSON.stringify(health)} is not host:port`);
  }
  const maxConcurrentRequests = Number(get("max-concurrent-requests") ?? "128");
  if (
    !Number.isInteger(maxConcurrentRequests) || maxConcurrentRequests < 1 ||
    maxConcurrentRequests > 10_000
  ) {
    throw new AgentConfigError("MAX_CONCURRENT_REQUESTS must be a whole number from 1 to 10000");
  }
  const impersonationPrefix = get("impersonation-prefix") ?? DEFAULT_IMPERSONATION_PREFIX;
  if (
    !IMPERSONATION_PREFIX.test(impersonationPrefix) || impersonationPrefix.startsWith("system:")
  ) {
    throw new AgentConfigError(
      `IMPERSONATION_PREFIX=${
        JSON.stringify(impersonationPrefix)
      } must be 2-64 characters of a-z, 0-9, ':', '.', '_', '-', start with a letter or digit, ` +
        `end with ':' or '-', and not start with "system:" (e.g. ${DEFAULT_IMPERSONATION_PREFIX})`,
    );
  }
  const logLevel = (get("log-level") ?? "info") as LogLevel;
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new AgentConfigError("LOG_LEVEL must be debug, info, warn or error");
  }
  return {
    dashboardUrl,
    token,
    clusterName,
    caHash,
    insecure,
    credentialSecret,
    namespace,
    kubeconfig: get("kubeconfig"),
    stateDir: get("state-dir"),
    healthAddr: { hostname: hm[1] || "0.0.0.0", port: Number(hm[2]) },
    maxConcurrentRequests,
    allowImpersonation: getBool("allow-impersonation"),
    impersonationPrefix,
    logLevel,
  };
}
