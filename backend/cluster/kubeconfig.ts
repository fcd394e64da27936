// Reads an uploaded or stored kubeconfig into what the dashboard needs to reach the cluster
// directly: server URL, CA, and a client certificate or bearer token, all inline.
//
// One parse decides. The text is parsed once (with `yaml`, YAML 1.2), the parsed document is
// checked, and the target is built from that same document; nothing parses the text again. (It
// used to be handed to @kubernetes/client-node afterwards, whose js-yaml applies `<<` merge keys
// and reads a `token-file` while parsing: a merge key smuggled a file read past the check.)
// Refused, with a message that says what to change:
// - YAML merge keys (`<<`), anchors and aliases, and explicit tags other than the core ones: a
//   kubeconfig never needs them, and they are how a second reader could see other keys;
// - anything that names a file on the dashboard's host or a command (token-file/tokenFile,
//   client-certificate/client-key/certificate-authority paths, exec and auth-provider plugins),
//   in every user and cluster of the file, not only the ones the chosen context uses;
// - basic auth, insecure-skip-tls-verify, non-https servers.
import { isAlias, isNode, isPair, isScalar, parseDocument, visit } from "yaml";

export interface DirectTarget {
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  context: string;
}

export class KubeconfigError extends Error {}

type Mapping = Record<string, unknown>;

/** A kubeconfig as read and checked: its named clusters, users and contexts. */
export interface Kubeconfig {
  clusters: Map<string, Mapping>;
  users: Map<string, Mapping>;
  contexts: Map<string, Mapping>;
  currentContext?: string;
}

const isMapping = (v: unknown): v is Mapping =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Unset as kubectl sees it: absent, null or the empty string. */
const unset = (v: unknown) => v === undefined || v === null || v === "";

function typeName(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  return typeof v === "object" ? "a mapping" : `a ${typeof v}`;
}

/** Tags a plain kubeconfig may spell out; any other (`!!merge`, `!!binary`, `!custom`) is refused. */
const CORE_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

/** Fields of a user that name a file on the dashboard's host or a command to run there. */
const USER_FILE_FIELDS = ["token-file", "tokenFile", "client-certificate", "client-key"];
const USER_PLUGIN_FIELDS = ["exec", "auth-provider"];
/** Fields of a cluster that name a file on the dashboard's host. */
const CLUSTER_FILE_FIELDS = ["certificate-authority"];

/**
 * Parses the text once and checks it: the returned object is the only thing anything else reads.
 * Throws KubeconfigError for anything refused.
 */
export function readKubeconfig(text: string): Kubeconfig {
  const doc = parseDocument(text, {
    version: "1.2",
    merge: false,
    uniqueKeys: true,
    prettyErrors: false,
  });
  if (doc.errors.length > 0) {
    throw new KubeconfigError(
      `the kubeconfig could not be parsed: ${doc.errors[0].message.split("\n")[0]}`,
    );
  }
  // Before toJS: an alias bomb is refused here, while the document is still its own size.
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      throw new KubeconfigError(
        `YAML anchors (&) and aliases (*) are not accepted in a kubeconfig (found *${node.source}); write the values out in full`,
      );
    }
    if (isPair(node) && isScalar(node.key) && node.key.value === "<<") {
      throw new KubeconfigError(
        "YAML merge keys ('<<') are not accepted in a kubeconfig; write the merged fields out in full",
      );
    }
    if (isNode(node)) {
      if (node.anchor) {
        throw new KubeconfigError(
          `YAML anchors (&) and aliases (*) are not accepted in a kubeconfig (found &${node.anchor}); write the values out in full`,
        );
      }
      if (node.tag && !CORE_TAGS.has(node.tag)) {
        throw new KubeconfigError(
          `the YAML tag ${node.tag} is not accepted in a kubeconfig; remove it`,
        );
      }
    }
  });
  const root: unknown = doc.toJS({ maxAliasCount: 0 });
  if (!isMapping(root)) throw new KubeconfigError("the kubeconfig is not a YAML mapping");

  const clusters = named(root, "clusters", "cluster");
  const users = named(root, "users", "user");
  const contexts = named(root, "contexts", "context");
  for (const [name, user] of users) {
    for (const f of USER_PLUGIN_FIELDS) {
      if (!unset(user[f])) {
        throw new KubeconfigError(
          `user ${name}: ${f} credential plugins are refused (the dashboard never runs commands from a kubeconfig); use a token or client certificate`,
        );
      }
    }
    for (const f of USER_FILE_FIELDS) refuseFile(user, f, `user ${name}`);
  }
  for (const [name, cluster] of clusters) {
    for (const f of CLUSTER_FILE_FIELDS) refuseFile(cluster, f, `cluster ${name}`);
  }
  if (contexts.size === 0) throw new KubeconfigError("the kubeconfig has no contexts");
  const current = root["current-context"];
  if (!unset(current) && typeof current !== "string") {
    throw new KubeconfigError(`'current-context' must be a string, not ${typeName(current)}`);
  }
  return {
    clusters,
    users,
    contexts,
    currentContext: unset(current) ? undefined : current as string,
  };
}

