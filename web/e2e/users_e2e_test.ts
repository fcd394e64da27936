// User administration and password change in a real browser (headless Chromium via
// playwright-core), against a real dashboard: the admin creates alice on /admin/users; alice
// signs in in her own browser, gets an API token, and changes her password on
// /account/password (reached from the user menu); her old session cookie (in a fresh browser
// and replayed with fetch) and her old API token then get 401, while her browser stays signed in
// with a new cookie. The admin disables bob, whose open session ends at once and whose sign-in
// then says the account is disabled. A non-admin gets the 403 page at /admin/users and no Users
// link; the admin adds and removes a cluster role. Needs /usr/bin/chromium; no Kubernetes.
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { fillLogin, hydrated, signIn, watchCsp, withDashboardAndBrowser } from "./harness.ts";
import { buildWeb } from "../build.ts";

const ADMIN_PASSWORD = "users-e2e-admin-password";
const ALICE_PASSWORD = "alice-first-password";
const ALICE_NEW_PASSWORD = "alice-second-password";
const BOB_PASSWORD = "bob-first-password-1";
const TIMEOUT = 20_000;

interface Session {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors and CSP violations on this session's pages. */
  errors: string[];
}

/** A fresh browser context signed in as `username`, on `next`. */
async function signedIn(
  browser: Browser,
  base: string,
  username: string,
  password: string,
  next = "/clusters",
): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  const errors: string[] = [];
  await watchCsp(context, errors);
  const page = await context.newPage();
  page.on("pageerror", (err) => errors.push(`uncaught: ${err.message}`));
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await signIn(page, username, password, next);
  return { context, page, errors };
}

async function sessionCookie(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name === "kd_session");
  assert.ok(cookie, "the context has a session cookie");
  return cookie.value;
}

/** GET /api/auth/me's status with a credential, from outside any browser. */
async function meStatus(base: string, cred: { cookie?: string; bearer?: string }) {
  const res = await fetch(`${base}/api/auth/me`, {
    headers: cred.cookie
      ? { cookie: `kd_session=${cred.cookie}` }
      : { authorization: `Bearer ${cred.bearer}` },
  });
  await res.body?.cancel();
  return res.status;
}

