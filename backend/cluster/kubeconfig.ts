// Parses an uploaded kubeconfig (with client-node) into what the dashboard needs to reach the
// cluster directly: server URL, CA, and a client certificate or bearer token, all inline.
// Anything the dashboard must not or cannot do is refused with a clear message: exec and
// auth-provider plugins (the dashboard never runs a command from a kubeconfig), references to
// local files, basic auth and insecure-skip-tls-verify.
import { KubeConfig } from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";

export interface DirectTarget {
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  context: string;
}

export class KubeconfigError extends Error {}

const b64 = (s: string) =>
  new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));

/** The context names in a kubeconfig and the current one (for the UI's context picker). */
export function listContexts(text: string): { contexts: string[]; current: string } {
  const kc = load(text);
  return { contexts: kc.getContexts().map((c) => c.name), current: kc.getCurrentContext() };
}

/** Fields naming files or commands on the machine that reads the kubeconfig. */
const LOCAL_REFERENCES: Record<string, string[]> = {
  users: ["token-file", "tokenFile", "client-certificate", "client-key", "exec", "auth-provider"],
  clusters: ["certificate-authority"],
};

/**
 * Refuses references to local files before client-node sees the text: it would read a
 * `token-file` while merely parsing, on the dashboard's host.
 */
function refuseLocalReferences(text: string): void {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new KubeconfigError(`the kubeconfig could not be parsed: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== "object") {
    throw new KubeconfigError("the kubeconfig is not a YAML mapping");
  }
  for (const [list, fields] of Object.entries(LOCAL_REFERENCES)) {
    const entries = (doc as Record<string, unknown>)[list];
    if (!Array.isArray(entries)) continue;
    const inner = list === "users" ? "user" : "cluster";
    for (const e of entries) {
      const body = (e as Record<string, Record<string, unknown>> | null)?.[inner];
      if (!body || typeof body !== "object") continue;
      for (const f of fields) {
        if (body[f] !== undefined && body[f] !== null && body[f] !== "") {
          const name = String((e as { name?: unknown }).name ?? "?");
          throw new KubeconfigError(
            f === "exec" || f === "auth-provider"
              ? `user ${name}: ${f} credential plugins are refused (the dashboard never runs commands from a kubeconfig); use a token or client certificate`
              : `${inner} ${name}: '${f}' names a file on the dashboard's host; embed the data instead (${f}-data, or token)`,
          );
        }
      }
    }
  }
}

function load(text: string): KubeConfig {
  refuseLocalReferences(text);
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (err) {
    throw new KubeconfigError(`the kubeconfig could not be parsed: ${(err as Error).message}`);
  }
  if (kc.getContexts().length === 0) throw new KubeconfigError("the kubeconfig has no contexts");
  return kc;
}

export function parseKubeconfig(text: string, contextName?: string): DirectTarget {
  const kc = load(text);
  const name = contextName ?? kc.getCurrentContext();
  const ctx = kc.getContextObject(name);
  if (!ctx) {
    const names = kc.getContexts().map((c) => c.name).join(", ");
    throw new KubeconfigError(
      `context ${JSON.stringify(name ?? "")} is not in the kubeconfig (it has: ${names})`,
    );
  }
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster) {
    throw new KubeconfigError(`context ${name} names cluster ${ctx.cluster}, which is not defined`);
  }
  const user = kc.getUser(ctx.user);
  if (!user) {
    throw new KubeconfigError(`context ${name} names user ${ctx.user}, which is not defined`);
  }

  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    throw new KubeconfigError(
      `cluster ${cluster.name}: server ${JSON.stringify(cluster.server)} is not a URL`,
    );
  }
  if (server.protocol !== "https:") {
    throw new KubeconfigError(`cluster ${cluster.name}: the server must use https`);
  }
  if (cluster.skipTLSVerify) {
    throw new KubeconfigError(
      `cluster ${cluster.name}: insecure-skip-tls-verify is not supported; add certificate-authority-data`,
    );
  }
  if (cluster.caFile) {
    throw new KubeconfigError(
      `cluster ${cluster.name}: embed the CA as certificate-authority-data`,
    );
  }
  if (user.exec) {
    throw new KubeconfigError(
      `user ${user.name}: exec credential plugins are refused (the dashboard never runs commands from a kubeconfig); use a token or client certificate`,
    );
  }
  if (user.authProvider) {
    throw new KubeconfigError(
      `user ${user.name}: auth-provider plugins are refused; use a token or client certificate`,
    );
  }
  if (user.certFile || user.keyFile) {
    throw new KubeconfigError(
      `user ${user.name}: embed the client certificate and key as *-data fields`,
    );
  }
  if (user.username || user.password) {
    throw new KubeconfigError(
      `user ${user.name}: basic auth is not supported; use a token or client certificate`,
    );
  }
  const certPem = user.certData ? b64(user.certData) : undefined;
  const keyPem = user.keyData ? b64(user.keyData) : undefined;
  if (!!certPem !== !!keyPem) {
    throw new KubeconfigError(`user ${user.name}: a client certificate needs its key`);
  }
  if (!certPem && !user.token) {
    throw new KubeconfigError(
      `user ${user.name}: no credential (token or client certificate) found`,
    );
  }
  return {
    server: cluster.server.replace(/\/+$/, ""),
    caPem: cluster.caData ? b64(cluster.caData) : undefined,
    certPem,
    keyPem,
    token: user.token,
    context: name,
  };
}
