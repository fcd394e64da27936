// GET /account/tokens: the signed-in user's API tokens. GET /account/password: changing one's
// own password (every user with a dashboard password; a single-sign-on user gets the 409 page:
// the provider keeps their password, and their user menu does not offer the page).
import type { Hono } from "hono";
import type { WebDeps, WebEnv } from "../deps.ts";
import { TokensPage } from "../pages/tokens.tsx";
import { PasswordPage } from "../pages/password.tsx";
import { type ApiToken, toJson } from "../lib/types.ts";
import { errorPage, page, uiUser } from "./page.tsx";
import { PageError } from "./page_error.ts";

export function accountRoutes(pages: Hono<WebEnv>, deps: WebDeps): void {
  pages.get("/account/tokens", async (c) => {
    const user = c.get("user");
    const tokens = toJson<ApiToken[]>(await deps.apiTokens(user.id));
    return page("API tokens", <TokensPage user={uiUser(user)} tokens={tokens} now={Date.now()} />)(
      c,
    );
  });
  pages.get("/account/password", (c) => {
    const user = c.get("user");
    if (user.source === "sso") {
      const provider = deps.sso?.name ?? "your identity provider";
      return errorPage(
        c,
        user,
        new PageError(
          409,
          "No dashboard password",
          `Your password is managed by ${provider}: you sign in there, and change your password ` +
            "there too.",
        ),
      );
    }
    return page("Change password", <PasswordPage user={uiUser(user)} now={Date.now()} />)(c);
  });
}
