// Authentication for every /api route: a bearer token (session or API token) or the session
// cookie. Cookie-authenticated writes and upgrades must come from the dashboard's own pages
// (CSRF check; for a WebSocket, cross-site WebSocket hijacking).
import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv } from "../http/types.ts";
import type { AuthService } from "./service.ts";
import { HttpError } from "../http/errors.ts";
import { SESSION_COOKIE } from "../../common/session.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function authenticate(auth: AuthService): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    let token: string | undefined;
    let kind: "cookie" | "bearer" = "bearer";
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw new HttpError(401, "unauthorized", "Authorization must be 'Bearer <token>'");
      token = m[1];
    } else {
      token = getCookie(c, SESSION_COOKIE);
      kind = "cookie";
      // The cookie carries sessions only: an API token there would pass for a session.
      if (token && !token.startsWith("kds_")) {
        throw new HttpError(401, "unauthorized", "the session cookie is invalid; log in again");
      }
    }
    if (!token) {
      throw new HttpError(
        401,
        "unauthorized",
        "log in first, or send Authorization: Bearer <API token>",
      );
    }
    const user = await auth.authenticate(token);
    if (!user) {
      throw new HttpError(
        401,
        "unauthorized",
        "the session or token is invalid or expired; log in again",
      );
    }
    // A WebSocket handshake is a GET, but what it opens (exec, attach) writes: a browser sends
    // the cookie on a cross-site WebSocket, so it gets the same check as a write.
    const upgrade = c.req.header("upgrade") !== undefined;
    if (kind === "cookie" && (!SAFE_METHODS.has(c.req.method) || upgrade)) {
      const site = c.req.header("sec-fetch-site");
      const origin = c.req.header("origin");
      // Host (name and port) only: behind the HTTPS front an HTTP/1.1 request's URL says http:,
      // and no other scheme can be served on the dashboard's own port anyway.
      const self = new URL(c.req.url).host;
      const sameSite = site
        ? site === "same-origin" || site === "none"
        : origin !== undefined && URL.parse(origin)?.host === self;
      if (!sameSite) {
        throw new HttpError(
          403,
          "csrf",
          "cross-site request refused; use the dashboard or a bearer token",
        );
      }
    }
    c.set("user", user);
    c.set("authKind", kind);
    c.set("token", token);
    await next();
  };
}
