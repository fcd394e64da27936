// Users, roles, browser sessions and personal API tokens. Only hashes of passwords (scrypt)
// and tokens (SHA-256) are stored; a token's prefix says whether it is a session or API token.
import type { Db } from "../store/db.ts";
import { randomToken, sha256Hex } from "../crypto/encoding.ts";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./password.ts";
import { conflict, HttpError, notFound } from "../http/errors.ts";

export const roles = ["admin", "editor", "viewer"] as const;
export type Role = typeof roles[number];

export interface User {
  id: string;
  username: string;
  role: Role;
  created_at: Date;
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
const USER_COLUMNS = "id, username, role, created_at";

/** How long a resolved token is trusted without asking the database again. */
const AUTH_CACHE_MS = 5_000;
const AUTH_CACHE_MAX = 10_000;

export class AuthService {
  /**
   * token hash -> user, for AUTH_CACHE_MS: kubectl and the UI send many requests per second
   * and each would otherwise cost a query (and, for API tokens, a write). Any change to users,
   * sessions or tokens clears it, so a logout or revocation takes effect at once.
   */
  private readonly cache = new Map<string, { user: User; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly sessionTtlHours: number,
    private readonly cacheMs = AUTH_CACHE_MS,
  ) {}

  private forgetAll(): void {
    this.cache.clear();
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

  async login(
    username: string,
    password: string,
  ): Promise<{ token: string; expiresAt: Date; user: User } | null> {
    const [row] = await this.db.query<User & { password_hash: string }>(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE username = $1`,
      [username],
    );
    const ok = await verifyPassword(password, row?.password_hash ?? dummyPasswordHash);
    if (!row || !ok) return null;
    const token = randomToken(SESSION_PREFIX);
    const expiresAt = new Date(Date.now() + this.sessionTtlHours * 3600_000);
    await this.db.query(
      "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, $3)",
      [
        row.id,
        sha256Hex(token),
        expiresAt,
      ],
    );
    await this.db.query("DELETE FROM sessions WHERE expires_at < now()");
    const { password_hash: _, ...user } = row;
    return { token, expiresAt, user };
  }

  async logout(token: string): Promise<void> {
    await this.db.query("DELETE FROM sessions WHERE token_hash = $1", [sha256Hex(token)]);
    this.forgetAll();
  }

  /** Resolves a session or API token to its user; null when unknown, expired or malformed. */
  async authenticate(token: string): Promise<User | null> {
    if (!/^kd[st]_[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const hash = sha256Hex(token);
    const hit = this.cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.user;
    const user = await this.lookup(token, hash);
    if (user && this.cacheMs > 0) {
      if (this.cache.size >= AUTH_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(hash, { user, until: Date.now() + this.cacheMs });
    }
    return user;
  }

  private async lookup(token: string, hash: string): Promise<User | null> {
    if (token.startsWith(SESSION_PREFIX)) {
      const [u] = await this.db.query<User>(
        `SELECT u.id, u.username, u.role, u.created_at FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > now()`,
        [hash],
      );
      return u ?? null;
    }
    const [u] = await this.db.query<User>(
      `UPDATE api_tokens t SET last_used_at = now() FROM users u
       WHERE t.token_hash = $1 AND u.id = t.user_id AND (t.expires_at IS NULL OR t.expires_at > now())
       RETURNING u.id, u.username, u.role, u.created_at`,
      [hash],
    );
    return u ?? null;
  }

  listUsers(): Promise<User[]> {
    return this.db.query<User>(`SELECT ${USER_COLUMNS} FROM users ORDER BY username`);
  }

  async createUser(username: string, password: string, role: Role): Promise<User> {
    const rows = await this.db.query<User>(
      `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)
       ON CONFLICT (username) DO NOTHING RETURNING ${USER_COLUMNS}`,
      [username, await hashPassword(password), role],
    );
    if (!rows[0]) throw conflict(`user ${username} already exists`);
    return rows[0];
  }

  /** Changes role and/or password. Demoting the last admin is refused. */
  async updateUser(id: string, change: { role?: Role; password?: string }): Promise<User> {
    const hash = change.password === undefined ? null : await hashPassword(change.password);
    // Cleared after the change commits, so no request re-caches the old role in between.
    return await this.db.transaction(async (tx) => {
      const admins = await tx.query<{ id: string }>(
        "SELECT id FROM users WHERE role = 'admin' FOR UPDATE",
      );
      if (change.role && change.role !== "admin" && admins.length === 1 && admins[0].id === id) {
        throw conflict("the last admin cannot lose the admin role; make another user admin first");
      }
      const [u] = await tx.query<User>(
        `UPDATE users SET role = coalesce($2, role), password_hash = coalesce($3, password_hash), updated_at = now()
         WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [id, change.role ?? null, hash],
      );
      if (!u) throw notFound("user");
      if (hash) {
        // A new password ends everything the old one gave out: sessions and API tokens.
        await tx.query("DELETE FROM sessions WHERE user_id = $1", [id]);
        await tx.query("DELETE FROM api_tokens WHERE user_id = $1", [id]);
      }
      return u;
    }).finally(() => this.forgetAll());
  }

  async deleteUser(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const admins = await tx.query<{ id: string }>(
        "SELECT id FROM users WHERE role = 'admin' FOR UPDATE",
      );
      if (admins.length === 1 && admins[0].id === id) {
        throw conflict("the last admin cannot be deleted; make another user admin first");
      }
      const rows = await tx.query("DELETE FROM users WHERE id = $1 RETURNING id", [id]);
      if (!rows.length) throw notFound("user");
    }).finally(() => this.forgetAll());
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
    this.forgetAll();
    if (!rows.length) throw notFound("API token");
  }
}

export function assertRole(user: User, needed: Role): void {
  const rank: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };
  if (rank[user.role] < rank[needed]) {
    throw new HttpError(403, "forbidden", `this needs the ${needed} role; you are ${user.role}`);
  }
}
