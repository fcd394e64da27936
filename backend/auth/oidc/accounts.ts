// Single-sign-on accounts in the users table: created at a person's first sign-in, tied to the
// provider's issuer and subject (never matched by username, so nobody at the provider takes over
// a local account by its name), and kept in step with the provider at every sign-in (role and
// groups; the username stays what it was first). A disabled account stays out. The last enabled
// admin keeps the admin role even when the provider's groups would take it away, so the
// dashboard always has an admin. Access that the provider's groups no longer allow ends: the
// person's sessions and API tokens are deleted.
import type { Db } from "../../store/db.ts";
import { type AuthService, NO_PASSWORD, type User, UserDisabledError } from "../service.ts";
import type { SsoIdentity } from "./identity.ts";

/** The username a new single-sign-on account wants belongs to someone else. */
export class UsernameTaken extends Error {}

export class SsoAccounts {
  constructor(
    private readonly db: Db,
    private readonly auth: AuthService,
    private readonly log: (message: string) => void,
  ) {}

  /** Creates or updates the person's account and starts a session (UserDisabledError, UsernameTaken). */
  async signIn(who: SsoIdentity): Promise<{ token: string; expiresAt: Date; user: User }> {
    const user = await this.db.transaction(async (tx) => {
      // Locks the admins first, as an admin's change does (service.ts updateUser).
      const admins = await tx.query<{ id: string }>(
        "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL FOR UPDATE",
      );
      const [known] = await tx.query<{ id: string; disabled_at: Date | null }>(
        "SELECT id, disabled_at FROM users WHERE sso_issuer = $1 AND sso_subject = $2 FOR UPDATE",
        [who.issuer, who.subject],
      );
      if (known?.disabled_at) throw new UserDisabledError();
      let role = who.role;
      if (known && role !== "admin" && admins.length === 1 && admins[0].id === known.id) {
        this.log(
          `single sign-on: ${who.username} keeps the admin role although the provider's groups ` +
            "give another: it is the last enabled admin (make another user admin first)",
        );
        role = "admin";
      }
      const groups = JSON.stringify(who.groups);
      const [row] = known
        ? await tx.query<User>(
          `UPDATE users SET role = $2, groups = ARRAY(SELECT jsonb_array_elements_text($3::text::jsonb)),
             updated_at = now() WHERE id = $1
           RETURNING id, username, role, groups, created_at, 'sso' AS source`,
          [known.id, role, groups],
        )
        : await tx.query<User>(
          `INSERT INTO users (username, password_hash, role, groups, sso_issuer, sso_subject)
           VALUES ($1, $2, $3, ARRAY(SELECT jsonb_array_elements_text($4::text::jsonb)), $5, $6)
           ON CONFLICT (username) DO NOTHING
           RETURNING id, username, role, groups, created_at, 'sso' AS source`,
          [who.username, NO_PASSWORD, role, groups, who.issuer, who.subject],
        );
      if (!row) {
        throw new UsernameTaken(
          `the dashboard already has an account named ${who.username} (a local account, or ` +
            "another person at the provider); ask a dashboard admin to delete it, or to set " +
            "OIDC_USERNAME_CLAIM to a claim that names you differently",
        );
      }
      return row;
    }).finally(() => this.auth.announce());
    return { ...await this.auth.startSession(user.id), user };
  }

  /**
   * Ends every session and API token of the person's account, if they have one (the provider's
   * groups no longer let them in). Returns whether there was an account.
   */
  async endAccess(issuer: string, subject: string): Promise<boolean> {
    const ended = await this.db.transaction(async (tx) => {
      const [known] = await tx.query<{ id: string }>(
        "SELECT id FROM users WHERE sso_issuer = $1 AND sso_subject = $2",
        [issuer, subject],
      );
      if (!known) return false;
      await tx.query("DELETE FROM sessions WHERE user_id = $1", [known.id]);
      await tx.query("DELETE FROM api_tokens WHERE user_id = $1", [known.id]);
      return true;
    });
    if (ended) this.auth.announce();
    return ended;
  }
}
