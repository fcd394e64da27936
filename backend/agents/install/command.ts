// Renders the commands an admin copies to install an agent: the `curl | bash` install script and
// the Helm alternative. Every value is validated upstream and single-quoted here. The install
// command carries no token at all (install.sh asks for it on the terminal, or reads the file
// DASHBOARD_TOKEN_FILE names), so it lands neither in shell history nor in `ps`; it carries the
// chart's SHA-256, which install.sh checks before installing what it downloaded. The Helm
// command carries no token either: it reads the same DASHBOARD_TOKEN_FILE. With the admin preset
// both set allowImpersonation (docs/agent.md, "Impersonation"): the agent may then act as the
// dashboard's users, which clusters added with it do by default. Both set the agent's image
// (AGENT_IMAGE, or the token's own) and its image pull Secrets, checked here once more: a value
// that is not an image reference or a Secret name never reaches a command.
import type { AgentPermissions } from "./permissions.ts";
import { DEFAULT_AGENT_IMAGE } from "../../../common/version.ts";
import { type ImageRef, parseImageRef, pullSecretsError } from "../../../common/agent_image.ts";
import { DEFAULT_IMPERSONATION_PREFIX } from "../../cluster/impersonation.ts";
import { INSTALL_SCRIPT_SHA256 } from "./assets.ts";

// The token's title and hint live in common/ (the web UI shows them too).
export { TOKEN_HINT, TOKEN_TITLE } from "../../../common/registration_token.ts";

/** What the Helm command says when DASHBOARD_TOKEN_FILE is not set (no quotes, braces or $). */
const TOKEN_FILE_UNSET =
  "save the registration token to a file and set DASHBOARD_TOKEN_FILE=/path/to/file";

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
  chartVersion: string;
  /** Hex SHA-256 of the chart this dashboard serves (assets.ts chartSha256()). */
  chartSha256: string;
  /** Hex SHA-256 of the install.sh this dashboard serves; default: assets.ts INSTALL_SCRIPT_SHA256. */
  installScriptSha256?: string;
  namespace?: string;
  /** Install the agent with allowImpersonation; default: only for the admin preset. */
  allowImpersonation?: boolean;
  /** The agent's IMPERSONATION_PREFIX, when not the chart's default ("dashboard:"). */
  impersonationPrefix?: string;
  /** The agent image, [registry[:port]/]path[:tag][@sha256:…]; default DEFAULT_AGENT_IMAGE. */
  image?: string;
  /** Names of Secrets (docker-registry) in the agent's namespace to pull the image with. */
  imagePullSecrets?: readonly string[];
}

/** The image split for the chart, and the pull Secrets; throws on anything else. */
function imageOf(p: InstallParams): { ref: string; parts: ImageRef; pullSecrets: string[] } {
  const ref = p.image ?? DEFAULT_AGENT_IMAGE;
  const parts = parseImageRef(ref);
  if ("error" in parts) throw new Error(`image ${JSON.stringify(ref)}: ${parts.error}`);
  const pullSecrets = [...(p.imagePullSecrets ?? [])];
  const bad = pullSecretsError(pullSecrets);
  if (bad) throw new Error(`imagePullSecrets: ${bad}`);
  return { ref, parts, pullSecrets };
}

/** Whether the agent is installed with allowImpersonation, and the prefix to set if any. */
function impersonation(p: InstallParams): { allow: boolean; prefix?: string } {
  const allow = p.allowImpersonation ?? p.permissions.preset === "admin";
  const prefix = p.impersonationPrefix;
  return {
    allow,
    prefix: allow && prefix && prefix !== DEFAULT_IMPERSONATION_PREFIX ? prefix : undefined,
  };
}

/** The shell function the install command defines and calls (options appended go to it). */
export const INSTALL_FUNCTION = "dashboard_agent_install";

/**
 * The install command: one paste, POSIX sh (bash, dash, zsh). It defines a function that
 *   1. with a CA hash: reads the certificate chain the dashboard's HTTPS presents
 *      (`openssl s_client -showcerts`, trusting nothing) and keeps the certificate whose SHA-256
 *      (of its DER, as the agent pins it) is CA_HASH; when none is (a public certificate) curl
 *      uses the system's trust store instead;
 *   2. downloads install.sh to a temporary directory with curl, trusting only that CA;
 *   3. checks install.sh's SHA-256 against the one in the command and refuses to run another
 *      (exit 10);
 *   4. runs it with bash, --ca-file naming the CA (install.sh checks it against --ca-hash once more
 *      and uses it for the chart and helm), and with the arguments below plus any appended;
 * then calls it. Integrity rests on the two hashes (install.sh's here, the chart's in
 * --chart-sha256), which reach the admin through their authenticated session. The token is not
 * in it: install.sh prompts for it (or reads DASHBOARD_TOKEN_FILE).
 */
