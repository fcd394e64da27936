// REST endpoints for login/logout, the current user, changing one's own password, user
// administration (admins) and personal API tokens.
import { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import type { AppEnv } from "../http/types.ts";
import {
  assertRole,
  type AuthService,
  DEFAULT_API_TOKEN_DAYS,
  MAX_GROUPS,
  roles,
  UserDisabledError,
} from "./service.ts";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./password.ts";
import { groupName, username } from "./names.ts";
import { SESSION_COOKIE } from "../../common/session.ts";
import { HttpError, parseJson, uuidParam } from "../http/errors.ts";
import { FailureLimiter, GrowingDelay } from "../http/ratelimit.ts";
import type { Context } from "hono";
import { clientAddress } from "../http/client_address.ts";
import type { AuditEntry } from "../audit/store.ts";

const password = z.string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
const role = z.enum(roles, { error: `must be one of ${roles.join(", ")}` });
const groups = z.array(groupName)
  .max(MAX_GROUPS, `at most ${MAX_GROUPS} groups`);
export const loginBody = z.strictObject({
  username: z.string().max(64),
  password: z.string().max(1024),
});
export const createUserBody = z.strictObject({
  username,
  password,
  role,
  groups: groups.optional(),
});
export const updateUserBody = z.strictObject({
  role: role.optional(),
  password: password.optional(),
  groups: groups.optional(),
  disabled: z.boolean().optional(),
})
  .refine(
    (b) => Object.values(b).some((v) => v !== undefined),
    "give at least one of role, password, groups, disabled",
  );
export const changePasswordBody = z.strictObject({
  current_password: z.string().min(1, "give your current password").max(MAX_PASSWORD_LENGTH),
  new_password: password,
});
export const tokenBody = z.strictObject({
  name: z.string().regex(
    /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/,
    "use 1-63 letters, digits, spaces, '.', '_' or '-'",
  ),
  // Omitted: DEFAULT_API_TOKEN_DAYS. null: never expires (only when asked for explicitly).
  expires_in_days: z.number().int().min(1).max(3650).nullable().optional(),
  can_create_tokens: z.boolean().optional(),
});

/** Failed logins per (client address, username) before that pair waits out the window. */
export const LOGIN_FAILURES_PER_CLIENT = 10;
export const LOGIN_CLIENT_WINDOW_MS = 5 * 60_000;
/**
 * Per username from any address (password spraying): after this many failures each further
 * attempt waits 1 s, 2 s, 4 s, … at most 60 s after the last failure; forgotten after 15 min.
 */
export const LOGIN_USER_DELAY = {
  threshold: 10,
  baseMs: 1_000,
  capMs: 60_000,
  forgetMs: 15 * 60_000,
} as const;

/** POST /auth/login: the one API route that needs no authentication. */
export function loginRoutes(
  auth: AuthService,
  opts: {
    secureCookies: boolean;
    sessionTtlHours: number;
    /** Whether accounts may sign in with a password (OIDC_LOCAL_LOGIN; default true). */
    localLogin?: boolean;
    /** The clock of both limiters (tests). */
    now?: () => number;
    /** Who is asking (tests simulate many addresses); default: the connection's address. */
    clientAddress?: (c: Context) => string;
    /** Records every attempt with its outcome (the audit trail); awaited before the answer. */
    audit?: (e: AuditEntry) => void | Promise<void>;
  },
) {
  const app = new Hono<AppEnv>();
  const now = opts.now ?? Date.now;
  const perClient = new FailureLimiter(LOGIN_FAILURES_PER_CLIENT, LOGIN_CLIENT_WINDOW_MS);
  const perUser = new GrowingDelay({ ...LOGIN_USER_DELAY, now });

  app.post("/auth/login", async (c) => {
    // The connection's own address: X-Forwarded-For is the client's to choose.
    const client = (opts.clientAddress ?? clientAddress)(c);
    // The attempted username (no user id unless it succeeds); never the password.
    let attempted: string | null = null;
    const audit = (status: number, outcome: string, userId: string | null = null) =>
      opts.audit?.({
        userId,
        username: attempted,
        source: client,
        clusterId: null,
        verb: "login",
        path: "/api/auth/login",
        status,
        outcome,
      });
    try {
      const body = await parseJson(c, loginBody);
      attempted = body.username;
      if (opts.localLogin === false) {
        throw new HttpError(
          403,
          "local_login_disabled",
          "signing in with a password is turned off (OIDC_LOCAL_LOGIN=false): sign in with " +
            "single sign-on on the sign-in page, or use an API token",
        );
      }
      const key = `${client}|${body.username}`;
      const wait = Math.max(perClient.retryAfter(key, now()), perUser.retryAfter(body.username));
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        c.header("Retry-After", String(seconds));
        throw new HttpError(
          429,
          "too_many_attempts",
          `too many failed logins for this user; wait ${seconds} s and try again`,
        );
      }
      // Counted as failures before the password is checked, so attempts sent all at once when a
      // wait ends do not all get through; a success clears both.
      perClient.fail(key, now());
      perUser.fail(body.username);
      const result = await auth.login(body.username, body.password);
      if (!result) throw new HttpError(401, "invalid_credentials", "wrong username or password");
      perClient.reset(key);
      perUser.reset(body.username);
      setCookie(c, SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: "Strict",
        secure: opts.secureCookies,
        path: "/",
        maxAge: opts.sessionTtlHours * 3600,
      });
      await audit(200, "success", result.user.id);
      return c.json({ token: result.token, expires_at: result.expiresAt, user: result.user });
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      await audit(
        status,
        err instanceof UserDisabledError ? "disabled" : status === 429 ? "rate_limited" : "failure",
      );
      throw err;
    }
  });

  return app;
}

