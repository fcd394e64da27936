// Single sign-on in a real browser (headless Chromium via playwright-core) against a real
// dashboard and a real OpenID provider (testing/oidc_provider.ts: zitadel/oidc, built from the Go
// module proxy). One provider and one browser serve every step:
//
// - a platform admin clicks "Sign in with Acme SSO" on the sign-in page, types their password on
//   the provider's own form and lands where they were going, signed in as admin (an account named
//   by their email, with the SSO badge on /admin/users, role and password controls disabled, no
//   "Change password" in the user menu and the 409 page at /account/password);
// - a person in none of OIDC_ALLOWED_GROUPS ends on the 403 page with "Back to sign-in";
// - signing out shows the notice with "Also sign out of Acme SSO", the provider's end-session
//   endpoint, which sends the browser back to the sign-in page;
// - the provider goes away between the person's sign-in there and the dashboard's code exchange:
//   the 502 page, while the local admin still signs in with a password (and sees the SSO user as
//   the admin page shows it);
// - a second dashboard with OIDC_LOCAL_LOGIN=false offers no password form (and refuses a password
//   at the API), and signs a developer in as viewer.
//
// Needs /usr/bin/chromium and Go (the provider is built once into .cache/oidc); no Kubernetes.
import assert from "node:assert/strict";
import type { Browser, ConsoleMessage, Page, Response } from "playwright-core";
import { freePorts } from "../../tools/ports.ts";
import { startOidcProvider, type TestOidcProvider } from "../../testing/oidc_provider.ts";
import {
  type BrowserSession,
  currentWebBuild,
  hydrated,
  launchBrowser,
  newSession,
  signIn,
  startWebDashboard,
  type TestDashboard,
} from "./harness.ts";

const ADMIN_PASSWORD = "sso-e2e-admin-password";
/** Screenshots of the single-sign-on pages (git-ignored), for people reviewing the UI. */
const SHOTS = decodeURIComponent(new URL("./screenshots/", import.meta.url).pathname);
const PROVIDER_NAME = "Acme SSO";
const CLIENT = { id: "kube-dashboard", secret: "sso-e2e-client-secret" };
const MANAGED = "Managed by your identity provider: role and groups are set at each sign-in";

const ADA = {
  id: "u-ada",
  username: "ada@example.com",
  password: "ada-provider-password",
  email: "ada@example.com",
  groups: ["platform-admins", "Staff"],
};
const EVE = {
  id: "u-eve",
  username: "eve",
  password: "eve-provider-password",
  email: "eve@example.com",
  groups: ["contractors"],
};
const DEV = {
  id: "u-dev",
  username: "dev",
  password: "dev-provider-password",
  email: "dev@example.com",
  groups: ["developers"],
};

/** A dashboard signing people in with the provider, on `port` (its redirect URI's). */
function ssoDashboard(
  provider: TestOidcProvider,
  port: number,
  more: Record<string, string> = {},
): Promise<TestDashboard> {
  return startWebDashboard({
    adminPassword: ADMIN_PASSWORD,
    port,
    env: {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      OIDC_ISSUER_URL: provider.issuer,
      OIDC_CLIENT_ID: CLIENT.id,
      OIDC_CLIENT_SECRET: CLIENT.secret,
      OIDC_PROVIDER_NAME: PROVIDER_NAME,
      OIDC_ALLOWED_GROUPS: "platform-admins,developers",
      OIDC_ROLE_MAPPING: "platform-admins=admin,developers=viewer",
      ...more,
    },
  });
}

/** The main document's answer from a path of the dashboard, as the browser gets it. */
function documentFrom(page: Page, base: string, path: string): Promise<Response> {
  return page.waitForResponse((r) =>
    r.request().isNavigationRequest() && r.url().startsWith(`${base}${path}`)
  );
}

/**
 * On the sign-in page: clicks "Sign in with Acme SSO", signs in on the provider's own form and
 * returns the dashboard's answer to the provider's redirect back (the callback page).
 */