export function installCommand(p: InstallParams): string {
  const imp = impersonation(p);
  const img = imageOf(p);
  const scriptSha = (p.installScriptSha256 ?? INSTALL_SCRIPT_SHA256).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(scriptSha)) throw new Error("installScriptSha256: not a SHA-256");
  if (p.caHash !== null && !/^sha256:[0-9a-f]{64}$/.test(p.caHash)) {
    throw new Error("caHash: not sha256:<64 hex>");
  }
  const url = new URL(p.publicUrl);
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
    ...(imp.allow ? ["--allow-impersonation"] : []),
    ...(imp.prefix ? ["--impersonation-prefix", shellQuote(imp.prefix)] : []),
    p.caHash ? `--ca-hash ${shellQuote(p.caHash)}` : "--insecure",
    "--namespace",
    shellQuote(p.namespace ?? "dashboard-agent"),
    "--image",
    shellQuote(img.ref),
    ...img.pullSecrets.flatMap((s) => ["--image-pull-secret", shellQuote(s)]),
    "--chart-sha256",
    shellQuote(p.chartSha256),
  ];
  const scriptUrl = `"$url/api/agents/install.sh"`;
  const pin = p.caHash !== null && url.protocol === "https:";
  const lines = [
    `${INSTALL_FUNCTION}() (`,
    "  set -eu",
    `  d=$(mktemp -d) && trap 'rm -rf "$d"' EXIT`,
    `  url=${shellQuote(p.publicUrl)}`,
  ];
  if (p.caHash) lines.push(`  ca_hash=${shellQuote(p.caHash)}`);
  lines.push(`  script_sha256=${shellQuote(scriptSha)}`);
  if (pin) {
    // host:port from $url (the port added when the URL has none), so the URL is written once.
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const ip = /^[\d.]+$/.test(host) || host.includes(":");
    lines.push(
      `  hp=\${url#https://} && hp=\${hp%%/*}${url.port ? "" : ":443"}`,
      `  openssl s_client -connect "$hp"${
        ip ? "" : ' -servername "${hp%:*}"'
      } -showcerts </dev/null 2>/dev/null |`,
      `    awk -v d="$d" '/-BEGIN CERT/{n++; f=d "/chain" n ".pem"} f{print > f} /-END CERT/{close(f); f=""}'`,
      '  for c in "$d"/chain*.pem; do',
      '    [ -f "$c" ] || continue',
      '    h=$(openssl x509 -in "$c" -outform DER | openssl dgst -sha256 -r | cut -c1-64)',
      '    if [ "sha256:$h" = "$ca_hash" ]; then cp "$c" "$d/ca.pem"; fi',
      "  done",
      '  if [ -f "$d/ca.pem" ]; then',
      `    curl -fsSL --cacert "$d/ca.pem" -o "$d/install.sh" ${scriptUrl}`,
      '    set -- --ca-file "$d/ca.pem" "$@"',
      "  else",
      '    echo "the dashboard did not present the CA $ca_hash: trusting the system CAs" >&2',
      `    curl -fsSL -o "$d/install.sh" ${scriptUrl}`,
      "  fi",
    );
  } else {
    lines.push(`  curl -fsSL -o "$d/install.sh" ${scriptUrl}`);
  }
  lines.push(
    '  h=$(openssl dgst -sha256 -r "$d/install.sh" | cut -c1-64)',
    '  if [ "$h" != "$script_sha256" ]; then',
    '    echo "refusing install.sh: its SHA-256 is $h, the command expects $script_sha256" >&2',
    "    exit 10",
    "  fi",
    `  bash "$d/install.sh" ${args.join(" ")} "$@"`,
    ")",
    INSTALL_FUNCTION,
  );
  return lines.join("\n");
}

/**
 * The Helm alternative, for bash or zsh. The non-secret values go through stdin (a
 * here-document); the token is read from the file DASHBOARD_TOKEN_FILE names, through a process
 * substitution that drops the file's whitespace (its final newline, a CRLF): Helm's argv shows
 * only /dev/fd/N, and the token is neither in the command nor in shell history. Without
 * DASHBOARD_TOKEN_FILE the command stops before Helm runs.
 */
export function helmCommand(p: InstallParams): string {
  const ns = p.namespace ?? "dashboard-agent";
  const imp = impersonation(p);
  const { parts, pullSecrets } = imageOf(p);
  const chart = `${p.publicUrl}/api/agents/charts/dashboard-agent-${p.chartVersion}.tgz`;
  const values = [
    `clusterName: ${yamlString(p.clusterName)}`,
    "dashboard:",
    `  url: ${yamlString(p.agentUrl)}`,
    p.caHash ? `  caHash: ${yamlString(p.caHash)}` : "  insecure: true",
    "rbac:",
    `  preset: ${yamlString(p.permissions.preset)}`,
    ...(p.permissions.rules ? [`  rules: ${JSON.stringify(p.permissions.rules)}`] : []),
    ...(imp.allow ? ["allowImpersonation: true"] : []),
    ...(imp.prefix ? [`impersonationPrefix: ${yamlString(imp.prefix)}`] : []),
    "image:",
    `  repository: ${yamlString(parts.repository)}`,
    ...(parts.tag ? [`  tag: ${yamlString(parts.tag)}`] : []),
    ...(parts.digest ? [`  digest: ${yamlString(parts.digest)}`] : []),
    ...(pullSecrets.length
      ? [`imagePullSecrets: ${JSON.stringify(pullSecrets.map((name) => ({ name })))}`]
      : []),
  ];
  return `: "\${DASHBOARD_TOKEN_FILE:?${TOKEN_FILE_UNSET}}" && ` +
    `helm upgrade --install dashboard-agent ${shellQuote(chart)} --namespace ${shellQuote(ns)} ` +
    `--create-namespace --set-file token=<(tr -d '[:space:]' < "$DASHBOARD_TOKEN_FILE") ` +
    `--values - <<'EOF'\n${values.join("\n")}\nEOF`;
}
