// Users, roles, browser sessions and personal API tokens. Only hashes of passwords (scrypt)
// and tokens (SHA-256) are stored; a token's prefix says whether it is a session or API token.
// A user's lifecycle: created by an admin (or the first-start bootstrap), signs in (last login
// recorded), may be disabled (no sign-in, every session and API token ended) and enabled again,
// and changes their own password (every session and token ended, a fresh session given back).
// One enabled admin always remains: the last one cannot be disabled, demoted or deleted.
import type { Db } from "../store/db.ts";
import { randomToken, sha256Hex } from "../crypto/encoding.ts";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./password.ts";
import { badRequest, conflict, HttpError, notFound } from "../http/errors.ts";

import { atLeast, type GlobalRole, globalRoles } from "./roles.ts";
import { GROUP_PATTERN } from "./names.ts";

export const roles = globalRoles;
export type Role = GlobalRole;

export interface User {
  id: string;
  username: string;
  role: Role;
  /** Dashboard groups (the group source: set by admins, or by single sign-on at each sign-in). */
  groups: string[];
  /**
   * Where the account comes from: "local" (a password here, managed by admins) or "sso" (created
   * by the first sign-in with the OpenID provider; its role and groups follow the provider).
   */
  source: UserSource;
  created_at: Date;
}

export type UserSource = "local" | "sso";

/** A user as admins see it (GET /api/users): the auth `User` plus its lifecycle. */
export interface UserRecord extends User {
  updated_at: Date;
  /** Set while the account is disabled: no sign-in, no session, no API token. */
  disabled_at: Date | null;
  last_login_at: Date | null;
}

/** What an admin may change about a user (PATCH /api/users/:id). */
export interface UserChange {
  role?: Role;
  /** A new password (an admin's reset): ends the user's sessions and API tokens. */
  password?: string;
  groups?: string[];
  /** true: disable (ends sessions and API tokens); false: enable again. */
  disabled?: boolean;
}

/** The most dashboard groups a user may be in. */
export const MAX_GROUPS = 32;
const GROUP_NAME_HINT =
  "use 1-63 lowercase letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit";

/** Checks group names (400 otherwise) and returns them without duplicates, sorted. */
export function normalizeGroups(groups: readonly string[]): string[] {
  for (const g of groups) {
    if (typeof g !== "string" || !GROUP_PATTERN.test(g)) {
      throw badRequest(`group ${JSON.stringify(g)}: ${GROUP_NAME_HINT}`);
    }
  }
  const unique = [...new Set(groups)].sort();
  if (unique.length > MAX_GROUPS) {
    throw badRequest(`a user may be in at most ${MAX_GROUPS} groups (got ${unique.length})`);
  }
  return unique;
}

/** Sign-in with the right password for a disabled account (never told for a wrong password). */
export class UserDisabledError extends HttpError {
  constructor() {
    super(403, "user_disabled", "this account is disabled; ask an admin");
  }
}

/**
 * A change to what the OpenID provider decides for a single-sign-on user (role, groups) or to the
 * password such a user does not have.
 */
export class ManagedByProviderError extends HttpError {
  constructor() {
    super(
      409,
      "managed_by_provider",
      "this account signs in with the identity provider: its role and groups follow the provider " +
        "(OIDC_ROLE_MAPPING) at each sign-in and it has no dashboard password; it can be disabled " +
        "or deleted here",
    );
  }
}

export interface ApiTokenInfo {
  id: string;
  name: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  /** Whether requests authenticated with this token may create API tokens. */
  can_create_tokens: boolean;
}

/** An API token's lifetime unless its creator explicitly asks for another one or for none. */
export const DEFAULT_API_TOKEN_DAYS = 90;

const SESSION_PREFIX = "kds";
const API_TOKEN_PREFIX = "kdt";
/** The `source` column of a user row (t: the table's alias with its dot). */
const sourceColumn = (t = "") =>
  `CASE WHEN ${t}sso_subject IS NULL THEN 'local' ELSE 'sso' END AS source`;
const USER_COLUMNS = `id, username, role, groups, created_at, ${sourceColumn()}`;
/** password_hash of a single-sign-on user: no password verifies against it. */
export const NO_PASSWORD = "!";
const RECORD_COLUMNS = `${USER_COLUMNS}, updated_at, disabled_at, last_login_at`;

/** How long a resolved token is trusted without asking the database again. */
const AUTH_CACHE_MS = 5_000;
const AUTH_CACHE_MAX = 10_000;