async function signInWithProvider(
  page: Page,
  base: string,
  provider: TestOidcProvider,
  person: { username: string; password: string },
): Promise<Response> {
  await page.getByTestId("sso-sign-in").click();
  await page.waitForURL((u) => u.origin === provider.issuer && u.pathname === "/login/username");
  await page.locator("input[name=username]").fill(person.username);
  await page.locator("input[name=password]").fill(person.password);
  const callback = documentFrom(page, base, "/auth/oidc/callback");
  await page.locator("button[type=submit]").click();
  return await callback;
}

/** The problems a session recorded (CSP violations, console errors, uncaught exceptions). */
function assertNoProblems(s: BrowserSession, what: string) {
  assert.deepEqual(s.problems, [], `${what}: no CSP violations, console errors or exceptions`);
}

/**
 * Console errors this test expects: the error statuses it causes on purpose (document loads), and
 * whatever the provider's own pages log (its missing favicon).
 */
const expectedFor = (provider: TestOidcProvider) => (msg: ConsoleMessage) =>
  /status of (403|409|502)/.test(msg.text()) ||
  (msg.location()?.url ?? "").startsWith(`${provider.issuer}/`);

Deno.test({
  name: "single sign-on in a real browser: sign-in, refusal, sign-out, provider away, SSO only",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await currentWebBuild(); // the islands as they are in the tree now
    const [port, port2] = freePorts(2);
    const base = `http://127.0.0.1:${port}`;
    const base2 = `http://127.0.0.1:${port2}`;
    const provider = await startOidcProvider({
      users: [ADA, EVE, DEV],
      clients: [{
        ...CLIENT,
        redirect_uris: [`${base}/auth/oidc/callback`, `${base2}/auth/oidc/callback`],
        post_logout_redirect_uris: [`${base}/login`, `${base2}/login`],
      }],
    });
    let browser: Browser | undefined;
    const dashboards: TestDashboard[] = [];
    try {
      const dash = await ssoDashboard(provider, port);
      dashboards.push(dash);
      assert.equal(dash.url, base);
      browser = await launchBrowser();
      const expected = expectedFor(provider);
      const ada = await newSession(browser, { expected });

      await t.step("a platform admin signs in with the provider and lands signed in", async () => {
        const page = ada.page;
        await page.goto(`${base}/admin/users`);
        await page.waitForURL((u) => u.pathname === "/login");
        await hydrated(page);
        const button = page.getByTestId("sso-sign-in");
        assert.equal((await button.textContent())?.trim(), `Sign in with ${PROVIDER_NAME}`);
        assert.equal(await button.getAttribute("href"), "/auth/oidc/start?next=%2Fadmin%2Fusers");
        await page.getByText("or", { exact: true }).waitFor();
        await page.locator("#password").waitFor(); // the password form stays (local login on)
        await page.screenshot({ path: `${SHOTS}sso-login.png` });

        const callback = await signInWithProvider(page, base, provider, ADA);
        assert.equal(callback.status(), 200, "the callback page");
        // The callback page moves on by itself (a same-site navigation: the Strict cookie goes).
        await page.waitForURL((u) => u.origin === base && u.pathname === "/admin/users");
        await hydrated(page);
        assert.equal(await page.getByTestId("current-user").textContent(), ADA.username);

        const cookies = await ada.context.cookies(base);
        const session = cookies.find((c) => c.name === "kd_session");
        assert.ok(session, "the session cookie is set");
        assert.equal(session.httpOnly, true);
        assert.equal(session.sameSite, "Strict");
        assert.equal(session.path, "/");
        assert.ok(session.expires > Date.now() / 1000 + 3600, "it lasts the session's time");
        assert.equal(cookies.find((c) => c.name === "kd_sso"), undefined, "the flow cookie went");

        // The account the sign-in made: named by the provider, admin by OIDC_ROLE_MAPPING.
        const row = page.locator(`tr[data-user="${ADA.username}"]`);
        await row.getByText("(you)").waitFor();
        await row.getByTestId("sso-badge").waitFor();
        assert.equal(await row.locator("td[data-role]").getAttribute("data-role"), "admin");
        assert.deepEqual(
          await row.locator("td").nth(2).locator("span").allTextContents(),
          ["platform-admins", "staff"],
        );
        const edit = row.getByRole("button", { name: `Edit ${ADA.username}` });
        assert.equal(await edit.isDisabled(), true, "role and groups are the provider's");
        assert.equal(await edit.getAttribute("title"), MANAGED);
        const password = row.getByRole("button", { name: "Change your password" });
        assert.equal(await password.isDisabled(), true);
        assert.equal(await password.getAttribute("title"), MANAGED);
        await page.screenshot({ path: `${SHOTS}sso-users.png` });
        assert.equal(
          await page.locator('tr[data-user="admin"]').getByTestId("sso-badge").count(),
          0,
          "a local account has no badge",
        );

        // No password here: not in the menu, and the page says why.
        await page.getByTestId("current-user").click();
        await page.getByRole("menuitem", { name: "API tokens" }).waitFor();
        assert.equal(await page.getByRole("menuitem", { name: "Change password" }).count(), 0);
        await page.keyboard.press("Escape");
        const res = await page.goto(`${base}/account/password`);
        assert.equal(res?.status(), 409);
        assert.match(
          await page.getByTestId("error-message").textContent() ?? "",
          new RegExp(`Your password is managed by ${PROVIDER_NAME}`),
        );
        assertNoProblems(ada, "signing in");
      });

      await t.step("a person in no allowed group gets the 403 page", async () => {
        const eve = await newSession(browser!, { expected });
        try {
          await eve.page.goto(`${base}/login`);
          const callback = await signInWithProvider(eve.page, base, provider, EVE);
          assert.equal(callback.status(), 403);
          await eve.page.getByRole("heading", { name: "Not allowed" }).waitFor();
          await eve.page.screenshot({ path: `${SHOTS}sso-not-allowed.png` });
          assert.match(
            await eve.page.getByTestId("error-message").textContent() ?? "",
            /eve is not in a group allowed to use this dashboard/,
          );
          const cookies = await eve.context.cookies(base);
          assert.equal(cookies.find((c) => c.name === "kd_session"), undefined, "no session");
          assert.equal(cookies.find((c) => c.name === "kd_sso"), undefined, "no flow cookie");
          await eve.page.getByRole("link", { name: "Back to sign-in" }).click();
          await eve.page.waitForURL((u) => u.origin === base && u.pathname === "/login");
          await eve.page.getByTestId("sso-sign-in").waitFor();
          assertNoProblems(eve, "the refused sign-in");
        } finally {
          await eve.context.close();
        }
      });

      await t.step("signing out offers signing out of the provider too", async () => {
        const page = ada.page;
        await page.goto(`${base}/clusters`);
        await hydrated(page);
        await page.getByTestId("current-user").click();
        await page.getByRole("menuitem", { name: "Log out" }).click();
        await page.waitForURL((u) =>
          u.pathname === "/login" && u.searchParams.get("signed_out") === "1"
        );
        await page.getByText("You are signed out of the dashboard.").waitFor();
        const link = page.getByTestId("sso-end-session");
        await page.screenshot({ path: `${SHOTS}sso-signed-out.png` });
        assert.equal((await link.textContent())?.trim(), `Also sign out of ${PROVIDER_NAME}`);
        const href = new URL(await link.getAttribute("href") ?? "");
        assert.equal(`${href.origin}${href.pathname}`, `${provider.issuer}/end_session`);
        assert.equal(href.searchParams.get("client_id"), CLIENT.id);
        assert.equal(href.searchParams.get("post_logout_redirect_uri"), `${base}/login`);
        // The provider ends its session and sends the browser back to the sign-in page.
        await link.click();
        await page.waitForURL((u) =>
          u.origin === base && u.pathname === "/login" && !u.searchParams.has("signed_out")
        );
        await page.getByTestId("sso-sign-in").waitFor();
        const res = await page.goto(`${base}/clusters`);
        assert.equal(new URL(page.url()).pathname, "/login", "signed out of the dashboard");
        assert.equal(res?.status(), 200);
        assertNoProblems(ada, "signing out");
      });

      await t.step("the provider goes away mid sign-in: 502; a password still works", async () => {
        const s = await newSession(browser!, { expected });
        try {
          await s.page.goto(`${base}/login`);
          await hydrated(s.page);
          // The provider signs the person in and sends the browser back (two redirects: its
          // own callback, then the dashboard's); it is gone before the dashboard exchanges the
          // code. A route sees no redirects, so the test walks them and answers the form's POST
          // with the last one.
          const isLoginPost = (u: URL) =>
            u.origin === provider.issuer && u.pathname === "/login/username";
          await s.context.route(isLoginPost, async (route) => {
            if (route.request().method() !== "POST") return await route.continue();
            const signedIn = await route.fetch({ maxRedirects: 0 });
            const own = new URL(signedIn.headers()["location"], provider.issuer);
            const back = await s.context.request.get(own.href, { maxRedirects: 0 });
            const location = back.headers()["location"];
            assert.ok(location?.startsWith(`${base}/auth/oidc/callback?`), location);
            await provider.stop();
            await route.fulfill({ status: 302, headers: { location } });
          });
          const callback = await signInWithProvider(s.page, base, provider, ADA);
          assert.equal(callback.status(), 502);
          await s.page.getByRole("heading", { name: `${PROVIDER_NAME} is not answering` })
            .waitFor();
          assert.match(
            await s.page.getByTestId("error-message").textContent() ?? "",
            /an account with a password can still sign in on the sign-in page/,
          );
          await s.context.unroute(isLoginPost);
          await s.page.getByRole("link", { name: "Back to sign-in" }).click();
          await s.page.waitForURL((u) => u.origin === base && u.pathname === "/login");
          await signIn(s.page, "admin", ADMIN_PASSWORD, "/clusters");
          assert.equal(await s.page.getByTestId("current-user").textContent(), "admin");

          // The admin's view of the single-sign-on account: role, groups and password are the
          // provider's; enabling, disabling and deleting stay.
          await s.page.goto(`${base}/admin/users`);
          await hydrated(s.page);
          const row = s.page.locator(`tr[data-user="${ADA.username}"]`);
          await row.getByTestId("sso-badge").waitFor();
          for (const name of [`Edit ${ADA.username}`, `Reset the password of ${ADA.username}`]) {
            const control = row.getByRole("button", { name });
            assert.equal(await control.isDisabled(), true, name);
            assert.equal(await control.getAttribute("title"), MANAGED, name);
          }
          for (const name of [`Disable ${ADA.username}`, `Delete ${ADA.username}`]) {
            assert.equal(await row.getByRole("button", { name }).isEnabled(), true, name);
          }
          // The admin's own row: a local account, with its Password link.
          const own = s.page.locator('tr[data-user="admin"]');
          assert.equal(await own.getByRole("link", { name: "Change your password" }).count(), 1);
          assertNoProblems(s, "the provider away");
        } finally {
          await s.context.close();
        }
      });

      await t.step(
        "OIDC_LOCAL_LOGIN=false: no password form; a developer signs in as viewer",
        async () => {
          await provider.restart();
          const dash2 = await ssoDashboard(provider, port2, { OIDC_LOCAL_LOGIN: "false" });
          dashboards.push(dash2);
          const s = await newSession(browser!, { expected });
          try {
            await s.page.goto(`${base2}/clusters`);
            await s.page.waitForURL((u) => u.pathname === "/login");
            await s.page.getByTestId("sso-sign-in").waitFor();
            assert.equal(await s.page.locator("input[type=password]").count(), 0);
            assert.equal(await s.page.locator("form").count(), 0);
            assert.equal(
              (await s.page.getByTestId("login-subtitle").textContent())?.trim(),
              `Use your ${PROVIDER_NAME} account.`,
            );
            // The API refuses a password too.
            const login = await fetch(`${base2}/api/auth/login`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
            });
            await login.body?.cancel();
            assert.equal(login.status, 403);

            const callback = await signInWithProvider(s.page, base2, provider, DEV);
            assert.equal(callback.status(), 200);
            await s.page.waitForURL((u) => u.origin === base2 && u.pathname === "/clusters");
            await hydrated(s.page);
            assert.equal(await s.page.getByTestId("current-user").textContent(), "dev");
            await s.page.getByTestId("current-user").click();
            assert.equal(
              await s.page.locator("#user-menu [data-role]").getAttribute("data-role"),
              "viewer",
            );
            assertNoProblems(s, "SSO only");
          } finally {
            await s.context.close();
          }
        },
      );
      await ada.context.close();
    } finally {
      await browser?.close();
      for (const d of dashboards.reverse()) await d.stop();
      await provider.stop();
    }
  },
});
