// The login page's `next` redirect in a real browser (headless Chromium via playwright-core):
// targets that the browser would rewrite into another site (`/\t/host` → `//host`) or into the
// REST API (`/\tapi/…` → `/api/…`) must land on the dashboard's clusters page instead, both after
// signing in through the form and when an already signed-in browser opens the login URL (the
// server's own redirect). The second test creates API tokens on the tokens page (90 days by
// default, "never" and the right to create tokens only when chosen). Needs /usr/bin/chromium;
// no Kubernetes.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { fillLogin, hydrated, signIn, withDashboardAndBrowser } from "./harness.ts";
import { buildWeb } from "../build.ts";

const ADMIN_PASSWORD = "redirect-e2e-admin-password";
const TIMEOUT = 20_000;

/** Where the page is once it has left the login page (or its attempt to leave failed). */
async function afterLeavingLogin(page: Page, base: string, act: () => Promise<unknown>) {
  await Promise.all([
    page.waitForURL((u) => u.origin !== base || u.pathname !== "/login", {
      waitUntil: "load",
    }),
    act(),
  ]);
  return new URL(page.url());
}

Deno.test({
  name: "login ?next= never leaves the dashboard's pages in a real browser",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await withDashboardAndBrowser(ADMIN_PASSWORD, async (dash, browser) => {
      const base = dash.url;
      const cases: { name: string; next: string; want: string }[] = [
        { name: "tab before a host", next: "/%09/example.invalid/phish", want: "/clusters" },
        { name: "tab before api", next: "/%09api/tokens", want: "/clusters" },
        { name: "newline before a host", next: "/%0A/example.invalid/phish", want: "/clusters" },
        { name: "CR before api", next: "/%0Dapi/auth/me", want: "/clusters" },
        { name: "backslash before a host", next: "/%5C/example.invalid/phish", want: "/clusters" },
        { name: "encoded api", next: "/%2561pi/tokens", want: "/clusters" },
        // A legitimate target still works, so the cases above prove refusal, not breakage.
        { name: "a dashboard page", next: "/account/tokens", want: "/account/tokens" },
      ];
      for (const c of cases) {
        await t.step(`${c.name}: ${c.next}`, async () => {
          const context = await browser.newContext();
          context.setDefaultTimeout(TIMEOUT);
          // Should the redirect escape, the foreign site answers instead of failing DNS, so the
          // assertion below names where the browser went.
          await context.route(
            (u) => u.origin !== base,
            (route) => route.fulfill({ status: 200, contentType: "text/plain", body: "phished" }),
          );
          try {
            const page = await context.newPage();
            const loginUrl = `${base}/login?next=${c.next}`;
            await page.goto(loginUrl);
            await hydrated(page);
            await fillLogin(page, "admin", ADMIN_PASSWORD);
            const landed = await afterLeavingLogin(
              page,
              base,
              () => page.click("button[type=submit]"),
            );
            assert.equal(landed.origin, base, `signed in with next=${c.next}: went to ${landed}`);
            assert.equal(
              landed.pathname,
              c.want,
              `signed in with next=${c.next}: went to ${landed}`,
            );
            assert.equal(
              await page.getByTestId("current-user").textContent(),
              "admin",
              "a dashboard page, signed in",
            );

            // Signed in already: the server redirects at once.
            const again = await afterLeavingLogin(page, base, () => page.goto(loginUrl));
            assert.equal(again.origin, base, `signed-in redirect for ${c.next}: went to ${again}`);
            assert.equal(
              again.pathname,
              c.want,
              `signed-in redirect for ${c.next}: went to ${again}`,
            );
          } finally {
            await context.close();
          }
        });
      }
    });
  },
});

Deno.test({
  name: "tokens page: 90 days by default; never and the right to create tokens only when chosen",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await buildWeb(); // the islands as they are in the tree now
    await withDashboardAndBrowser(ADMIN_PASSWORD, async (dash, browser) => {
      const base = dash.url;
      const context = await browser.newContext();
      context.setDefaultTimeout(TIMEOUT);
      const page = await context.newPage();
      await page.goto(`${base}/login?next=/account/tokens`);
      await signIn(page, "admin", ADMIN_PASSWORD, "/account/tokens");

      const cases: { name: string; expires?: string; canCreate: boolean }[] = [
        { name: "defaults", canCreate: false },
        { name: "forever", expires: "never", canCreate: false },
        { name: "minter", expires: "7", canCreate: true },
      ];
      for (const c of cases) {
        await page.locator("#token-name").fill(c.name);
        if (c.expires) await page.locator("#token-days").selectOption(c.expires);
        if (c.canCreate) await page.locator("#token-can-create").check();
        await page.getByRole("button", { name: "Create token" }).click();
        await page.getByText(`Token “${c.name}” created`).waitFor();
        await page.getByRole("cell", { name: c.name, exact: true }).waitFor();
        await page.locator("#token-days").selectOption("90");
      }
      const admin = (await dash.auth.listUsers()).find((u) => u.username === "admin")!;
      const tokens = await dash.auth.listApiTokens(admin.id);
      const days = (d: Date | null) => d && Math.round((d.getTime() - Date.now()) / 86400_000);
      assert.deepEqual(
        tokens.map((t) => [t.name, days(t.expires_at), t.can_create_tokens]),
        [["defaults", 90, false], ["forever", null, false], ["minter", 7, true]],
      );
      await page.getByText("creates tokens").waitFor();
      assert.equal(await page.getByText("creates tokens").count(), 1, "marked in the list");
      await context.close();
    });
  },
});
