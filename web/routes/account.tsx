// GET /account/tokens: the signed-in user's API tokens. GET /account/password: changing one's
// own password (every user).
import type { Hono } from "hono";
import type { WebDeps, WebEnv } from "../deps.ts";
import { TokensPage } from "../pages/tokens.tsx";
import { PasswordPage } from "../pages/password.tsx";
import { type ApiToken, toJson } from "../lib/types.ts";
import { page, uiUser } from "./page.tsx";

export function accountRoutes(pages: Hono<WebEnv>, deps: WebDeps): void {
  pages.get("/account/tokens", async (c) => {
    const user = c.get("user");
    const tokens = toJson<ApiToken[]>(await deps.apiTokens(user.id));
    return page("API tokens", <TokensPage user={uiUser(user)} tokens={tokens} now={Date.now()} />)(
      c,
    );
  });
  pages.get(
    "/account/password",
    (c) =>
      page("Change password", <PasswordPage user={uiUser(c.get("user"))} now={Date.now()} />)(c),
  );
}
