// Single sign-on's two pages (WebDeps.sso, backend/auth/oidc): GET /auth/oidc/start sets the flow
// cookie and sends the browser to the OpenID provider; GET /auth/oidc/callback, where the
// provider sends it back, finishes the sign-in, sets the session cookie as the password login
// does and moves on to `next`. Without single sign-on both paths are the 404 page.
import type { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { SESSION_COOKIE, SSO_FLOW_COOKIE, SSO_FLOW_SECONDS } from "../../common/session.ts";
import type { SingleSignOn, WebDeps, WebEnv } from "../deps.ts";
import { SignedInPage } from "../pages/signed_in.tsx";
import { safeNext } from "../lib/validate.ts";
import { page, publicErrorPage } from "./page.tsx";
import { PageError } from "./page_error.ts";
import { sessionUser } from "./session.ts";

/** The flow cookie lives only where the flow runs. */
const FLOW_PATH = "/auth/oidc";
const BACK_TO_LOGIN = { href: "/login", label: "Back to sign-in" };

/**
 * A failure of the flow as the error page shows it: the SingleSignOn's own status, title and
 * message when it gives them (what happened, what to do); anything else is a logged 500.
 */
function ssoPageError(err: unknown): unknown {
  if (err instanceof PageError) return err;
  const e = err as { status?: unknown; title?: unknown; message?: unknown } | null;
  if (
    e && typeof e.status === "number" && typeof e.title === "string" &&
    typeof e.message === "string"
  ) {
    return new PageError(e.status, e.title, e.message);
  }
  return err;
}

export function ssoRoutes(
  app: Hono<WebEnv>,
  deps: WebDeps,
  ready: Promise<void>,
): void {
  const sso = deps.sso;
  if (!sso) {
    app.get(`${FLOW_PATH}/*`, async (c) => {
      await ready;
      return publicErrorPage(
        c,
        new PageError(
          404,
          "Single sign-on is not set up",
          "This dashboard signs people in with their dashboard password only.",
        ),
        BACK_TO_LOGIN,
      );
    });
    return;
  }
  mountFlow(app, deps, sso, ready);
}

function mountFlow(app: Hono<WebEnv>, deps: WebDeps, sso: SingleSignOn, ready: Promise<void>) {
  const flowCookie = {
    httpOnly: true,
    // Lax, not Strict: the provider's redirect back is a top-level navigation from another
    // site, which must carry it.
    sameSite: "Lax",
    secure: deps.secureCookies,
    path: FLOW_PATH,
  } as const;

  app.get(`${FLOW_PATH}/start`, async (c) => {
    await ready;
    const next = safeNext(c.req.query("next"));
    // Signed in already: on to `next`, as the login page does.
    if (await sessionUser(deps, c)) return c.redirect(next, 303);
    try {
      const started = await sso.start(next);
      setCookie(c, SSO_FLOW_COOKIE, started.flowCookie, {
        ...flowCookie,
        maxAge: SSO_FLOW_SECONDS,
      });
      return c.redirect(started.location, 303);
    } catch (err) {
      return publicErrorPage(c, ssoPageError(err), BACK_TO_LOGIN);
    }
  });

  app.get(`${FLOW_PATH}/callback`, async (c) => {
    await ready;
    const flow = getCookie(c, SSO_FLOW_COOKIE);
    // The flow is over, however it ends: its cookie goes.
    deleteCookie(c, SSO_FLOW_COOKIE, flowCookie);
    try {
      const result = await sso.finish(c.req.query(), flow, deps.clientAddress(c));
      // As the password login sets it (backend/auth/handlers.ts).
      setCookie(c, SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: "Strict",
        secure: deps.secureCookies,
        path: "/",
        maxAge: Math.max(0, Math.floor((result.expiresAt.getTime() - Date.now()) / 1000)),
      });
      const next = safeNext(result.next);
      // A page that moves on, not a 303: this answer ends a chain of redirects that began on the
      // provider's site, so a redirect from it would be cross-site and the browser would leave
      // the SameSite=Strict session cookie out. The refresh is a same-site navigation.
      return page("Signed in", <SignedInPage next={next} />, 200, { refreshTo: next })(c);
    } catch (err) {
      return publicErrorPage(c, ssoPageError(err), BACK_TO_LOGIN);
    }
  });
}
