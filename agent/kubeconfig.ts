// Where the agent finds its own API server and credential, without @kubernetes/client-node (which
// alone costs the agent process ~60 MB): the pod's ServiceAccount (in-cluster config) or one
// kubeconfig file (--kubeconfig). Only what the agent can honour is accepted: a server, a CA, and
// a bearer token (inline or in a file) or a client certificate. Anything else (exec and
// auth-provider plugins, basic auth, impersonation, insecure-skip-tls-verify, ...) is refused
// with a message that says what to change, instead of being silently ignored.
import { dirname, isAbsolute, resolve } from "node:path";

/** The agent cannot use its kubeconfig or in-cluster config (exit 2, not a crash). */
export class KubeAccessError extends Error {}

/** What the agent needs to reach its API server. */
export interface KubeTarget {
  /** Base URL, without a trailing slash. */
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  /** The bearer token, as read at load time (from `tokenFile` when there is one). */
  token?: string;
  /** A token file to re-read periodically (projected tokens rotate); it wins over `token`. */
  tokenFile?: string;
  /** The ServiceAccount's namespace (in-cluster only). */
  namespace?: string;
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

type Mapping = Record<string, unknown>;

const isMapping = (v: unknown): v is Mapping =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A set string field of `m`, or undefined when absent, null or empty (as kubectl treats them). */
function str(m: Mapping, field: string, where: string): string | undefined {
  const v = m[field];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") {
    throw new KubeAccessError(`${where}: '${field}' must be a string, not ${typeName(v)}`);
  }
  return v;
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  return typeof v === "object" ? "a mapping" : `a ${typeof v}`;
}

/** Decodes a `*-data` field: base64 of a PEM block. */
function pemData(b64: string, where: string, field: string, marker: RegExp): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)),
    );
  } catch {
    throw new KubeAccessError(`${where}: '${field}' is not base64-encoded PEM`);
  }
  if (!marker.test(text)) {
    throw new KubeAccessError(`${where}: '${field}' does not contain a PEM ${pemKind(marker)}`);
  }
  return text;
}

async function pemFile(path: string, where: string, field: string, marker: RegExp) {
  const text = await readFile(path, `${where}: cannot read '${field}' ${path}`);
  if (!marker.test(text)) {
    throw new KubeAccessError(
      `${where}: '${field}' ${path} does not contain a PEM ${pemKind(marker)}`,
    );
  }
  return text;
}

const CERT = /-----BEGIN CERTIFICATE-----/;
const KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const pemKind = (marker: RegExp) => marker === KEY ? "private key" : "certificate";

async function readFile(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new KubeAccessError(`${what}: ${(err as Error).message}`);
  }
}

/** Reads a token file: its trimmed content, which must fit in an HTTP header. */
export async function readTokenFile(path: string, where = "token file"): Promise<string> {
  const token = (await readFile(path, `${where}: cannot read ${path}`)).trim();
  checkToken(token, `${where} ${path}`);
  return token;
}

function checkToken(token: string, where: string): void {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x20\x7f-\uffff]/.test(token)) {
    throw new KubeAccessError(
      `${where}: the token contains whitespace, control or non-ASCII characters`,
    );
  }
}

/** The entry named `name` in the list `list` (clusters, users, contexts), or undefined. */
function findNamed(doc: Mapping, list: string, inner: string, name: string, file: string) {
  const entries = doc[list];
  if (entries === undefined || entries === null) return undefined;
  if (!Array.isArray(entries)) {
    throw new KubeAccessError(`${file}: '${list}' must be a list, not ${typeName(entries)}`);
  }
  for (const e of entries) {
    if (!isMapping(e) || e.name !== name) continue;
    const body = e[inner];
    if (body === undefined || body === null) return {};
    if (!isMapping(body)) {
      throw new KubeAccessError(
        `${file}: ${inner} ${JSON.stringify(name)}: '${inner}' must be a mapping, not ${
          typeName(body)
        }`,
      );
    }
    return body;
  }
  return undefined;
}

