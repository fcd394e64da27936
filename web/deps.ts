// What the web UI needs from the dashboard, as an interface the server fills (backend/server.ts):
// the signed-in user of a session token, the user's API tokens, the clusters, a cluster's client,
// which API paths the pages never read and the audit trail. web/ imports no backend module for its values; the
// server-side code imports backend types only (`import type`), the browser code not even those.
import type { Context } from "hono";
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

/**
 * The clusters a person holds a role on, each with `my_role` (the pages JSON-normalise them into
 * web/lib/types.ts `Cluster`).
 */
export interface ClusterSource {
  list(user: WebUser): Promise<readonly object[]>;
  /** Throws when there is no such cluster or the user holds no role on it. */
  get(id: string, user: WebUser): Promise<object>;
}

/** The audit trail as the admin page reads it (backend/audit). */
export interface AuditSource {
  /**
   * One page of events, newest first. `query` is the page's URL query as is (user, cluster, verb,
   * status, since, until, before, limit): the backend validates it and throws an error whose
   * `status` is 400 for a bad filter.
   */
  list(
    query: Record<string, string>,
  ): Promise<{ items: readonly object[]; next_before: number | null }>;
}

/** The users as the admin page lists them (backend/auth/service.ts `listUsers`). */
export interface UserSource {
  list(): Promise<readonly object[]>;
}

/**
 * Single sign-on with the team's OpenID provider (backend/auth/oidc), when OIDC_ISSUER_URL is set.
 * Its flow runs through two pages: /auth/oidc/start and /auth/oidc/callback.
 */
export interface SingleSignOn {
  /** The provider's name, as on the sign-in button ("Sign in with <name>"). */
  readonly name: string;
  /**
   * Starts a sign-in that comes back to `next` (a safe local path): where to send the browser
   * (the provider's authorization endpoint) and the value of the flow cookie (SSO_FLOW_COOKIE) to
   * set for /auth/oidc/callback.
   */
  start(next: string): Promise<{ location: string; flowCookie: string }>;
  /**
   * Finishes a sign-in from the provider's redirect to /auth/oidc/callback: its query, the flow
   * cookie and the client's address (for the audit trail). Returns a new session for the person
   * and where to go, or throws an error with a numeric `status` and a string `title` whose
   * message says what happened and what to do (shown as the error page).
   */
  finish(
    query: Record<string, string>,
    flowCookie: string | undefined,
    client: string,
  ): Promise<{ token: string; expiresAt: Date; next: string }>;
  /** The provider's end-session endpoint (offered after signing out), when it has one. */
  endSessionUrl(): string | null;
}

export interface WebDeps {
  /** The user a session token belongs to, or null (unknown, expired, not a session token). */
  sessionUser(token: string): Promise<WebUser | null>;
  /** The user's API tokens, as the account page lists them. */
  apiTokens(userId: string): Promise<readonly object[]>;
  /** Every user with their lifecycle (the admin page /admin/users). */
  users: UserSource;
  clusters: ClusterSource;
  /**
   * The cluster's client as the user reaches it: it acts as them when the cluster impersonates;
   * throws when they hold no role on it or the cluster has no client now (no agent connected).
   */
  client(clusterId: string, user: WebUser): Promise<WebClusterClient>;
  /**
   * The agent's credential Secret: pages never read it, as the proxy never forwards a request
   * for it. `secret` is its name; `isPath` says whether an API path names it.
   */
  agentCredential: { secret: string; isPath(path: string): boolean };
  /** The audit trail (the admin page /admin/audit). */
  audit: AuditSource;
  /** The agent image install commands set (AGENT_IMAGE): the Deploy agent dialog's default. */
  agentImage: string;
  /** The connection's own address (backend/http/client_address.ts), for the audit trail. */
  clientAddress(c: Context): string;
  /** Single sign-on, when configured. */
  sso: SingleSignOn | null;
  /** Whether local accounts may sign in with a password (OIDC_LOCAL_LOGIN). */
  localLogin: boolean;
  /** Cookies the pages set are Secure (PUBLIC_URL is https). */
  secureCookies: boolean;
}
