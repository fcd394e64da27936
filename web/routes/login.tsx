// GET /login (the sign-in page; a signed-in user goes straight to `next`; `?signed_out=1` after
// signing out) and POST /login, which only a form submitted before its script ran reaches:
// nothing is logged in there.
import type { Hono } from "hono";
import type { WebDeps, WebEnv } from "../deps.ts";
import { LoginPage } from "../pages/login.tsx";
import { safeNext } from "../lib/validate.ts";
import { page } from "./page.tsx";
import { sessionUser } from "./session.ts";

export function loginRoutes(app: Hono<WebEnv>, deps: WebDeps, ready: Promise<void>): void {
  app.get("/login", async (c) => {
    await ready;
    const next = safeNext(c.req.query("next"));
    if (await sessionUser(deps, c)) return c.redirect(next, 303);
    const notice = c.req.query("nojs")
      ? "The page had not finished loading. Please sign in again."
      : undefined;
    const sso = deps.sso;
    const endSession = c.req.query("signed_out") ? sso?.endSessionUrl() ?? null : null;
    const signedOut = c.req.query("signed_out")
      ? { ...(sso && endSession ? { provider: { name: sso.name, url: endSession } } : {}) }
      : null;
    return page(
      "Sign in",
      <LoginPage
        next={next}
        notice={notice}
        sso={sso ? { name: sso.name } : null}
        localLogin={deps.localLogin}
        signedOut={signedOut}
      />,
    )(c);
  });
  app.post(
    "/login",
    (c) =>
      c.redirect(`/login?nojs=1&next=${encodeURIComponent(safeNext(c.req.query("next")))}`, 303),
  );
}