function refuseFile(body: Mapping, field: string, where: string): void {
  if (unset(body[field])) return;
  const instead = field === "token-file" || field === "tokenFile" ? "token" : `${field}-data`;
  throw new KubeconfigError(
    `${where}: '${field}' names a file on the dashboard's host; embed the data instead (${instead})`,
  );
}

/** The entries of the list `list` by name, each entry's `inner` mapping (empty when unset). */
function named(root: Mapping, list: string, inner: string): Map<string, Mapping> {
  const out = new Map<string, Mapping>();
  const entries = root[list];
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) {
    throw new KubeconfigError(`'${list}' must be a list, not ${typeName(entries)}`);
  }
  for (const [i, e] of entries.entries()) {
    if (!isMapping(e)) {
      throw new KubeconfigError(`${list}[${i}] must be a mapping, not ${typeName(e)}`);
    }
    if (typeof e.name !== "string" || e.name === "") {
      throw new KubeconfigError(`${list}[${i}] has no name; give every ${inner} a name`);
    }
    if (out.has(e.name)) {
      throw new KubeconfigError(`${inner} ${e.name} is defined twice; keep one`);
    }
    const body = e[inner] ?? {};
    if (!isMapping(body)) {
      throw new KubeconfigError(
        `${inner} ${e.name}: '${inner}' must be a mapping, not ${typeName(body)}`,
      );
    }
    out.set(e.name, body);
  }
  return out;
}

/** A set string field, or undefined when unset. */
function str(m: Mapping, field: string, where: string): string | undefined {
  const v = m[field];
  if (unset(v)) return undefined;
  if (typeof v !== "string") {
    throw new KubeconfigError(`${where}: '${field}' must be a string, not ${typeName(v)}`);
  }
  return v;
}

/** A `*-data` field: base64 of the PEM text. */
function data(m: Mapping, field: string, where: string): string | undefined {
  const v = str(m, field, where);
  if (v === undefined) return undefined;
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(v), (c) => c.charCodeAt(0)));
  } catch {
    throw new KubeconfigError(
      `${where}: '${field}' is not base64; embed the PEM text base64-encoded`,
    );
  }
}

/** The context names in a kubeconfig and the current one (for the UI's context picker). */
export function listContexts(text: string): { contexts: string[]; current: string } {
  const kc = readKubeconfig(text);
  return { contexts: [...kc.contexts.keys()], current: kc.currentContext ?? "" };
}

export function parseKubeconfig(text: string, contextName?: string): DirectTarget {
  const kc = readKubeconfig(text);
  const name = contextName ?? kc.currentContext ?? "";
  const ctx = kc.contexts.get(name);
  if (!ctx) {
    const names = [...kc.contexts.keys()].join(", ");
    throw new KubeconfigError(
      `context ${JSON.stringify(name)} is not in the kubeconfig (it has: ${names})`,
    );
  }
  const ctxWhere = `context ${name}`;
  const clusterName = str(ctx, "cluster", ctxWhere) ?? "";
  const userName = str(ctx, "user", ctxWhere) ?? "";
  const cluster = kc.clusters.get(clusterName);
  if (!cluster) {
    throw new KubeconfigError(
      `context ${name} names cluster ${clusterName}, which is not defined`,
    );
  }
  const user = kc.users.get(userName);
  if (!user) {
    throw new KubeconfigError(`context ${name} names user ${userName}, which is not defined`);
  }

  const cw = `cluster ${clusterName}`;
  const serverText = str(cluster, "server", cw);
  if (!serverText) throw new KubeconfigError(`${cw} has no server; set its API server URL`);
  let server: URL;
  try {
    server = new URL(serverText);
  } catch {
    throw new KubeconfigError(`${cw}: server ${JSON.stringify(serverText)} is not a URL`);
  }
  if (server.protocol !== "https:") {
    throw new KubeconfigError(`${cw}: the server must use https`);
  }
  if (server.search || server.hash) {
    throw new KubeconfigError(`${cw}: the server URL must not have a query or fragment`);
  }
  const skip = cluster["insecure-skip-tls-verify"];
  if (!unset(skip) && skip !== false) {
    throw new KubeconfigError(
      `${cw}: insecure-skip-tls-verify is not supported; add certificate-authority-data`,
    );
  }

  const uw = `user ${userName}`;
  if (str(user, "username", uw) || str(user, "password", uw)) {
    throw new KubeconfigError(
      `${uw}: basic auth is not supported; use a token or client certificate`,
    );
  }
  const certPem = data(user, "client-certificate-data", uw);
  const keyPem = data(user, "client-key-data", uw);
  if (!!certPem !== !!keyPem) {
    throw new KubeconfigError(`${uw}: a client certificate needs its key`);
  }
  const token = str(user, "token", uw);
  // deno-lint-ignore no-control-regex
  if (token && /[\x00-\x20\x7f]/.test(token)) {
    throw new KubeconfigError(`${uw}: the token contains whitespace or control characters`);
  }
  if (!certPem && !token) {
    throw new KubeconfigError(`${uw}: no credential (token or client certificate) found`);
  }
  return {
    server: serverText.replace(/\/+$/, ""),
    caPem: data(cluster, "certificate-authority-data", cw),
    certPem,
    keyPem,
    token,
    context: name,
  };
}
