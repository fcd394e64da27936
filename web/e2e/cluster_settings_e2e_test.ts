// End-to-end test of a cluster's settings in headless Chromium, against a real dashboard and a
// real control plane (tools/testenv/): the admin adds a cluster through the Add Cluster dialog with
// a label and "Impersonate users" on; on another cluster's page the admin opens Settings, sets the
// label env=prod and turns impersonation on (the warning shows), saves, and the page and
// GET /api/clusters/{id} show them; an invalid label ("bad key=x") shows the API's message and
// changes nothing; a viewer sees the labels and the "Impersonates users" badge but no Settings
// button (and the API refuses the viewer's PATCH).
// Needs: /usr/bin/chromium and the kube tools (tools/kube/build.sh).
import assert from "node:assert/strict";
import type { ConsoleMessage, Page } from "playwright-core";
import { hydrated, loginToken, restCall, signInSession, webSceneTest } from "./harness.ts";

const ADMIN_PASSWORD = "settings-e2e-admin-password";
const VIEWER_PASSWORD = "settings-e2e-viewer-password";
const TIMEOUT = 20_000;
/** The refused PATCH (the invalid label) is asserted on the page. */
const refusedLabel = (msg: ConsoleMessage) =>
  /\/api\/clusters\/[0-9a-f-]{36}$/.test(msg.location()?.url ?? "") &&
  /status of 400/.test(msg.text());

interface ClusterSettings {
  name: string;
  labels: Record<string, string>;
  impersonate: boolean;
}

async function settingsOf(base: string, token: string, id: string): Promise<ClusterSettings> {
  const r = await restCall(base, "GET", `/api/clusters/${id}`, token);
  assert.equal(r.status, 200, r.text);
  const { name, labels, impersonate } = r.json as ClusterSettings;
  return { name, labels, impersonate };
}

/** The chips of the cluster page's labels, in order ([] when it shows none). */
async function labelChips(page: Page): Promise<string[]> {
  const list = page.getByTestId("cluster-labels");
  if (await list.count() === 0) return [];
  return (await list.locator("li").allTextContents()).map((t) => t.trim());
}