/** The named cluster or user the context refers to; refused when it is not defined. */
function requireNamed(
  doc: Mapping,
  list: "clusters" | "users",
  name: string,
  file: string,
  ctxWhere: string,
): Mapping {
  const inner = list === "clusters" ? "cluster" : "user";
  const found = findNamed(doc, list, inner, name, file);
  if (!found) {
    throw new KubeAccessError(
      `${ctxWhere} names ${inner} ${JSON.stringify(name)}, which is not defined (${list}: ${
        names(doc, list)
      })`,
    );
  }
  return found;
}

function names(doc: Mapping, list: string): string {
  const entries = Array.isArray(doc[list]) ? doc[list] as unknown[] : [];
  const all = entries.flatMap((e) => isMapping(e) && typeof e.name === "string" ? [e.name] : []);
  return all.length ? all.map((n) => JSON.stringify(n)).join(", ") : "none";
}

/**
 * Loads the current context of the kubeconfig at `path`. Relative file references are resolved
 * against the kubeconfig's directory, as kubectl does. `certificate-authority-data` wins over
 * `certificate-authority`, `client-*-data` over `client-*` files, and a token file over `token`.
 */
export async function loadKubeconfig(path: string): Promise<KubeTarget> {
  const file = resolve(path);
  const text = await readFile(file, `cannot read the kubeconfig ${file}`);
  // Loaded here, not at start: an agent in a pod reads its ServiceAccount and never needs YAML.
  const { parse } = await import("yaml");
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new KubeAccessError(
      `cannot parse the kubeconfig ${file}: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  if (!isMapping(doc)) {
    throw new KubeAccessError(`${file} is not a kubeconfig: expected a YAML mapping`);
  }
  const dir = dirname(file);
  const abs = (p: string) => isAbsolute(p) ? p : resolve(dir, p);

  const contextName = str(doc, "current-context", file);
  if (!contextName) {
    throw new KubeAccessError(
      `${file} has no current-context: set one with 'kubectl config use-context <name>' (contexts: ${
        names(doc, "contexts")
      })`,
    );
  }
  const ctxWhere = `${file}: context ${JSON.stringify(contextName)}`;
  const ctx = findNamed(doc, "contexts", "context", contextName, file);
  if (!ctx) {
    throw new KubeAccessError(
      `${file}: current-context ${JSON.stringify(contextName)} is not defined (contexts: ${
        names(doc, "contexts")
      })`,
    );
  }
  const clusterName = str(ctx, "cluster", ctxWhere);
  const userName = str(ctx, "user", ctxWhere);
  if (!clusterName || !userName) {
    throw new KubeAccessError(`${ctxWhere} must name both a cluster and a user`);
  }

  // Cluster.
  const cw = `${file}: cluster ${JSON.stringify(clusterName)}`;
  const cluster = requireNamed(doc, "clusters", clusterName, file, ctxWhere);
  const serverText = str(cluster, "server", cw);
  if (!serverText) throw new KubeAccessError(`${cw} has no server: set its API server URL`);
  let url: URL;
  try {
    url = new URL(serverText);
  } catch {
    throw new KubeAccessError(`${cw}: server ${JSON.stringify(serverText)} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new KubeAccessError(`${cw}: the server must be an https:// (or http://) URL`);
  }
  if (url.search || url.hash) {
    throw new KubeAccessError(`${cw}: the server URL must not have a query or fragment`);
  }
  const skip = cluster["insecure-skip-tls-verify"];
  if (skip !== undefined && skip !== null && typeof skip !== "boolean") {
    throw new KubeAccessError(`${cw}: 'insecure-skip-tls-verify' must be true or false`);
  }
  if (skip === true) {
    throw new KubeAccessError(
      `${cw}: insecure-skip-tls-verify is not supported (the agent always verifies its API server); remove it and set certificate-authority-data or certificate-authority`,
    );
  }
  for (const f of ["tls-server-name", "proxy-url"]) {
    if (str(cluster, f, cw)) {
      throw new KubeAccessError(`${cw}: '${f}' is not supported; remove it`);
    }
  }
  // Inline `<field>-data` wins over the `<field>` file, as in kubectl.
  const pemOf = (m: Mapping, field: string, where: string, kind: RegExp) => {
    const data = str(m, `${field}-data`, where);
    const path = str(m, field, where);
    return data
      ? Promise.resolve(pemData(data, where, `${field}-data`, kind))
      : path
      ? pemFile(abs(path), where, field, kind)
      : Promise.resolve(undefined);
  };
  const caPem = await pemOf(cluster, "certificate-authority", cw, CERT);

  // User.
  const uw = `${file}: user ${JSON.stringify(userName)}`;
  const user = requireNamed(doc, "users", userName, file, ctxWhere);
  for (const f of ["exec", "auth-provider"]) {
    if (user[f] !== undefined && user[f] !== null) {
      throw new KubeAccessError(
        `${uw}: exec and auth-provider credentials are not supported: use a token or client certificate`,
      );
    }
  }
  if (str(user, "username", uw) || str(user, "password", uw)) {
    throw new KubeAccessError(
      `${uw}: basic auth (username/password) is not supported: use a token or client certificate`,
    );
  }
  for (const f of ["as", "as-uid", "as-groups", "as-user-extra"]) {
    if (user[f] !== undefined && user[f] !== null) {
      throw new KubeAccessError(
        `${uw}: impersonation ('${f}') is not supported: give the agent a credential of its own`,
      );
    }
  }
  const certPem = await pemOf(user, "client-certificate", uw, CERT);
  const keyPem = await pemOf(user, "client-key", uw, KEY);
  if (!certPem !== !keyPem) {
    throw new KubeAccessError(
      `${uw}: a client certificate needs both a certificate and a key (client-certificate[-data] and client-key[-data])`,
    );
  }
  const tokenFileCamel = str(user, "tokenFile", uw);
  const tokenFileDash = str(user, "token-file", uw);
  const tokenFileField = tokenFileCamel ? "tokenFile" : "token-file";
  const tokenFileName = tokenFileCamel ?? tokenFileDash;
  const tokenFile = tokenFileName ? abs(tokenFileName) : undefined;
  let token = str(user, "token", uw);
  if (tokenFile) token = await readTokenFile(tokenFile, `${uw}: '${tokenFileField}'`);
  else if (token) checkToken(token, `${uw}: 'token'`);
  if (!token && !certPem) {
    throw new KubeAccessError(
      `${uw} has no credential: set a token, token file or client certificate`,
    );
  }
  return {
    server: serverText.replace(/\/+$/, ""),
    caPem,
    certPem,
    keyPem,
    token,
    tokenFile,
  };
}

