// Keeps tunnelled requests (the dashboard's users, never the agent itself) away from the Secret
// that holds the agent's own credential: any request naming it (every verb and subresource, the
// legacy /api/v1/watch/... form, percent-encoded names) is refused with a 403, and a list, watch
// or deletecollection of Secrets that could include it is narrowed with the field selector
// metadata.name!=<name>, ANDed before the client's own selector, so the API server leaves it out
// without the agent buffering anything. Upgraded streams (protocol v2) are WebSocket GETs and are
// guarded as GETs: the API server serves watches over WebSocket too, so a stream of a Secret list
// is narrowed like a list and one naming the Secret is refused. The agent's own reads and writes
// (./credentials.ts) do not pass through here.
import { refusePath } from "./kube.ts";
import { type ExchangeWork, workTarget } from "./tunnel.ts";

/** The Secret the agent keeps its credential in. */
export interface ProtectedSecret {
  namespace: string;
  name: string;
}

/** A tunnelled request's fate: refused (403, with why), or run with this path and query. */
export type CredentialGuardResult = { refused: string } | { path: string };

/** Decodes a path segment as the API server does (once); null when the encoding is malformed. */
function decodeSegment(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * Refuses or narrows one tunnelled request so that it can neither read nor change the Secret
 * `secret`. pathAndQuery has already passed refusePath (./kube.ts): an API path without dot
 * segments, encoded separators, fragments, backslashes or control characters.
 *
 * Collections narrowed: /api/<v>/secrets (every namespace: this also hides Secrets of the same
 * name in other namespaces, since field selectors cannot say "not this name in this namespace")
 * and /api/<v>/namespaces/<its namespace>/secrets, with or without the legacy /watch/ prefix, for
 * every method but POST (a create names its object in the body; the chart's Secret exists, so a
 * create of that name fails with 409).
 */
export function guardCredentialSecret(
  method: string,
  pathAndQuery: string,
  secret: ProtectedSecret,
): CredentialGuardResult {
  const q = pathAndQuery.indexOf("?");
  const rawPath = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = q < 0 ? "" : pathAndQuery.slice(q + 1);
  // Empty segments are dropped: "//" and a trailing "/" must not hide a name from this check.
  const segments = rawPath.split("/").filter((s) => s !== "").map(decodeSegment);
  if (segments.includes(null)) {
    return {
      refused: "the path has malformed percent-encoding; encode '%' as %25 (RFC 3986)",
    };
  }
  const s = segments as string[];
  if (s[0] !== "api") return { path: pathAndQuery };
  let rest = s.slice(2);
  if (rest[0] === "watch") rest = rest.slice(1);
  const inItsNamespace = rest[0] === "namespaces" && rest[1] === secret.namespace &&
    rest[2] === "secrets";
  if (inItsNamespace && rest.length > 3 && rest[3] === secret.name) {
    return {
      refused: `the Secret ${secret.namespace}/${secret.name} holds this agent's credential ` +
        "for the dashboard; the agent refuses every request for it from the dashboard " +
        "(docs/agent.md, 'Where the credential lives and who can read it')",
    };
  }
  const collection = (inItsNamespace && rest.length === 3) ||
    (rest.length === 1 && rest[0] === "secrets");
  if (!collection || method.toUpperCase() === "POST") return { path: pathAndQuery };

  const params = new URLSearchParams(query);
  const given = params.getAll("fieldSelector");
  if (given.length > 1) {
    return {
      refused: "give at most one fieldSelector parameter on a list of Secrets (join terms with " +
        "commas); the agent narrows Secret lists to leave out its own credential",
    };
  }
  // Ours goes first: a client's term ending in a backslash cannot then escape our comma.
  const ours = `metadata.name!=${secret.name}`;
  const client = (given[0] ?? "").trim();
  params.set("fieldSelector", client ? `${ours},${client}` : ours);
  return { path: `${rawPath}?${params}` };
}

/**
 * The checks every tunnelled request (a K8sRequest, a WatchStart or a StreamStart) passes before
 * it runs: the path allow-list (refusePath), then, when the credential is kept in a Secret, this
 * guard, which narrows the work's path in place (a stream's as a GET: a WebSocket handshake is
 * one). Returns why it is refused (answered with 403), or null.
 */
export function admitTunnelled(
  work: ExchangeWork,
  secret: ProtectedSecret | undefined,
): string | null {
  const target = workTarget(work);
  const why = refusePath(target.path);
  if (why || !secret) return why;
  const guarded = guardCredentialSecret(work.request?.method ?? "GET", target.path, secret);
  if ("refused" in guarded) return guarded.refused;
  target.path = guarded.path;
  return null;
}
