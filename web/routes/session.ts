// The session behind a page request: the user of the session cookie, and the middleware that
// sends a request without one to the login page (with where it was going as `next`).
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { SESSION_COOKIE } from "../../common/session.ts";
import type { WebDeps, WebEnv, WebUser } from "../deps.ts";

/** The signed-in user of the request's session cookie, or null. */
export async function sessionUser(deps: WebDeps, c: Context<WebEnv>): Promise<WebUser | null> {
  const token = getCookie(c, SESSION_COOKIE);
  return token ? await deps.sessionUser(token) : null;
}

/**
 * Every page but the login page needs a session: sets `user`, or redirects (303) to
 * /login?next=<this page>. Waits for `ready` (the first-start asset build) first.
 */
export function requireSession(deps: WebDeps, ready: Promise<void>): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    await ready;
    const user = await sessionUser(deps, c);
    if (!user) {
      const url = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    c.set("user", user);
    await next();
  };
}