Deno.test({
  name: "users page and password change: old sessions and API tokens end, the browser stays",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await buildWeb(); // the islands as they are in the tree now
    await withDashboardAndBrowser(ADMIN_PASSWORD, async (dash, browser) => {
      const base = dash.url;
      const admin = await signedIn(browser, base, "admin", ADMIN_PASSWORD, "/admin/users");
      const ap = admin.page;

      await t.step("the admin creates alice in the UI", async () => {
        await ap.getByRole("link", { name: "Users", exact: true }).waitFor();
        assert.equal(
          await ap.getByRole("link", { name: "Users", exact: true }).getAttribute("aria-current"),
          "page",
        );
        await ap.locator('tr[data-user="admin"]').getByText("(you)").waitFor();
        await ap.getByRole("button", { name: "New user" }).click();
        const dialog = ap.getByRole("dialog", { name: "New user" });
        await dialog.locator("#new-username").fill("Alice");
        await dialog.locator("#new-password").fill("short");
        await ap.getByRole("button", { name: "Create user" }).click();
        await dialog.getByText("Use lowercase letters only.").waitFor();
        await dialog.getByText("Use at least 12 characters (this one has 5).").waitFor();
        await dialog.locator("#new-username").fill("alice");
        await dialog.locator("#new-password").fill(ALICE_PASSWORD);
        await dialog.locator("#new-role").selectOption("editor");
        await dialog.locator("#new-groups").fill("web, ops web");
        await ap.getByRole("button", { name: "Create user" }).click();
        const row = ap.locator('tr[data-user="alice"]');
        await row.waitFor();
        assert.equal(await row.locator("td[data-role]").getAttribute("data-role"), "editor");
        assert.equal(await row.locator("td[data-state]").getAttribute("data-state"), "active");
        assert.deepEqual(await row.locator("td").nth(2).locator("span").allTextContents(), [
          "ops",
          "web",
        ]);
        assert.match(await row.locator("td").nth(3).textContent() ?? "", /never/);
        // A taken name: the API's message, in the dialog.
        await ap.getByRole("button", { name: "New user" }).click();
        await dialog.locator("#new-username").fill("alice");
        await dialog.locator("#new-password").fill(ALICE_PASSWORD);
        await ap.getByRole("button", { name: "Create user" }).click();
        await dialog.getByText("user alice already exists").waitFor();
        await dialog.getByRole("button", { name: "Cancel" }).click();
      });

      const alice = await signedIn(browser, base, "alice", ALICE_PASSWORD);
      const oldCookie = await sessionCookie(alice.context);
      let oldToken = "";

      await t.step("alice: no Users link, the 403 page at /admin/users", async () => {
        assert.equal(await alice.page.getByRole("link", { name: "Users", exact: true }).count(), 0);
        const res = await alice.page.goto(`${base}/admin/users`);
        assert.equal(res?.status(), 403);
        await alice.page.getByTestId("error-message").getByText(
          "Managing users needs the admin role; you are editor.",
        ).waitFor();
      });

      await t.step("alice creates an API token (through the API)", async () => {
        const r = await alice.context.request.post(`${base}/api/tokens`, {
          headers: { origin: base },
          data: { name: "ci" },
        });
        assert.equal(r.status(), 201, await r.text());
        oldToken = (await r.json() as { token: string }).token;
        assert.equal(await meStatus(base, { bearer: oldToken }), 200);
        assert.equal(await meStatus(base, { cookie: oldCookie }), 200);
      });

      await t.step("alice changes her password from the user menu", async () => {
        const p = alice.page;
        await p.goto(`${base}/clusters`);
        await hydrated(p);
        await p.getByRole("button", { name: "alice" }).click();
        await p.getByRole("menuitem", { name: "Change password" }).click();
        await p.waitForURL((u) => u.pathname === "/account/password");
        await hydrated(p);
        // Wrong current password: the API's message; nothing ends.
        await p.locator("#pw-current").fill("not-my-password");
        await p.locator("#pw-next").fill(ALICE_NEW_PASSWORD);
        await p.locator("#pw-confirm").fill(ALICE_NEW_PASSWORD);
        await p.getByRole("button", { name: "Change password" }).click();
        await p.getByText("the current password is wrong").waitFor();
        assert.equal(await meStatus(base, { bearer: oldToken }), 200, "a refusal ends nothing");
        // The form's own checks.
        await p.locator("#pw-current").fill(ALICE_PASSWORD);
        await p.locator("#pw-confirm").fill(`${ALICE_NEW_PASSWORD}x`);
        await p.getByRole("button", { name: "Change password" }).click();
        await p.getByText("The two new passwords differ.").waitFor();
        await p.locator("#pw-confirm").fill(ALICE_NEW_PASSWORD);
        await p.getByRole("button", { name: "Change password" }).click();
        await p.getByText("Password changed").waitFor();
        assert.equal(await p.locator("#pw-current").inputValue(), "", "the form is cleared");
      });

      await t.step("her old session and API token get 401; her browser stays", async () => {
        assert.equal(await meStatus(base, { cookie: oldCookie }), 401, "old cookie replayed");
        assert.equal(await meStatus(base, { bearer: oldToken }), 401, "old API token");
        const newCookie = await sessionCookie(alice.context);
        assert.notEqual(newCookie, oldCookie, "the browser got a new cookie");
        assert.equal(await meStatus(base, { cookie: newCookie }), 200);

        // A fresh browser with the old cookie is sent to sign in.
        const replay = await browser.newContext();
        replay.setDefaultTimeout(TIMEOUT);
        try {
          await replay.addCookies([{ name: "kd_session", value: oldCookie, url: base }]);
          const rp = await replay.newPage();
          await rp.goto(`${base}/clusters`);
          await rp.waitForURL((u) => u.pathname === "/login");
        } finally {
          await replay.close();
        }

        // Alice's own browser: still signed in, pages and API alike.
        await alice.page.goto(`${base}/account/tokens`);
        assert.equal(new URL(alice.page.url()).pathname, "/account/tokens");
        await hydrated(alice.page);
        assert.equal(await alice.page.getByTestId("current-user").textContent(), "alice");
        await alice.page.getByText("No API tokens").waitFor();
        const me = await alice.context.request.get(`${base}/api/auth/me`);
        assert.equal(me.status(), 200);
        // The new password signs in; the old one does not.
        const old = await fetch(`${base}/api/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "alice", password: ALICE_PASSWORD }),
        });
        await old.body?.cancel();
        assert.equal(old.status, 401);
      });

      await t.step("the admin disables bob: his session ends at once", async () => {
        const made = await admin.context.request.post(`${base}/api/users`, {
          headers: { origin: base },
          data: { username: "bob", password: BOB_PASSWORD, role: "viewer" },
        });
        assert.equal(made.status(), 201, await made.text());
        const bob = await signedIn(browser, base, "bob", BOB_PASSWORD);
        const bobCookie = await sessionCookie(bob.context);
        assert.equal(await meStatus(base, { cookie: bobCookie }), 200);

        await ap.reload();
        await hydrated(ap);
        await ap.getByRole("button", { name: "Disable bob" }).click();
        const dialog = ap.getByRole("dialog", { name: "Disable bob?" });
        await dialog.getByText("cannot sign in until enabled again").waitFor();
        await dialog.getByRole("button", { name: "Disable", exact: true }).click();
        const row = ap.locator('tr[data-user="bob"]');
        await row.locator('td[data-state="disabled"]').waitFor();
        await ap.getByText("bob is disabled; their sessions and API tokens have ended.").waitFor();
        // The admin cannot disable themselves: no button for their own row.
        assert.equal(await ap.getByRole("button", { name: "Disable admin" }).count(), 0);

        assert.equal(await meStatus(base, { cookie: bobCookie }), 401, "bob's session ended");
        await bob.page.reload();
        await bob.page.waitForURL((u) => u.pathname === "/login");
        await hydrated(bob.page);
        await fillLogin(bob.page, "bob", BOB_PASSWORD);
        await bob.page.click("button[type=submit]");
        await bob.page.getByText("this account is disabled; ask an admin").waitFor();

        // Enabled again, bob signs in.
        await ap.getByRole("button", { name: "Enable bob" }).click();
        await row.locator('td[data-state="active"]').waitFor();
        await bob.page.click("button[type=submit]");
        await bob.page.waitForURL((u) => u.pathname === "/clusters");
        assert.deepEqual(bob.errors, []);
        await bob.context.close();
      });

      await t.step("the admin resets alice's password: her browser is signed out", async () => {
        await ap.getByRole("button", { name: "Reset the password of alice" }).click();
        const dialog = ap.getByRole("dialog", { name: "Reset the password of alice" });
        await dialog.getByText("This ends every session and API token of alice").waitFor();
        await dialog.getByRole("button", { name: "Generate" }).click();
        const generated = await dialog.locator("#reset-password-value").inputValue();
        assert.equal(generated.length, 20);
        await dialog.getByRole("button", { name: "Set password" }).click();
        await ap.getByText("alice has a new password").waitFor();
        await alice.page.goto(`${base}/clusters`);
        await alice.page.waitForURL((u) => u.pathname === "/login");
        await signIn(alice.page, "alice", generated);
      });

      await t.step("the admin edits alice's role and groups", async () => {
        await ap.getByRole("button", { name: "Edit alice" }).click();
        const dialog = ap.getByRole("dialog", { name: "Edit alice" });
        await dialog.locator("#edit-role").selectOption("none");
        await dialog.getByText("None: no cluster unless a cluster role below gives one.").waitFor();
        await dialog.locator("#edit-groups").fill("Bad Group");
        await dialog.getByRole("button", { name: "Save" }).click();
        await dialog.getByText("“Bad” is not a group name", { exact: false }).waitFor();
        await dialog.locator("#edit-groups").fill("platform");
        await dialog.getByRole("button", { name: "Save" }).click();
        const row = ap.locator('tr[data-user="alice"]');
        await row.locator('td[data-role="none"]').waitFor();
        await row.getByText("platform").waitFor();
        // The user menu says what "none" means.
        await alice.page.reload();
        await hydrated(alice.page);
        await alice.page.getByRole("button", { name: "alice" }).click();
        await alice.page.getByText("No global role: only clusters given to you").waitFor();
      });

      await t.step("the admin cannot demote the last admin", async () => {
        await ap.getByRole("button", { name: "Edit admin" }).click();
        const dialog = ap.getByRole("dialog", { name: "Edit admin" });
        await dialog.locator("#edit-role").selectOption("viewer");
        await dialog.getByRole("button", { name: "Save" }).click();
        await dialog.getByText("the last admin cannot lose the admin role").waitFor();
        await dialog.getByRole("button", { name: "Cancel" }).click();
        // While a modal dialog is open the page behind it is inert: typing there would be lost.
        await ap.waitForFunction(() => !document.querySelector("dialog[open]"));
      });

      await t.step("cluster roles: add one by labels, then remove it", async () => {
        await ap.locator("#binding-subject").fill("alice");
        await ap.locator("#binding-role").selectOption("editor");
        // No cluster exists: the label selector is the target.
        await ap.locator("#binding-selector").fill("env=prod, team=web");
        await ap.getByRole("button", { name: "Add cluster role" }).click();
        const table = ap.getByTestId("role-bindings-table");
        await table.getByText("env=prod,team=web").waitFor();
        await ap.getByRole("button", { name: "Remove the editor role of alice" }).click();
        await ap.getByRole("dialog").getByRole("button", { name: "Remove" }).click();
        await ap.getByText("No cluster roles").waitFor();
      });

      await t.step("the admin deletes bob after typing his name", async () => {
        await ap.getByRole("button", { name: "Delete bob" }).click();
        const dialog = ap.getByRole("dialog", { name: "Delete bob?" });
        const confirm = dialog.getByRole("button", { name: "Delete user" });
        assert.equal(await confirm.isDisabled(), true, "disabled until the name is typed");
        await dialog.locator("#delete-user-title-confirm").fill("bob");
        await confirm.click();
        await ap.locator('tr[data-user="bob"]').waitFor({ state: "detached" });
        assert.deepEqual(
          (await dash.auth.listUsers()).map((u) => u.username),
          ["admin", "alice"],
        );
      });

      assert.deepEqual(admin.errors, [], "no uncaught errors or CSP violations (admin)");
      assert.deepEqual(alice.errors, [], "no uncaught errors or CSP violations (alice)");
      await admin.context.close();
      await alice.context.close();
    });
  },
});