export class AuthService {
  /**
   * token hash -> user, for AUTH_CACHE_MS: kubectl and the UI send many requests per second
   * and each would otherwise cost a query (and, for API tokens, a write). Any change to users,
   * sessions or tokens clears it (announce), so a logout or revocation takes effect at once.
   */
  private readonly cache = new Map<string, { user: User; until: number }>();
  /** Counts forget()s: a lookup that a forget() overtook does not cache what it read. */
  #generation = 0;

  /**
   * Announces a change to users, sessions or API tokens once it is committed. By default it
   * clears this process's cache; with several replicas the replica bus (replicas/bus.ts) makes
   * it clear every replica's.
   */
  announce: () => void = () => this.forget();

  constructor(
    private readonly db: Db,
    private readonly sessionTtlHours: number,
    private readonly cacheMs = AUTH_CACHE_MS,
  ) {}

  /** Drops every resolved token (after a change here or on another replica). */
  forget(): void {
    this.cache.clear();
    this.#generation++;
  }

  /** Creates the first admin when there is no user at all. Returns the password to print once. */
  async bootstrapAdmin(password?: string): Promise<{ username: string; password?: string } | null> {
    const [{ count }] = await this.db.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM users",
    );
    if (count > 0) return null;
    const generated = password ?? randomToken("pw").slice(3, 27);
    // Two dashboards starting at once may both see no user: only the one whose row went in
    // reports (and prints) its password.
    const inserted = await this.db.query(
      `INSERT INTO users (username, password_hash, role) SELECT 'admin', $1, 'admin'
       WHERE NOT EXISTS (SELECT 1 FROM users) ON CONFLICT DO NOTHING RETURNING id`,
      [await hashPassword(generated)],
    );
    if (!inserted.length) return null;
    return { username: "admin", password: password ? undefined : generated };
  }

  /**
   * Signs a user in: a new session, or null for a wrong username or password. A disabled
   * account with the right password throws UserDisabledError (403): only someone who knows the
   * password learns that the account exists and is disabled.
   */
  async login(
    username: string,
    password: string,
  ): Promise<{ token: string; expiresAt: Date; user: User } | null> {
    const [row] = await this.db.query<User & { password_hash: string; disabled_at: Date | null }>(
      `SELECT ${USER_COLUMNS}, password_hash, disabled_at FROM users WHERE username = $1`,
      [username],
    );
    // A single-sign-on user has no password: verified against the dummy (the same time as any
    // other miss), so a password sign-in never reveals or reaches such an account.
    const hash = row?.source === "local" ? row.password_hash : dummyPasswordHash;
    const ok = await verifyPassword(password, hash);
    if (!row || row.source !== "local" || !ok) return null;
    if (row.disabled_at) throw new UserDisabledError();
    const { password_hash: _, disabled_at: _d, ...user } = row;
    return { ...await this.startSession(user.id), user };
  }

  /** A new session for a user who just proved who they are (password or single sign-on). */
  async startSession(userId: string): Promise<{ token: string; expiresAt: Date }> {
    const session = await this.newSession(userId);
    await this.db.query("UPDATE users SET last_login_at = now() WHERE id = $1", [userId]);
    await this.db.query("DELETE FROM sessions WHERE expires_at < now()");
    return session;
  }

  private async newSession(userId: string): Promise<{ token: string; expiresAt: Date }> {
    const token = randomToken(SESSION_PREFIX);
    const expiresAt = new Date(Date.now() + this.sessionTtlHours * 3600_000);
    await this.db.query(
      "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, $3)",
      [userId, sha256Hex(token), expiresAt],
    );
    return { token, expiresAt };
  }

  async logout(token: string): Promise<void> {
    await this.db.query("DELETE FROM sessions WHERE token_hash = $1", [sha256Hex(token)]);
    this.announce();
  }

  /**
   * Resolves a session or API token to its user; null when unknown, expired, malformed, or the
   * user is disabled.
   */
  async authenticate(token: string): Promise<User | null> {
    if (!/^kd[st]_[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const hash = sha256Hex(token);
    const hit = this.cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.user;
    const generation = this.#generation;
    const user = await this.lookup(token, hash);
    if (user && this.cacheMs > 0 && generation === this.#generation) {
      if (this.cache.size >= AUTH_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(hash, { user, until: Date.now() + this.cacheMs });
    }
    return user;
  }

  private async lookup(token: string, hash: string): Promise<User | null> {
    if (token.startsWith(SESSION_PREFIX)) {
      const [u] = await this.db.query<User>(
        `SELECT u.id, u.username, u.role, u.groups, u.created_at, ${sourceColumn("u.")}
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL`,
        [hash],
      );
      return u ?? null;
    }
    const [u] = await this.db.query<User>(
      `UPDATE api_tokens t SET last_used_at = now() FROM users u
       WHERE t.token_hash = $1 AND u.id = t.user_id AND (t.expires_at IS NULL OR t.expires_at > now())
         AND u.disabled_at IS NULL
       RETURNING u.id, u.username, u.role, u.groups, u.created_at, ${sourceColumn("u.")}`,
      [hash],
    );
    return u ?? null;
  }

  listUsers(): Promise<UserRecord[]> {
    return this.db.query<UserRecord>(`SELECT ${RECORD_COLUMNS} FROM users ORDER BY username`);
  }

  async createUser(
    username: string,
    password: string,
    role: Role,
    groups: readonly string[] = [],
  ): Promise<UserRecord> {
    const rows = await this.db.query<UserRecord>(
      `INSERT INTO users (username, password_hash, role, groups)
       VALUES ($1, $2, $3, ARRAY(SELECT g FROM jsonb_array_elements_text($4::text::jsonb)
                                   WITH ORDINALITY AS x (g, i) ORDER BY i))
       ON CONFLICT (username) DO NOTHING RETURNING ${RECORD_COLUMNS}`,
      [username, await hashPassword(password), role, JSON.stringify(normalizeGroups(groups))],
    );
    if (!rows[0]) throw conflict(`user ${username} already exists`);
    return rows[0];
  }

  /**
   * Changes a user's role, password, groups and/or disabled state (an admin's change; `actorId`
   * is that admin). A new password or disabling ends the user's sessions and API tokens. The
   * last enabled admin cannot be demoted or disabled, and no admin can disable themselves.
   */
  async updateUser(
    id: string,
    change: UserChange,
    opts: { actorId?: string } = {},
  ): Promise<UserRecord> {
    const groups = change.groups === undefined ? null : normalizeGroups(change.groups);
    if (change.disabled === true && opts.actorId === id) {
      throw conflict("you cannot disable your own account; another admin can");
    }
    const hash = change.password === undefined ? null : await hashPassword(change.password);
    // Cleared after the change commits, so no request re-caches the old role in between.
    return await this.db.transaction(async (tx) => {
      const admins = await tx.query<{ id: string }>(
        "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL FOR UPDATE",
      );
      const lastAdmin = admins.length === 1 && admins[0].id === id;
      if (lastAdmin && change.role && change.role !== "admin") {
        throw conflict("the last admin cannot lose the admin role; make another user admin first");
      }
      if (lastAdmin && change.disabled === true) {
        throw conflict("the last enabled admin cannot be disabled; make another user admin first");
      }
      if (change.role || groups || hash) {
        const [target] = await tx.query<{ sso: boolean }>(
          "SELECT sso_subject IS NOT NULL AS sso FROM users WHERE id = $1",
          [id],
        );
        if (target?.sso) throw new ManagedByProviderError();
      }
      const [u] = await tx.query<UserRecord>(
        `UPDATE users SET role = coalesce($2, role), password_hash = coalesce($3, password_hash),
           groups = CASE WHEN $4::text IS NULL THEN groups
             ELSE ARRAY(SELECT g FROM jsonb_array_elements_text($4::text::jsonb)
                          WITH ORDINALITY AS x (g, i) ORDER BY i) END,
           disabled_at = CASE WHEN $5::boolean IS NULL THEN disabled_at
             WHEN $5::boolean THEN coalesce(disabled_at, now()) ELSE NULL END,
           updated_at = now()
         WHERE id = $1 RETURNING ${RECORD_COLUMNS}`,
        [
          id,
          change.role ?? null,
          hash,
          groups === null ? null : JSON.stringify(groups),
          change.disabled ?? null,
        ],
      );
      if (!u) throw notFound("user");
      if (hash || change.disabled === true) {
        // A new password ends everything the old one gave out, and a disabled account keeps
        // nothing: sessions and API tokens.
        await tx.query("DELETE FROM sessions WHERE user_id = $1", [id]);
        await tx.query("DELETE FROM api_tokens WHERE user_id = $1", [id]);
      }
      return u;
    }).finally(() => this.announce());
  }

  /**
   * A user changes their own password: `current` must be right (403 wrong_password otherwise).
   * Every session and API token of the user ends, and a fresh session is returned, so the
   * browser that asked stays signed in with a new cookie.
   */
  async changeOwnPassword(
    userId: string,
    current: string,
    next: string,
  ): Promise<{ token: string; expiresAt: Date; user: User }> {
    const [row] = await this.db.query<{ password_hash: string; source: UserSource }>(
      `SELECT password_hash, ${sourceColumn()} FROM users WHERE id = $1 AND disabled_at IS NULL`,
      [userId],
    );
    if (row?.source === "sso") throw new ManagedByProviderError();
    if (!await verifyPassword(current, row?.password_hash ?? dummyPasswordHash) || !row) {
      throw new HttpError(403, "wrong_password", "the current password is wrong");
    }
    if (current === next) {
      throw badRequest("new_password: choose a password different from the current one");
    }
    const updated = await this.updateUser(userId, { password: next });
    const session = await this.newSession(userId);
    const { id, username, role, groups, source, created_at } = updated;
    return { ...session, user: { id, username, role, groups, source, created_at } };
  }

  /**
   * Deletes a user with their sessions, API tokens and per-cluster role bindings (a new user of
   * the same name starts with none). The last enabled admin cannot be deleted.
   */
  async deleteUser(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const admins = await tx.query<{ id: string }>(
        "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL FOR UPDATE",
      );
      if (admins.length === 1 && admins[0].id === id) {
        throw conflict("the last admin cannot be deleted; make another user admin first");
      }
      const rows = await tx.query<{ username: string }>(
        "DELETE FROM users WHERE id = $1 RETURNING username",
        [id],
      );
      if (!rows.length) throw notFound("user");
      await tx.query(
        "DELETE FROM cluster_role_bindings WHERE subject_kind = 'user' AND subject = $1",
        [rows[0].username],
      );
    }).finally(() => this.announce());
  }

  /**
   * Creates an API token expiring in ttlDays (default DEFAULT_API_TOKEN_DAYS; null: never, only
   * when asked for explicitly). canCreateTokens lets requests made with it create API tokens.
   */
  async createApiToken(
    userId: string,
    name: string,
    ttlDays: number | null = DEFAULT_API_TOKEN_DAYS,
    opts: { canCreateTokens?: boolean } = {},
  ): Promise<{ id: string; token: string; expires_at: Date | null; can_create_tokens: boolean }> {
    const token = randomToken(API_TOKEN_PREFIX);
    const expires = ttlDays === null ? null : new Date(Date.now() + ttlDays * 86400_000);
    const canCreate = opts.canCreateTokens ?? false;
    const rows = await this.db.query<{ id: string }>(
      `INSERT INTO api_tokens (user_id, name, token_hash, expires_at, can_create_tokens)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, name) DO NOTHING RETURNING id`,
      [userId, name, sha256Hex(token), expires, canCreate],
    );
    if (!rows[0]) throw conflict(`you already have an API token named ${name}`);
    return { id: rows[0].id, token, expires_at: expires, can_create_tokens: canCreate };
  }

  /**
   * Whether a request authenticated with `token` may create API tokens: a session always, an
   * API token only when it was created with can_create_tokens (and is still valid).
   */
  async mayCreateApiTokens(token: string): Promise<boolean> {
    if (token.startsWith(`${SESSION_PREFIX}_`)) return true;
    if (!token.startsWith(`${API_TOKEN_PREFIX}_`)) return false;
    const [row] = await this.db.query<{ can_create_tokens: boolean }>(
      `SELECT can_create_tokens FROM api_tokens
       WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at > now())`,
      [sha256Hex(token)],
    );
    return row?.can_create_tokens === true;
  }

  listApiTokens(userId: string): Promise<ApiTokenInfo[]> {
    return this.db.query<ApiTokenInfo>(
      `SELECT id, name, created_at, expires_at, last_used_at, can_create_tokens FROM api_tokens
       WHERE user_id = $1 ORDER BY created_at`,
      [userId],
    );
  }

  async revokeApiToken(userId: string, id: string): Promise<void> {
    const rows = await this.db.query(
      "DELETE FROM api_tokens WHERE id = $1 AND user_id = $2 RETURNING id",
      [id, userId],
    );
    this.announce();
    if (!rows.length) throw notFound("API token");
  }
}

export function assertRole(user: User, needed: Role): void {
  if (!atLeast(user.role, needed)) {
    throw new HttpError(403, "forbidden", `this needs the ${needed} role; you are ${user.role}`);
  }
}