Deno.test({
  name: "cluster settings: labels and impersonation from the dialog; viewers see no Settings",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: webSceneTest(ADMIN_PASSWORD, async (t, { cp, base, session }) => {
    const kubeconfig = await Deno.readTextFile(cp.kubeconfigPath);
    const admin = await loginToken(base, "admin", ADMIN_PASSWORD);
    const added = await restCall(base, "POST", "/api/clusters", admin, {
      name: "settings",
      kubeconfig,
    });
    assert.equal(added.status, 201, added.text);
    const id = (added.json as { id: string }).id;
    const created = await restCall(base, "POST", "/api/users", admin, {
      username: "viewer",
      password: VIEWER_PASSWORD,
      role: "viewer",
    });
    assert.equal(created.status, 201, created.text);

    const s = await session({ timeoutMs: TIMEOUT, expected: refusedLabel });
    const { page } = s;
    await signInSession(s, base, "admin", ADMIN_PASSWORD);

    await t.step("Add Cluster's kubeconfig tab: labels and Impersonate users", async () => {
      await page.getByRole("button", { name: "Add cluster" }).first().click();
      const tab = page.getByRole("tabpanel", { name: "Kubeconfig" });
      await tab.locator("#kc-text").fill(kubeconfig);
      // Wait for the contexts' answer (it suggests a name), then set ours.
      await page.waitForTimeout(500);
      await tab.getByLabel("Cluster name").fill("uploaded");
      const box = tab.getByRole("checkbox", { name: "Impersonate users" });
      assert.equal(await box.isChecked(), false, "off by default");
      assert.equal(
        await tab.getByText("People need RBAC bindings on the cluster").count(),
        0,
        "no warning while off",
      );
      await tab.locator("#kc-labels").fill("team=web\n\nenv = dev");
      await box.check();
      await tab.getByText("People need RBAC bindings on the cluster").waitFor();
      await tab.getByRole("button", { name: "Add cluster" }).click();
      await tab.getByTestId("cluster-added").waitFor();
      const href = await tab.getByRole("link", { name: "Open cluster" }).getAttribute("href");
      const newId = href?.split("/").pop() ?? "";
      assert.deepEqual(await settingsOf(base, admin, newId), {
        name: "uploaded",
        labels: { env: "dev", team: "web" },
        impersonate: true,
      });
      await page.getByRole("dialog", { name: "Add cluster" }).getByRole("button", {
        name: "Close",
      }).first().click();
    });

    await t.step("the admin sets env=prod and turns on impersonation", async () => {
      await page.goto(`${base}/clusters/${id}`);
      await hydrated(page);
      assert.deepEqual(await labelChips(page), []);
      assert.equal(await page.getByTestId("impersonates-badge").count(), 0);

      await page.getByTestId("cluster-settings").click();
      const dialog = page.getByRole("dialog", { name: "Cluster settings" });
      await dialog.waitFor();
      assert.equal(await dialog.getByLabel("Name", { exact: true }).inputValue(), "settings");
      assert.equal(await dialog.getByLabel("Labels").inputValue(), "");
      const toggle = dialog.getByRole("switch", { name: "Impersonate users" });
      assert.equal(await toggle.isChecked(), false);
      await dialog.getByText("Impersonate-User: dashboard:<username>").waitFor();
      assert.equal(await dialog.getByText("People need RBAC bindings").count(), 0);

      await dialog.getByLabel("Labels").fill("env=prod");
      await toggle.check();
      await dialog.getByText("People need RBAC bindings on the cluster").waitFor();
      await dialog.getByText("docs/agent.md#impersonation").waitFor();

      const patched = page.waitForResponse((r) =>
        r.request().method() === "PATCH" && r.url().endsWith(`/api/clusters/${id}`)
      );
      const reloaded = page.waitForEvent("load");
      await dialog.getByRole("button", { name: "Save" }).click();
      const res = await patched;
      assert.equal(res.status(), 200);
      assert.deepEqual(res.request().postDataJSON(), {
        labels: { env: "prod" },
        impersonate: true,
      });
      await reloaded;
      await hydrated(page);
      assert.deepEqual(await labelChips(page), ["env=prod"]);
      await page.getByTestId("impersonates-badge").getByText("Impersonates users").waitFor();
      assert.deepEqual(await settingsOf(base, admin, id), {
        name: "settings",
        labels: { env: "prod" },
        impersonate: true,
      });
    });

    await t.step("an invalid label shows the API's message and changes nothing", async () => {
      await page.getByTestId("cluster-settings").click();
      const dialog = page.getByRole("dialog", { name: "Cluster settings" });
      await dialog.waitFor();
      // The dialog opens with the saved settings.
      assert.equal(await dialog.getByLabel("Labels").inputValue(), "env=prod");
      assert.equal(
        await dialog.getByRole("switch", { name: "Impersonate users" }).isChecked(),
        true,
      );
      await dialog.getByLabel("Labels").fill("env=prod\nbad key=x");
      const patched = page.waitForResponse((r) =>
        r.request().method() === "PATCH" && r.url().endsWith(`/api/clusters/${id}`)
      );
      await dialog.getByRole("button", { name: "Save" }).click();
      const res = await patched;
      assert.equal(res.status(), 400);
      const message = (await res.json() as { error: { message: string } }).error.message;
      assert.match(message, /^labels\.bad key: /, "the API names the field and the key");
      const alert = dialog.getByRole("alert");
      await alert.getByText(message, { exact: true }).waitFor();
      assert.equal(await dialog.getByLabel("Labels").getAttribute("aria-invalid"), "true");
      // Still open, nothing saved.
      assert.equal(await dialog.isVisible(), true);
      assert.deepEqual(await settingsOf(base, admin, id), {
        name: "settings",
        labels: { env: "prod" },
        impersonate: true,
      });
      // A line without "=" is caught before anything is sent.
      await dialog.getByLabel("Labels").fill("env=prod\nprod");
      await dialog.getByRole("button", { name: "Save" }).click();
      await dialog.getByText('line 2: write key=value (got "prod")').waitFor();
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "hidden" });
      await page.reload();
      await hydrated(page);
      assert.deepEqual(await labelChips(page), ["env=prod"]);
      assert.deepEqual(s.problems, []);
    });

    await t.step("a viewer sees the labels and the badge but no Settings button", async () => {
      const v = await session({ timeoutMs: TIMEOUT, expected: refusedLabel });
      await signInSession(v, base, "viewer", VIEWER_PASSWORD);
      await v.page.goto(`${base}/clusters/${id}`);
      await hydrated(v.page);
      assert.deepEqual(await labelChips(v.page), ["env=prod"]);
      await v.page.getByTestId("impersonates-badge").waitFor();
      assert.equal(await v.page.getByTestId("cluster-settings").count(), 0);
      assert.equal(await v.page.getByRole("button", { name: "Settings" }).count(), 0);
      // The server refuses a viewer's PATCH whatever the page shows.
      const viewer = await loginToken(base, "viewer", VIEWER_PASSWORD);
      const r = await restCall(base, "PATCH", `/api/clusters/${id}`, viewer, { labels: {} });
      assert.equal(r.status, 403, r.text);
      assert.deepEqual(v.problems, []);
    });
  }),
});
