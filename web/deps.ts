// What the web UI needs from the dashboard, as an interface the server fills (backend/server.ts):
// the signed-in user of a session token, the user's API tokens, the clusters, a cluster's client
// and which API paths the pages never read. web/ imports no backend module for its values; the
// server-side code imports backend types only (`import type`), the browser code not even those.
import type { AppEnv } from "../backend/http/types.ts";
import type { User } from "../backend/auth/service.ts";

/** The Hono environment of the pages: the dashboard's own (`user` is set for signed-in pages). */
export type WebEnv = AppEnv;

/** The signed-in user a session resolves to. */
export type WebUser = User;

/**
 * A cluster's fetch-style client: a Request whose path and query are a Kubernetes API path in,
 * the cluster's (streaming) Response out. It rejects when the cluster cannot be reached, with an
 * error whose numeric `status` is the HTTP status to answer (the backend's ClusterUnavailableError:
 * 503 agent not connected, 502 unreachable, an agent's refusal with its own code).
 */
export interface WebClusterClient {
  fetch(req: Request): Promise<Response>;
}

/** The clusters as stored (the pages JSON-normalise them into web/lib/types.ts `Cluster`). */
export interface ClusterSource {
  list(): Promise<readonly object[]>;
  /** Throws when there is no cluster with this id. */
  get(id: string): Promise<object>;
}

export interface WebDeps {
  /** The user a session token belongs to, or null (unknown, expired, not a session token). */
  sessionUser(token: string): Promise<WebUser | null>;
  /** The user's API tokens, as the account page lists them. */
  apiTokens(userId: string): Promise<readonly object[]>;
  clusters: ClusterSource;
  /** The client of a cluster (throws when the cluster has none now, e.g. no agent connected). */
  client(clusterId: string): Promise<WebClusterClient>;
  /**
   * The agent's credential Secret: pages never read it, as the proxy never forwards a request
   * for it. `secret` is its name; `isPath` says whether an API path names it.
   */
  agentCredential: { secret: string; isPath(path: string): boolean };
}
