// The Deploy agent dialog's "Advanced" disclosure in a real browser (headless Chromium via
// playwright-core): the image field is prefilled with the dashboard's AGENT_IMAGE, a bad image or
// Secret name is refused under its field before any request, a custom image with pull Secrets
// reaches the copied Helm command, and a refusal from the API is shown with its own message. The
// generated view lists the prerequisites and the image, and the install command it shows and
// copies is exactly the API's (the one agent/install_test.ts runs verbatim).
// Needs /usr/bin/chromium; no Kubernetes.
import assert from "node:assert/strict";
import { hydrated, newSession, signInSession, withDashboardAndBrowser } from "./harness.ts";
import { buildWeb } from "../build.ts";
import { DEFAULT_AGENT_IMAGE } from "../../common/version.ts";
import {
  INSTALL_PREREQUISITES,
  MIN_HELM,
  MIN_KUBECTL,
} from "../../common/install_prerequisites.ts";

const ADMIN_PASSWORD = "agent-image-e2e-admin-password";

Deno.test({
  name: "Deploy agent: a custom image and pull Secrets from the dialog reach the Helm command",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await buildWeb(); // the islands as they are in the tree now
    await withDashboardAndBrowser(ADMIN_PASSWORD, async (dash, browser) => {
      const base = dash.url;
      const s = await newSession(browser, {
        // The refusal the last step causes on purpose.
        expected: (msg) =>
          (msg.location()?.url ?? "").endsWith("/api/clusters/agent-token") &&
          /status of 400/.test(msg.text()),
      });
      await s.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
      const { page } = s;
      await signInSession(s, base, "admin", ADMIN_PASSWORD);
      const open = async () => {
        await page.goto(`${base}/clusters`);
        await hydrated(page);
        await page.getByRole("button", { name: "Add cluster" }).click();
        await page.getByRole("tab", { name: "Deploy Agent" }).click();
        return page.getByRole("tabpanel", { name: "Deploy Agent" });
      };

      await t.step("the advanced field: prefilled, checked as typed", async () => {
        const panel = await open();
        await panel.getByLabel("Cluster name").fill("mirrored");
        await panel.getByText("Advanced: agent image").click();
        const image = panel.getByLabel("Image", { exact: true });
        assert.equal(await image.inputValue(), DEFAULT_AGENT_IMAGE);
        await image.fill("registry.example.com/Team/agent:1");
        await panel.getByText('"Team" is not a path component').waitFor();
        await panel.getByLabel("Image pull Secrets").fill("Reg Cred");
        await panel.getByText('"Reg" is not a Secret name').waitFor();
        // Refused before any request: no token appears.
        await panel.getByRole("button", { name: "Generate command" }).click();
        await panel.getByText('"Team" is not a path component').waitFor();
        assert.equal(await panel.getByTestId("install-command").count(), 0);
      });

      await t.step("a custom image with pull Secrets is in the copied Helm command", async () => {
        const panel = page.getByRole("tabpanel", { name: "Deploy Agent" });
        await panel.getByLabel("Image", { exact: true }).fill(
          "registry.example.com:5000/mirror/dashboard-agent:0.1.0",
        );
        await panel.getByLabel("Image pull Secrets").fill("regcred, mirror-pull");
        await panel.getByRole("button", { name: "Generate command" }).click();
        await panel.getByTestId("helm-command").waitFor();
        // The copy button of the Helm command's own block.
        await panel.getByTestId("helm-command").locator("xpath=..")
          .getByRole("button", { name: "Copy" }).click();
        const copied = await page.evaluate(() => navigator.clipboard.readText());
        assert.match(copied, /^: "\$\{DASHBOARD_TOKEN_FILE:\?/);
        assert.match(
          copied,
          /^image:\n {2}repository: "registry\.example\.com:5000\/mirror\/dashboard-agent"\n {2}tag: "0\.1\.0"$/m,
        );
        assert.match(
          copied,
          /^imagePullSecrets: \[\{"name":"regcred"\},\{"name":"mirror-pull"\}\]$/m,
        );
        const install = await panel.getByTestId("install-command").textContent() ?? "";
        assert.match(
          install,
          /--image 'registry\.example\.com:5000\/mirror\/dashboard-agent:0\.1\.0'/,
        );
        assert.equal(
          await panel.getByTestId("install-image").textContent(),
          "registry.example.com:5000/mirror/dashboard-agent:0.1.0",
        );
        await page.keyboard.press("Escape");
      });

      await t.step("the prerequisites, the image, and exactly the API's command", async () => {
        const panel = await open();
        await panel.getByLabel("Cluster name").fill("shown-command");
        const response = page.waitForResponse((r) =>
          r.url().endsWith("/api/clusters/agent-token") && r.request().method() === "POST"
        );
        await panel.getByRole("button", { name: "Generate command" }).click();
        const fromApi = await (await response).json() as { install_command: string };
        const pre = panel.getByTestId("install-prerequisites");
        await pre.waitFor();
        const text = (await pre.textContent() ?? "").replace(/\s+/g, " ");
        for (const line of INSTALL_PREREQUISITES) assert.ok(text.includes(line), text);
        assert.ok(text.includes(`kubectl ${MIN_KUBECTL} or later`), text);
        assert.ok(text.includes(`helm ${MIN_HELM} or later`), text);
        assert.match(text, /openssl/);
        assert.equal(await panel.getByTestId("install-image").textContent(), DEFAULT_AGENT_IMAGE);
        await panel.getByTestId("install-command").locator("xpath=..")
          .getByRole("button", { name: "Copy" }).click();
        const copied = await page.evaluate(() => navigator.clipboard.readText());
        assert.equal(copied, fromApi.install_command, "the copied command is the API's");
        const shown = await panel.getByTestId("install-command").textContent() ?? "";
        assert.equal(
          shown.replaceAll(" \\\n  ", " "),
          fromApi.install_command,
          "the shown command is the API's (long lines wrapped with \\)",
        );
        assert.match(copied, /^dashboard_agent_install\(\) \($/m);
        await page.keyboard.press("Escape");
      });

      await t.step("the API's refusal is shown under the field", async () => {
        // A dashboard that refuses what the browser accepted (an older or stricter one): its
        // message is what the person reads.
        await page.route(
          `${base}/api/clusters/agent-token`,
          (route) =>
            route.request().method() === "POST"
              ? route.fulfill({
                status: 400,
                contentType: "application/json",
                body: JSON.stringify({
                  error: {
                    code: "bad_request",
                    message: "image: the registry is not allowed here",
                  },
                }),
              })
              : route.continue(),
        );
        const panel = await open();
        await panel.getByLabel("Cluster name").fill("refused");
        await panel.getByRole("button", { name: "Generate command" }).click();
        await panel.locator("#agent-image-error").getByText("The registry is not allowed here")
          .waitFor();
        assert.ok(
          await panel.locator("details[data-testid=agent-advanced]").getAttribute("open") !== null,
        );
        await page.unroute(`${base}/api/clusters/agent-token`);
      });

      await t.step("no console errors", () => {
        assert.deepEqual(s.problems, []);
      });
      await s.context.close();
    });
  },
});
