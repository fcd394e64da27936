// REST endpoints for login/logout, the current user, user administration (admins) and
// personal API tokens.
import { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import type { AppEnv } from "../http/types.ts";
import { assertRole, type AuthService, DEFAULT_API_TOKEN_DAYS, roles } from "./service.ts";
import { SESSION_COOKIE } from "../../common/session.ts";
import { HttpError, parseJson, uuidParam } from "../http/errors.ts";
import { FailureLimiter, GrowingDelay } from "../http/ratelimit.ts";
import { getConnInfo } from "hono/deno";
import type { Context } from "hono";

function remoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

const username = z.string().regex(
  /^[a-z0-9][a-z0-9._-]{0,62}$/,
  "use 1-63 lowercase letters, digits, '.', '_' or '-'",
);
const password = z.string().min(12, "must be at least 12 characters").max(1024);
const loginBody = z.strictObject({ username: z.string().max(64), password: z.string().max(1024) });
const createUserBody = z.strictObject({ username, password, role: z.enum(roles) });
const updateUserBody = z.strictObject({
  role: z.enum(roles).optional(),
  password: password.optional(),
})
  .refine((b) => b.role !== undefined || b.password !== undefined, "give role and/or password");
const tokenBody = z.strictObject({
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
    /** The clock of both limiters (tests). */
    now?: () => number;
    /** Who is asking (tests simulate many addresses); default: the connection's address. */
    clientAddress?: (c: Context) => string;
  },
) {
  const app = new Hono<AppEnv>();
  const now = opts.now ?? Date.now;
  const perClient = new FailureLimiter(LOGIN_FAILURES_PER_CLIENT, LOGIN_CLIENT_WINDOW_MS);
  const perUser = new GrowingDelay({ ...LOGIN_USER_DELAY, now });

  app.post("/auth/login", async (c) => {
    const body = await parseJson(c, loginBody);
    // The connection's own address: X-Forwarded-For is the client's to choose.
    const client = (opts.clientAddress ?? remoteAddress)(c);
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
    return c.json({ token: result.token, expires_at: result.expiresAt, user: result.user });
  });

  return app;
}

/** Logout, the current user, user administration and personal API tokens (authenticated). */
export function accountRoutes(auth: AuthService) {
  const app = new Hono<AppEnv>();
  app.post("/auth/logout", async (c) => {
    await auth.logout(c.get("token"));
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.body(null, 204);
  });

  app.get("/auth/me", (c) => c.json(c.get("user")));

  app.get("/users", async (c) => {
    assertRole(c.get("user"), "admin");
    return c.json({ items: await auth.listUsers() });
  });
  app.post("/users", async (c) => {
    assertRole(c.get("user"), "admin");
    const b = await parseJson(c, createUserBody);
    return c.json(await auth.createUser(b.username, b.password, b.role), 201);
  });
  app.patch("/users/:id", async (c) => {
    assertRole(c.get("user"), "admin");
    const id = uuidParam(c, "id");
    return c.json(await auth.updateUser(id, await parseJson(c, updateUserBody)));
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
