// What an audit record says a request did: whether it is recorded at all (writes, upgrades and
// kubeconfig downloads, which hand out a credential), its verb, the path as stored and the
// cluster it names. Pure, so the mapping is unit-tested on its own (target_test.ts). Kubernetes
// proxy requests get the API server's verbs (create, update, patch, delete, deletecollection,
// exec, attach, portforward); the dashboard's own REST routes get the verb of their method (POST
// create, PUT update, PATCH patch, DELETE delete), logout and a password change say what they do.
//
// The stored path never has a query string: queries can carry secrets (an exec's command line,
// a label selector, anything a client appends), and the path says what was acted on. The one
// exception is a proxy request's dryRun, kept as "?dryRun=All": a dry run changes nothing, and
// the record must say so.

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const CLUSTER_PATH = new RegExp(`^/api/clusters/(${UUID})(?:/|$)`, "i");
const PROXY_PATH = new RegExp(`^/api/clusters/${UUID}/k8s(/.*)?$`, "i");
/** A kubeconfig download: it embeds an API token (minted for it when asked with a session). */
const KUBECONFIG_PATH = new RegExp(`^/api/clusters/${UUID}/kubeconfig$`, "i");
const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** The longest path stored; longer ones are cut (and marked with "…"). */
export const MAX_AUDIT_PATH = 2048;

export interface AuditTarget {
  verb: string;
  path: string;
  /** The cluster of /api/clusters/{id}/… paths (lower case), else null. */
  clusterId: string | null;
}

/** The verb of a dashboard REST write: its method's. */
const REST_VERBS: Record<string, string> = {
  POST: "create",
  PUT: "update",
  PATCH: "patch",
  DELETE: "delete",
};

/** REST routes whose method says less than what they do. */
const REST_ACTIONS: Record<string, string> = {
  "POST /api/auth/logout": "logout",
  // A person changing their own password.
  "POST /api/auth/password": "update",
};

/** Subresources an upgraded (WebSocket) request opens as a stream, by their API verb. */
const STREAM_SUBRESOURCES = new Set(["exec", "attach", "portforward"]);
/** Namespace subresources (the API server's own list): /namespaces/{name}/status is no resource. */
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

/**
 * Resource, name and subresource of a Kubernetes API path, as the API server reads them, or null
 * for a path naming no resource (/version, /openapi/…, /api, /apis/{group}/{version}).
 */
export function kubeResource(
  path: string,
): { resource: string; name?: string; subresource?: string } | null {
  const parts = path.split("/").filter((p) => p !== "");
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === "apis" && parts.length >= 3) rest = parts.slice(3);
  else return null;
  if (rest[0] === "watch") rest = rest.slice(1);
  if (rest.length === 0) return null;
  if (rest[0] === "namespaces" && rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) {
    rest = rest.slice(2);
  }
  return { resource: rest[0], name: rest[1], subresource: rest[2] };
}

/** The API server's verb for a write or upgrade through the Kubernetes proxy. */
export function kubeVerb(method: string, path: string, upgrade: boolean): string {
  const info = kubeResource(path);
  if (!info) return method.toLowerCase();
  if (upgrade && info.subresource && STREAM_SUBRESOURCES.has(info.subresource)) {
    return info.subresource;
  }
  switch (method) {
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return info.name === undefined ? "deletecollection" : "delete";
    default:
      return upgrade ? "upgrade" : method.toLowerCase();
  }
}

function bounded(path: string): string {
  return path.length > MAX_AUDIT_PATH ? `${path.slice(0, MAX_AUDIT_PATH - 1)}…` : path;
}

/**
 * The audit record of a request, or null when it is not recorded (a read: GET, HEAD or OPTIONS
 * without an upgrade, but for a kubeconfig download). `pathname` is the URL's path without its query; `query` its parameters.
 */
export function auditTarget(
  method: string,
  pathname: string,
  query: URLSearchParams,
  upgrade: boolean,
): AuditTarget | null {
  const m = method.toUpperCase();
  const download = m === "GET" && KUBECONFIG_PATH.test(pathname);
  if (READ_METHODS.has(m) && !upgrade && !download) return null;
  const clusterId = CLUSTER_PATH.exec(pathname)?.[1].toLowerCase() ?? null;
  const proxy = PROXY_PATH.exec(pathname);
  if (proxy) {
    const dryRun = query.has("dryRun") ? "?dryRun=All" : "";
    return {
      verb: kubeVerb(m, proxy[1] ?? "/", upgrade),
      path: bounded(pathname) + dryRun,
      clusterId,
    };
  }
  let verb = REST_ACTIONS[`${m} ${pathname}`] ?? REST_VERBS[m] ??
    (upgrade ? "upgrade" : m.toLowerCase());
  if (download && !upgrade) verb = "download";
  return { verb, path: bounded(pathname), clusterId };
}