/**
 * The in-cluster config: the API server from KUBERNETES_SERVICE_HOST/PORT, and the pod's
 * ServiceAccount token, CA and namespace from `saDir`.
 */
export async function loadInCluster(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
  saDir = SA_DIR,
): Promise<KubeTarget> {
  const notInPod = (why: string) =>
    new KubeAccessError(
      `not running in a pod (${why}); pass --kubeconfig to run the agent outside a cluster`,
    );
  const host = env("KUBERNETES_SERVICE_HOST");
  const port = env("KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    throw notInPod("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw notInPod(`KUBERNETES_SERVICE_PORT ${JSON.stringify(port)} is not a port`);
  }
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const server = `https://${bracketed}:${port}`;
  try {
    new URL(server);
  } catch {
    throw notInPod(`KUBERNETES_SERVICE_HOST ${JSON.stringify(host)} is not a host`);
  }
  const read = async (name: string) => {
    try {
      return await Deno.readTextFile(`${saDir}/${name}`);
    } catch (err) {
      throw notInPod((err as Error).message);
    }
  };
  const token = (await read("token")).trim();
  checkToken(token, `${saDir}/token`);
  const caPem = await read("ca.crt");
  if (!CERT.test(caPem)) {
    throw new KubeAccessError(`${saDir}/ca.crt does not contain a PEM certificate`);
  }
  const namespace = (await read("namespace")).trim();
  return { server, caPem, token, tokenFile: `${saDir}/token`, namespace };
}