/**
 * A user changing their own password guesses the current one at most this fast: the login's
 * per-username growing delay, counted per user apart from logins (a stolen session cannot
 * guess its way to the account).
 */
export const PASSWORD_CHANGE_DELAY = LOGIN_USER_DELAY;

/** Logout, the current user, user administration and personal API tokens (authenticated). */
export function accountRoutes(
  auth: AuthService,
  opts: {
    /** The session cookie a password change sets is Secure (as the login's). */
    secureCookies?: boolean;
    /** The clock of the password-change delay (tests). */
    now?: () => number;
  } = {},
) {
  const app = new Hono<AppEnv>();
  const guesses = new GrowingDelay({ ...PASSWORD_CHANGE_DELAY, now: opts.now });
  app.post("/auth/logout", async (c) => {
    await auth.logout(c.get("token"));
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.body(null, 204);
  });

  app.get("/auth/me", (c) => c.json(c.get("user")));

  // Every signed-in user, with a session only: an API token (a script's, maybe leaked) must not
  // turn into the account. All sessions and API tokens end; the answer carries a fresh session
  // (also as the cookie), so the browser that asked stays signed in.
  app.post("/auth/password", async (c) => {
    if (!c.get("token").startsWith("kds_")) {
      throw new HttpError(
        403,
        "forbidden",
        "an API token cannot change the password; sign in and use Change password in the user menu (/account/password)",
      );
    }
    const b = await parseJson(c, changePasswordBody);
    const user = c.get("user");
    const wait = guesses.retryAfter(user.id);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      c.header("Retry-After", String(seconds));
      throw new HttpError(
        429,
        "too_many_attempts",
        `too many wrong current passwords; wait ${seconds} s and try again`,
      );
    }
    guesses.fail(user.id);
    const result = await auth.changeOwnPassword(user.id, b.current_password, b.new_password)
      .catch((err) => {
        // Only a wrong current password counts as a guess (any other failure comes after the
        // current password proved right).
        if (!(err instanceof HttpError && err.code === "wrong_password")) guesses.reset(user.id);
        throw err;
      });
    guesses.reset(user.id);
    setCookie(c, SESSION_COOKIE, result.token, {
      httpOnly: true,
      sameSite: "Strict",
      secure: opts.secureCookies ?? true,
      path: "/",
      maxAge: Math.max(0, Math.floor((result.expiresAt.getTime() - Date.now()) / 1000)),
    });
    return c.json({ token: result.token, expires_at: result.expiresAt, user: result.user });
  });

  app.get("/users", async (c) => {
    assertRole(c.get("user"), "admin");
    return c.json({ items: await auth.listUsers() });
  });
  app.post("/users", async (c) => {
    assertRole(c.get("user"), "admin");
    const b = await parseJson(c, createUserBody);
    return c.json(await auth.createUser(b.username, b.password, b.role, b.groups), 201);
  });
  app.patch("/users/:id", async (c) => {
    assertRole(c.get("user"), "admin");
    const id = uuidParam(c, "id");
    const change = await parseJson(c, updateUserBody);
    return c.json(await auth.updateUser(id, change, { actorId: c.get("user").id }));
  });
  app.delete("/users/:id", async (c) => {
    assertRole(c.get("user"), "admin");
    await auth.deleteUser(uuidParam(c, "id"));
    return c.body(null, 204);
  });

  app.get("/tokens", async (c) => c.json({ items: await auth.listApiTokens(c.get("user").id) }));
  app.post("/tokens", async (c) => {
    const b = await parseJson(c, tokenBody);
    if (!await auth.mayCreateApiTokens(c.get("token"))) {
      throw new HttpError(
        403,
        "forbidden",
        "this API token may not create API tokens; sign in, or use a token created with can_create_tokens",
      );
    }
    const created = await auth.createApiToken(
      c.get("user").id,
      b.name,
      b.expires_in_days === undefined ? DEFAULT_API_TOKEN_DAYS : b.expires_in_days,
      { canCreateTokens: b.can_create_tokens ?? false },
    );
    return c.json({ ...created, name: b.name }, 201);
  });
  app.delete("/tokens/:id", async (c) => {
    await auth.revokeApiToken(c.get("user").id, uuidParam(c, "id"));
    return c.body(null, 204);
  });
  return app;
}
