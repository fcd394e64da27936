// End-to-end tests of the web UI: a real dashboard (PGlite store, the API, the proxy and the web
// routes) in this process, a real Kubernetes control plane from tools/testenv/, and headless
// Chromium driven by playwright-core. Screenshots of the main pages go to web/e2e/screenshots/.
// The second test deploys the REAL agent (agent/main.ts as its own process) with the token the
// Deploy Agent tab shows (beside the install command, which it first runs as a dry run with the
// token in DASHBOARD_TOKEN_FILE), and follows the cluster's status in the page as the agent comes
// and goes.
//
// Needs: the web assets built (deno task web:build; built here when missing), /usr/bin/chromium
// (Debian package), and the kube tools (built by tools/kube/build.sh on first use).
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Browser, type BrowserContext, type ConsoleMessage, type Page } from "playwright-core";
import {
  type ControlPlane,
  createConfigMaps,
  createRunningPod,
  ensureNamespace,
  kubeRequest,
  sharedControlPlane,
} from "../../tools/testenv/mod.ts";
import {
  currentWebBuild,
  fillLogin,
  hydrated,
  launchBrowser,
  signIn,
  startWebDashboard,
  type TestDashboard,
  watchCsp,
} from "./harness.ts";
import { type RunningAgent, startAgent } from "../../testing/harness.ts";
import { serviceAccountKubeconfig } from "../../testing/clusters.ts";
import { TOKEN_HINT } from "../../common/registration_token.ts";

const ADMIN_PASSWORD = "e2e-admin-password";
const VIEWER_PASSWORD = "e2e-viewer-password";
const SHOTS = decodeURIComponent(new URL("./screenshots/", import.meta.url).pathname);
const TIMEOUT = 20_000;

interface Session {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen by this session. */
  errors: string[];
}

/** Failed requests the UI handles by design and the browser logs anyway. */
function expectedConsoleNoise(msg: ConsoleMessage): boolean {
  const url = msg.location()?.url ?? "";
  // Deliberate failures in the bad-input scenarios (their messages are asserted on the page).
  if (
    /\/api\/clusters(\/kubeconfig-contexts)?$/.test(url) &&
    /status of (400|409|422)/.test(msg.text())
  ) return true;
  if (
    /\/k8s\/api\/v1\/namespaces\/[^/]+\/configmaps\/[^/]+$/.test(url) &&
    /status of (400|409|422)/.test(msg.text())
  ) return true;
  if (url.endsWith("/api/auth/login") && /status of 401/.test(msg.text())) return true;
  if (url.endsWith("/api/clusters/agent-token") && /status of (400|409)/.test(msg.text())) {
    return true;
  }
  return false;
}

/** Records the page's console errors and uncaught exceptions into errors. */
function watchErrors(page: Page, errors: string[]): void {
  page.on("console", (msg) => {
    if (msg.type() === "error" && !expectedConsoleNoise(msg)) {
      errors.push(`${msg.text()} (${msg.location()?.url ?? "?"})`);
    }
  });
  page.on("pageerror", (err) => errors.push(`uncaught: ${err.message}`));
}

async function newSession(browser: Browser, opts: { dark?: boolean } = {}): Promise<Session> {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    colorScheme: opts.dark ? "dark" : "light",
    permissions: ["clipboard-read", "clipboard-write"],
  });
  context.setDefaultTimeout(TIMEOUT);
  const errors: string[] = [];
  await watchCsp(context, errors); // a CSP violation on any page fails "no console errors"
  const page = await context.newPage();
  watchErrors(page, errors);
  return { context, page, errors };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function login(
  s: Session,
  base: string,
  username: string,
  password: string,
  next = "/clusters",
): Promise<void> {
  await s.page.goto(`${base}${next}`);
  await s.page.waitForURL(/\/login\?next=/);
  await signIn(s.page, username, password, next);
}

Deno.test({
  name: "web UI end to end",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await currentWebBuild();
    await Deno.mkdir(SHOTS, { recursive: true });
    const [cp, dash] = await Promise.all([
      sharedControlPlane(),
      startWebDashboard({ adminPassword: ADMIN_PASSWORD }),
    ]) as [ControlPlane, TestDashboard];
    const browser = await launchBrowser();
    const base = dash.url;
    const admin = await newSession(browser);
    let clusterId = "";
    const needCluster = () => {
      if (!clusterId) throw new Error("skipped: the kubeconfig step did not add the cluster");
    };
    try {
      await ensureNamespace(cp, "e2e");
      await createRunningPod(cp, "e2e", "hello");

      await t.step(
        "unauthenticated pages redirect to login; a wrong password is refused",
        async () => {
          const res = await fetch(`${base}/clusters/abc?x=1`, { redirect: "manual" });
          await res.body?.cancel();
          assert.equal(res.status, 303);
          assert.equal(res.headers.get("location"), "/login?next=%2Fclusters%2Fabc%3Fx%3D1");
          const { page } = admin;
          await page.goto(`${base}/clusters`);
          await hydrated(page);
          const csp =
            (await page.request.get(`${base}/login`)).headers()["content-security-policy"];
          assert.match(csp, /script-src 'nonce-[^']+' 'strict-dynamic'(;|$)/);
          await shot(page, "login");
          await fillLogin(page, "admin", "not-the-password");
          await page.click("button[type=submit]");
          await page.getByText("Wrong username or password.").waitFor();
        },
      );

      await t.step("admin logs in and sees the empty clusters page", async () => {
        await login(admin, base, "admin", ADMIN_PASSWORD);
        const { page } = admin;
        await page.getByText("No clusters yet").waitFor();
        assert.equal(await page.getByTestId("current-user").textContent(), "admin");
        await shot(page, "clusters-empty");
      });

      await t.step("a bad kubeconfig shows a clear error", async () => {
        const { page } = admin;
        await page.getByRole("button", { name: "Add with a kubeconfig" }).click();
        const dialog = page.getByRole("tabpanel", { name: "Kubeconfig" });
        await dialog.waitFor();
        // Client-side: not a kubeconfig at all.
        await dialog.getByLabel("Cluster name").fill("Bad_Name");
        await dialog.getByText("Use only lowercase letters, digits and '-'.").or(
          dialog.getByText("Use lowercase letters only."),
        ).waitFor();
        await dialog.getByLabel("Cluster name").fill("broken");
        await dialog.locator("#kc-text").fill("hello: world\n");
        await dialog.getByRole("button", { name: "Add cluster" }).click();
        await dialog.getByText("This does not look like a kubeconfig").waitFor();
        // Server-side: an exec plugin is refused with the API's message.
        const execConfig = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: { server: "https://127.0.0.1:1" }
users:
- name: u
  user:
    exec: { apiVersion: client.authentication.k8s.io/v1, command: aws }
contexts:
- name: ctx
  context: { cluster: c, user: u }
current-context: ctx
`;
        await dialog.locator("#kc-text").fill(execConfig);
        await dialog.getByLabel("Cluster name").fill("broken");
        await dialog.getByRole("button", { name: "Add cluster" }).click();
        const err = dialog.locator("#kc-error");
        await err.waitFor();
        assert.match(await err.textContent() ?? "", /exec/i);
        await shot(page, "add-cluster-error");
        await dialog.getByRole("button", { name: "Cancel" }).click();
        await dialog.waitFor({ state: "hidden" });
      });

      await t.step("a dialog reopened before its last close event arrives stays open", async () => {
        const { page } = admin;
        const dialog = page.getByRole("tabpanel", { name: "Kubeconfig" });
        const reopened = async (how: string, reopen: () => Promise<void>) => {
          await page.getByRole("button", { name: "Add cluster" }).first().click();
          await dialog.waitFor();
          await reopen();
          await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
          assert.ok(await dialog.isVisible(), `${how}: the stale close event closed the dialog`);
          await dialog.getByRole("button", { name: "Cancel" }).click();
          await dialog.waitFor({ state: "hidden" });
        };
        // The element is closed and shown again in one task; its close event comes after.
        await reopened("close() then showModal()", () =>
          page.evaluate(() => {
            const d = document.querySelector("dialog[open]") as HTMLDialogElement;
            d.close();
            d.showModal();
          }));
        // Cancel, and Add cluster the moment the element closes: the component wants the dialog
        // open again before the element is, and the close event arrives in between.
        await reopened(
          "Cancel then Add cluster",
          () =>
            page.evaluate(() =>
              new Promise<void>((resolve) => {
                const d = document.querySelector("dialog[open]") as HTMLDialogElement;
                const buttons = (root: ParentNode) =>
                  [...root.querySelectorAll("button")] as HTMLButtonElement[];
                const add = buttons(document).find((b) =>
                  !d.contains(b) && b.textContent?.trim() === "Add cluster"
                )!;
                new MutationObserver((_, seen) => {
                  if (d.open) return;
                  seen.disconnect();
                  add.click();
                  resolve();
                }).observe(d, { attributes: true, attributeFilter: ["open"] });
                buttons(d).find((b) => b.textContent?.trim() === "Cancel")!.click();
              })
            ),
        );
      });

      await t.step(
        "kubeconfig tab: add the control plane, see it connected, open it, see pods",
        async () => {
          const { page } = admin;
          await page.getByRole("button", { name: "Add cluster" }).first().click();
          const dialog = page.getByRole("tabpanel", { name: "Kubeconfig" });
          await dialog.locator("#kc-text").fill(await Deno.readTextFile(cp.kubeconfigPath));
          // The context picker's answer suggests a name; set ours.
          await page.waitForTimeout(500);
          await dialog.getByLabel("Cluster name").fill("e2e");
          await shot(page, "add-cluster");
          await dialog.getByRole("button", { name: "Add cluster" }).click();
          await dialog.getByTestId("cluster-added").waitFor();
          await dialog.getByRole("heading", { name: "e2e is connected" }).waitFor();
          await page.getByRole("dialog", { name: "Add cluster" }).getByRole("button", {
            name: "Close",
          }).first().click();
          const row = page.locator("[data-cluster=e2e]");
          await row.waitFor();
          assert.equal(await row.locator("[data-status]").textContent(), "Reachable");
          assert.equal(
            await row.locator("[data-connection]").getAttribute("data-connection"),
            "kubeconfig",
          );
          await shot(page, "clusters");

          await row.getByRole("link", { name: "e2e", exact: true }).click();
          await page.waitForURL(/\/clusters\/[0-9a-f-]{36}$/);
          clusterId = page.url().split("/").pop()!;
          await hydrated(page);
          await page.getByText(cp.version).first().waitFor();
          await page.getByRole("link", { name: "e2e", exact: true }).first().waitFor();
          await shot(page, "cluster");

          await page.getByRole("link", { name: "Browse resources" }).click();
          await page.waitForURL(/\/r\/core\/v1\/pods$/);
          await page.locator("[data-testid=table-state][data-state=live]").waitFor();
          await page.locator("tr[data-name=hello]").waitFor();
          // Live: a pod created now appears without a reload.
          await createRunningPod(cp, "e2e", "hello-live");
          await page.locator("tr[data-name=hello-live]").waitFor();
          await shot(page, "pods");
        },
      );

      await t.step("deep links work on reload", async () => {
        needCluster();
        const { page } = admin;
        await page.goto(`${base}/clusters/${clusterId}/r/core/v1/pods?ns=e2e`);
        await hydrated(page);
        assert.equal(await page.locator("#ns-picker").inputValue(), "e2e");
        await page.locator("tr[data-name=hello-live]").waitFor();
        // Keyboard: "/" filters, arrows move between rows, Enter opens.
        await page.locator("[data-testid=table-state][data-state=live]").waitFor();
        await page.keyboard.press("/");
        const focusedIs = (want: string) =>
          page.waitForFunction((w) => {
            const el = document.activeElement;
            const label = el?.textContent || el?.getAttribute("aria-label") || "";
            return label === w || (w.startsWith("Filter") && label.startsWith(w));
          }, want);
        await focusedIs("Filter pods");
        await page.keyboard.press("ArrowDown");
        await focusedIs("hello");
        await page.keyboard.press("ArrowDown");
        await focusedIs("hello-live");
        await page.keyboard.press("ArrowUp");
        await focusedIs("hello");
        await page.keyboard.press("Enter");
        await page.waitForURL(/\/r\/core\/v1\/pods\/e2e\/hello$/);
        await page.goto(`${base}/clusters/${clusterId}/r`);
        await page.getByRole("link", { name: "CustomResourceDefinition" }).waitFor();
        await shot(page, "all-resources");
      });

      await t.step("pages read fine before (and without) island scripts", async () => {
        needCluster();
        const res = await fetch(`${base}/api/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
        });
        const { token } = await res.json();
        const context = await browser.newContext({ javaScriptEnabled: false });
        try {
          await context.addCookies([{ name: "kd_session", value: token, url: base }]);
          const page = await context.newPage();
          await page.goto(`${base}/clusters`);
          assert.equal(
            await page.locator("[data-cluster=e2e] [data-status]").textContent(),
            "Reachable",
          );
          await page.goto(`${base}/clusters/${clusterId}/r/core/v1/pods?ns=e2e`);
          await page.locator("tr[data-name=hello]").waitFor();
          await page.goto(`${base}/clusters/${clusterId}/r/core/v1/pods/e2e/hello?tab=logs`);
          await page.getByTestId("log-output").getByText("log line 10 from hello/main").waitFor();
          await page.goto(`${base}/clusters/${clusterId}/r/core/v1/pods/e2e/hello?tab=yaml`);
          await page.getByTestId("yaml-view").getByText("name: hello").first().waitFor();
        } finally {
          await context.close();
        }
      });

      await t.step("pod logs follow shows new lines", async () => {
        needCluster();
        const { page } = admin;
        await page.goto(`${base}/clusters/${clusterId}/r/core/v1/pods/e2e/hello?tab=logs`);
        await hydrated(page);
        const out = page.getByTestId("log-output");
        // Server-rendered tail first (10 lines from the test kubelet), then followed lines.
        await out.getByText("log line 10 from hello/main").waitFor();
        await page.locator("[data-testid=log-state][data-state=streaming]").waitFor();
        await page.waitForFunction(() =>
          /log line (1[3-9]|[2-9]\d) from hello\/main/.test(
            document.querySelector("[data-testid=log-output]")?.textContent ?? "",
          )
        );
        await shot(page, "pod-logs");
      });

      await t.step(
        "a restarted container's previous instance: its logs, not followed",
        async () => {
          needCluster();
          const { page } = admin;
          const logsUrl = `${base}/clusters/${clusterId}/r/core/v1/pods/e2e/hello?tab=logs`;
          await page.goto(logsUrl);
          await hydrated(page);
          const previous = page.getByTestId("previous");
          assert.equal(await previous.isDisabled(), true, "no restart yet: no previous instance");
          // What a kubelet reports after the container crashed once.
          const pod = await kubeRequest(cp, "GET", "/api/v1/namespaces/e2e/pods/hello");
          const [main] = (pod.body as { status: { containerStatuses: object[] } }).status
            .containerStatuses;
          const restarted = await kubeRequest(
            cp,
            "PATCH",
            "/api/v1/namespaces/e2e/pods/hello/status",
            {
              status: {
                containerStatuses: [{
                  ...main,
                  restartCount: 1,
                  lastState: {
                    terminated: {
                      exitCode: 1,
                      reason: "Error",
                      startedAt: "2026-01-01T00:00:00Z",
                      finishedAt: "2026-01-01T00:00:10Z",
                    },
                  },
                }],
              },
            },
            "application/merge-patch+json",
          );
          assert.equal(restarted.status, 200, JSON.stringify(restarted.body));
          await page.goto(logsUrl);
          await hydrated(page);
          assert.equal(await previous.isDisabled(), false);
          await previous.check();
          const out = page.getByTestId("log-output");
          await out.getByText("previous log line 10 from hello/main").waitFor();
          await page.locator("[data-testid=log-state][data-state=ended]").waitFor();
          assert.equal(await page.getByTestId("follow").isDisabled(), true, "an ended instance");
          assert.doesNotMatch(await out.textContent() ?? "", /^log line/m, "only the previous one");
          // Back to the running instance, followed again.
          await previous.uncheck();
          await page.locator("[data-testid=log-state][data-state=streaming]").waitFor();
          await out.getByText(/^log line 10 from hello\/main$/m).waitFor();
        },
      );

      await t.step("all containers of a pod, interleaved by time with their names", async () => {
        needCluster();
        const { page } = admin;
        await createRunningPod(cp, "e2e", "duo", { containers: ["app", "sidecar"] });
        await page.goto(`${base}/clusters/${clusterId}/r/core/v1/pods/e2e/duo?tab=logs`);
        await hydrated(page);
        const out = page.getByTestId("log-output");
        await out.getByText("log line 10 from duo/app").waitFor();
        await page.getByLabel("Container").selectOption("*");
        await out.locator("[data-container=sidecar]").first().waitFor();
        // Both containers' lines 1-10 carry the same times: they pair up (in arrival order).
        await page.waitForFunction(() =>
          (document.querySelector("[data-testid=log-output]")?.textContent ?? "")
            .includes("[sidecar] log line 10 from duo/sidecar")
        );
        const first = (await out.textContent() ?? "").split("\n").slice(0, 4);
        assert.deepEqual([first.slice(0, 2).sort(), first.slice(2, 4).sort()], [
          ["[app] log line 1 from duo/app", "[sidecar] log line 1 from duo/sidecar"],
          ["[app] log line 2 from duo/app", "[sidecar] log line 2 from duo/sidecar"],
        ]);
        const colours = await out.locator("[data-container]").evaluateAll((
          els,
        ) => [...new Set(els.map((e) => `${e.getAttribute("data-container")} ${e.className}`))]);
        assert.equal(colours.length, 2, `one colour per container: ${colours}`);
        assert.equal(await page.getByTestId("previous").isDisabled(), true);
        await shot(page, "pod-logs-all-containers");
      });

      await t.step("YAML edit applies, and Kubernetes errors are shown", async () => {
        needCluster();
        const { page } = admin;
        const r = await cp.kubectl([
          "-n",
          "e2e",
          "create",
          "configmap",
          "settings",
          "--from-literal=color=blue",
        ]);
        assert.equal(r.code, 0, r.stderr);
        await page.goto(`${base}/clusters/${clusterId}/r/core/v1/configmaps/e2e/settings?tab=yaml`);
        await hydrated(page);
        await page.getByTestId("yaml-view").getByText("color: blue").waitFor();
        await page.getByRole("button", { name: "Edit" }).click();
        const editor = page.getByTestId("yaml-editor");
        await editor.fill((await editor.inputValue()).replace("color: blue", "color: green"));
        await page.getByRole("button", { name: "Apply" }).click();
        await page.getByText("Applied. The object was updated.").waitFor();
        const got = await cp.kubectl([
          "-n",
          "e2e",
          "get",
          "configmap",
          "settings",
          "-o",
          "jsonpath={.data.color}",
        ]);
        assert.equal(got.stdout, "green");
        await shot(page, "yaml");
        // Invalid for Kubernetes: data values must be strings.
        await page.getByRole("button", { name: "Edit" }).click();
        await editor.fill((await editor.inputValue()).replace("color: green", "color: [1, 2]"));
        await page.getByRole("button", { name: "Apply" }).click();
        await page.getByTestId("yaml-error").waitFor();
        assert.ok((await page.getByTestId("yaml-error").textContent())!.length > 10);
        await page.getByRole("button", { name: "Cancel" }).click();
      });

      await t.step("delete a pod from the table with confirmation", async () => {
        needCluster();
        const { page } = admin;
        await page.goto(`${base}/clusters/${clusterId}/r/core/v1/pods?ns=e2e`);
        await page.locator("[data-testid=table-state][data-state=live]").waitFor();
        await page.getByRole("button", { name: "Delete hello-live" }).click();
        const dialog = page.getByRole("dialog", { name: /Delete Pod hello-live/ });
        await dialog.getByRole("button", { name: "Delete" }).click();
        await page.locator("tr[data-name=hello-live]").waitFor({ state: "detached" });
      });

      await t.step("5,000 rows stay responsive (virtualized)", async () => {
        needCluster();
        const { page } = admin;
        // 5,000 real objects in the real API server, listed through the dashboard's proxy.
        await createConfigMaps(cp, "big", 5000, 16, {
          name: (i) => `cm-${String(i).padStart(5, "0")}`,
        });
        // The namespace also holds the cluster's own kube-root-ca.crt: count what the API has.
        const listed = await kubeRequest(cp, "GET", "/api/v1/namespaces/big/configmaps");
        const total = (listed.body as { items: unknown[] }).items.length;
        assert.ok(total >= 5000, `${total} ConfigMaps in the namespace`);
        await page.goto(`${base}/clusters/${clusterId}/r/core/v1/configmaps?ns=big`);
        await page.getByTestId("row-count").getByText(`${total} configmaps`).waitFor();
        const inDom = await page.locator("tr[data-index]").count();
        assert.ok(inDom < 150, `only a window of rows is in the DOM (${inDom})`);
        const started = performance.now();
        await page.locator("[data-testid=resource-table]").evaluate((
          t,
        ) => (t.parentElement!.scrollTop = 4990 * 37));
        await page.locator("tr[data-name=cm-04999]").waitFor();
        await page.getByLabel("Filter configmaps by name").fill("cm-0421");
        await page.getByTestId("row-count").getByText(`10 of ${total} configmaps`).waitFor();
        const ms = performance.now() - started;
        assert.ok(ms < 3000, `scroll and filter took ${ms} ms`);
      });

      await t.step(
        "deploy agent tab: validation, presets, command with copy, expiry, revoke",
        async () => {
          const { page } = admin;
          await page.goto(`${base}/clusters`);
          await hydrated(page);
          await page.getByRole("button", { name: "Add cluster" }).click();
          await page.getByRole("tab", { name: "Deploy Agent" }).click();
          const panel = page.getByRole("tabpanel", { name: "Deploy Agent" });
          await panel.getByLabel("Cluster name").fill("-edge");
          await panel.getByText("Start and end with a letter or digit.").waitFor();
          await panel.getByLabel("Cluster name").fill("edge-1");
          // Each preset says what it grants.
          const summary = panel.getByTestId("preset-summary");
          await summary.getByText("get, list and watch every resource, including custom resources")
            .waitFor();
          await panel.getByText("Operator", { exact: true }).click();
          await summary.getByText("impersonation").waitFor();
          await panel.getByText("Custom", { exact: true }).click();
          await panel.getByLabel("Resources").fill("");
          await panel.getByRole("button", { name: "Generate command" }).click();
          await panel.getByText("Rule 1: name at least one resource").waitFor();
          await panel.getByLabel("Resources").fill("pods, pods/log");
          await panel.getByText("Grants: get, list, watch on pods, pods/log (core)").waitFor();
          await panel.getByText("Read-only", { exact: true }).click();
          await panel.getByRole("button", { name: "Generate command" }).click();
          await panel.getByTestId("install-command").waitFor();
          assert.match(await panel.getByTestId("install-command").textContent() ?? "", /curl/);
          assert.match(await panel.getByTestId("helm-command").textContent() ?? "", /helm/);
          await panel.locator("[data-testid=agent-wait][data-state=waiting]").waitFor();
          await panel.getByText(/expires in \d+ (h|min|d)/).waitFor();
          await panel.getByRole("button", { name: "Copy" }).first().click();
          await panel.getByRole("button", { name: "Copied!" }).waitFor();
          const copied = await page.evaluate(() => navigator.clipboard.readText());
          assert.match(copied, /^dashboard_agent_install\(\) \(\n/);
          assert.ok(
            !copied.includes("\\\n"),
            "the copy is the API's command, not the wrapped display",
          );
          await shot(page, "add-agent");
          await panel.getByRole("button", { name: "Revoke token" }).click();
          await panel.getByText("This token was revoked").waitFor();
          await panel.locator("[data-testid=agent-wait][data-state=revoked]").waitFor();
          await page.keyboard.press("Escape");
        },
      );

      await t.step("API tokens page: create and revoke", async () => {
        const { page } = admin;
        await page.getByRole("button", { name: "admin" }).click();
        await page.getByRole("menuitem", { name: "API tokens" }).click();
        await page.waitForURL(/\/account\/tokens$/);
        await hydrated(page);
        await page.getByLabel("Name", { exact: true }).fill("ci token");
        await page.getByRole("button", { name: "Create token" }).click();
        const tok = page.getByTestId("new-token");
        await tok.waitFor();
        assert.match(await tok.textContent() ?? "", /^kdt_/);
        await shot(page, "tokens");
        await page.getByRole("button", { name: "Revoke" }).first().click();
        await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
        await page.getByRole("cell", { name: "ci token" }).waitFor({ state: "detached" });
      });

      await t.step("a viewer sees no enabled destructive buttons", async () => {
        needCluster();
        await dash.auth.createUser("viewer", VIEWER_PASSWORD, "viewer");
        const viewer = await newSession(browser, { dark: true });
        try {
          await login(viewer, base, "viewer", VIEWER_PASSWORD);
          const { page } = viewer;
          await page.locator("[data-cluster=e2e]").waitFor();
          assert.equal(await page.getByRole("button", { name: "Add cluster" }).count(), 0);
          await page.goto(`${base}/clusters/${clusterId}`);
          await hydrated(page);
          assert.equal(await page.getByTestId("delete-cluster").count(), 0);
          assert.equal(await page.getByRole("button", { name: /Rotate/ }).count(), 0);
          await page.goto(`${base}/clusters/${clusterId}/r/core/v1/pods?ns=e2e`);
          await page.locator("[data-testid=table-state][data-state=live]").waitFor();
          await page.locator("tr[data-name=hello]").waitFor();
          // Delete stays in place, disabled, its reason the hover text (permissions_e2e_test.ts).
          await page.locator("tr[data-name=hello] [data-action=delete][disabled]").waitFor();
          assert.equal(await page.locator("[data-action=delete]:enabled").count(), 0);
          await shot(page, "pods-viewer-dark");
          await page.goto(`${base}/clusters/${clusterId}/r/core/v1/pods/e2e/hello?tab=yaml`);
          await hydrated(page);
          await page.locator("[data-testid=delete-object][disabled]").waitFor();
          assert.equal(await page.locator("[data-testid=delete-object]:enabled").count(), 0);
          assert.equal(
            await page.getByRole("button", { name: "Edit", disabled: false }).count(),
            0,
          );
          assert.deepEqual(viewer.errors, []);
        } finally {
          await viewer.context.close();
        }
      });

      await t.step("delete the cluster with typed confirmation", async () => {
        needCluster();
        const { page } = admin;
        await page.goto(`${base}/clusters/${clusterId}`);
        await hydrated(page);
        await page.getByTestId("delete-cluster").click();
        const dialog = page.getByRole("dialog", { name: "Delete cluster e2e?" });
        const confirm = dialog.getByRole("button", { name: "Delete cluster" });
        assert.equal(await confirm.isDisabled(), true);
        await dialog.getByLabel(/Type e2e to confirm/).fill("e2e");
        await confirm.click();
        await page.waitForURL(/\/clusters$/);
        await page.getByText("No clusters yet").waitFor();
      });

      await t.step("no console errors", () => {
        assert.deepEqual(admin.errors, []);
      });
    } finally {
      await admin.context.close().catch(() => {});
      await browser.close().catch(() => {});
      await dash.stop();
    }
  },
});

/** Marks the current document; sameDocument() is true until a navigation or reload replaces it. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __e2eMark?: boolean }).__e2eMark = true;
  });
}

function sameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __e2eMark?: boolean }).__e2eMark === true);
}

/** The agents' heartbeat interval in this test; the status deadlines are multiples of it. */
const HEARTBEAT_SECONDS = 1;

Deno.test({
  name: "web UI with the real agent: deploy, connect live, browse, stop",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await currentWebBuild();
    await Deno.mkdir(SHOTS, { recursive: true });
    const [cp, dash, browser] = await Promise.all([
      sharedControlPlane(),
      startWebDashboard({ adminPassword: ADMIN_PASSWORD, heartbeatSeconds: HEARTBEAT_SECONDS }),
      launchBrowser(),
    ]) as [ControlPlane, TestDashboard, Browser];
    const base = dash.url;
    const admin = await newSession(browser);
    const name = "edge-agent";
    let agent: RunningAgent | undefined;
    let clusterId = "";
    const needCluster = () => {
      if (!clusterId) throw new Error("skipped: the agent did not connect");
    };
    try {
      // The agent authenticates to the API server as a ServiceAccount bound to `view`, matching
      // the Read-only preset picked below (the install script would create that binding).
      const [agentKubeconfig] = await Promise.all([
        serviceAccountKubeconfig(cp, "web-e2e-agent", "view"),
        createRunningPod(cp, "agent-e2e", "via-agent"),
      ]);

      let token = "";
      await t.step("Deploy Agent tab: generate the command and read its token", async () => {
        await login(admin, base, "admin", ADMIN_PASSWORD);
        const { page } = admin;
        await page.getByRole("button", { name: "Add cluster" }).first().click();
        await page.getByRole("tab", { name: "Deploy Agent" }).click();
        const panel = page.getByRole("tabpanel", { name: "Deploy Agent" });
        await panel.getByLabel("Cluster name").fill(name);
        await panel.getByText("Read-only", { exact: true }).click();
        await panel.getByTestId("preset-summary").getByText(
          "get, list and watch every resource, including custom resources",
        ).waitFor();
        await panel.getByRole("button", { name: "Generate command" }).click();
        await panel.locator("[data-testid=agent-wait][data-state=waiting]").waitFor();
        // The token exactly as the page shows it, in its own block: the commands do not carry it.
        const install = await panel.getByTestId("install-command").textContent() ?? "";
        const helm = await panel.getByTestId("helm-command").textContent() ?? "";
        token = (await panel.getByTestId("agent-token").textContent() ?? "").trim();
        assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
        await panel.getByTestId("agent-token-hint").getByText(TOKEN_HINT).waitFor();
        for (const cmd of [install, helm]) {
          assert.ok(!cmd.includes(token), `the token is not in a command:\n${cmd}`);
          assert.doesNotMatch(cmd, /AGENT_TOKEN=|--token /);
        }
        assert.match(install, /--permissions 'read-only'/);
        assert.match(install, /--chart-sha256 '[0-9a-f]{64}'/);
        assert.match(helm, /--set-file token=<\(tr -d '\[:space:\]' < "\$DASHBOARD_TOKEN_FILE"\)/);
        assert.ok(install.includes(dash.dashboard.agentUrl), "the command dials the agent URL");
        await markDocument(page);
        await shot(page, "agent-waiting");

        // The command as shown, run as a user would with the token saved to a file: the real
        // script, helm and kubectl check everything against the cluster (dry run: no image).
        const home = await Deno.makeTempDir({ prefix: "web-e2e-install-" });
        try {
          const tokenFile = join(home, "agent-token");
          await Deno.writeTextFile(tokenFile, `${token}\n`, { mode: 0o600 });
          const out = await new Deno.Command("/bin/bash", {
            args: ["-c", `${install} --dry-run`],
            env: {
              PATH: `${cp.binDir}:/usr/local/bin:/usr/bin:/bin`,
              HOME: home,
              TMPDIR: home,
              KUBECONFIG: cp.kubeconfigPath,
              DASHBOARD_TOKEN_FILE: tokenFile,
            },
            clearEnv: true,
            stdin: "null",
            stdout: "piped",
            stderr: "piped",
          }).output();
          const text = new TextDecoder().decode(out.stdout) +
            new TextDecoder().decode(out.stderr);
          assert.equal(out.code, 0, text);
          assert.match(text, /chart verified: sha256 [0-9a-f]{64}/);
          assert.match(text, /preset: "read-only"/);
          assert.match(text, /dry run: nothing was changed/);
          assert.ok(!text.includes(token), `the script does not print the token:\n${text}`);
        } finally {
          await Deno.remove(home, { recursive: true });
        }
      });

      await t.step("the real agent connects; the dialog flips without a reload", async () => {
        assert.ok(token, "skipped: no token on screen");
        const { page } = admin;
        const started = performance.now();
        agent = await startAgent({
          dashboardUrl: dash.dashboard.agentUrl,
          caHash: dash.dashboard.caHash,
          kubeconfig: agentKubeconfig,
          token,
        });
        const panel = page.getByRole("tabpanel", { name: "Deploy Agent" });
        try {
          await panel.locator("[data-testid=agent-wait][data-state=connected]").waitFor({
            timeout: 45_000,
          });
        } catch (err) {
          throw new Error(
            `${(err as Error).message}\nagent log:\n${(await agent.logs()).slice(-4000)}`,
          );
        }
        console.log(
          `agent: dialog shows connected ${Math.round(performance.now() - started)} ms after start`,
        );
        await panel.getByText(`The agent in ${name} is connected.`).waitFor();
        assert.ok(await sameDocument(page), "the dialog updated in place (no reload)");
        await shot(page, "agent-connected");
        await panel.getByTestId("agent-wait").getByRole("link", { name: "Open cluster" }).click();
        await page.waitForURL(/\/clusters\/[0-9a-f-]{36}$/);
        clusterId = page.url().split("/").pop()!;
        await hydrated(page);
      });

      await t.step("the agent cluster's page and its pods (through the tunnel)", async () => {
        needCluster();
        const { page } = admin;
        await page.locator("h1 [data-status=connected]").waitFor();
        await page.locator("h1", { hasText: name }).waitFor();
        assert.equal(
          await page.locator("[data-connection]").first().getAttribute("data-connection"),
          "agent",
        );
        await page.getByText(cp.version).first().waitFor();
        await page.getByRole("link", { name: "Browse resources" }).click();
        await page.waitForURL(/\/r\/core\/v1\/pods$/);
        await page.locator("[data-testid=table-state][data-state=live]").waitFor();
        await page.locator("tr[data-name=via-agent]").waitFor();
        await shot(page, "agent-cluster");
      });

      await t.step("stopping the agent: the status leaves connected without a reload", async () => {
        needCluster();
        assert.ok(agent);
        const { page } = admin;
        await page.goto(`${base}/clusters/${clusterId}`);
        await hydrated(page);
        await page.locator("h1 [data-status=connected]").waitFor();
        await markDocument(page);
        // The clusters list in a second tab follows the same cluster.
        const list = await admin.context.newPage();
        watchErrors(list, admin.errors);
        try {
          await list.goto(`${base}/clusters`);
          await hydrated(list);
          const row = list.locator(`[data-cluster=${name}]`);
          await row.locator("[data-status=connected]").waitFor();
          await markDocument(list);

          // Documented: connected while heard within 2.5 heartbeats, and a clean stop flips the
          // cluster to reconnecting at once; allow 3 heartbeats and 2 s for the stream to the page.
          const deadline = 3 * HEARTBEAT_SECONDS * 1000 + 2000;
          const gone = "[data-status]:not([data-status=connected])";
          const started = performance.now();
          const leaves = (where: Page, sel: string) =>
            where.locator(sel).waitFor({ timeout: deadline }).then(() =>
              performance.now() - started
            );
          const [status, detailMs, listMs] = await Promise.all([
            agent.stop(),
            leaves(page, `h1 ${gone}`),
            leaves(list, `[data-cluster=${name}] ${gone}`),
          ]);
          console.log(
            `agent: stopped (exit ${status.code}); badge left connected after ${
              Math.round(detailMs)
            } ms (detail page), ${Math.round(listMs)} ms (clusters list); deadline ${deadline} ms`,
          );
          const now = await page.locator("h1 [data-status]").getAttribute("data-status");
          assert.ok(now === "reconnecting" || now === "offline", `status ${now}`);
          assert.match(
            await page.locator("h1 [data-status]").textContent() ?? "",
            /Reconnecting|Offline/,
          );
          assert.ok(await sameDocument(page), "the detail page updated in place");
          assert.ok(await sameDocument(list), "the clusters list updated in place");
          await shot(page, "agent-offline");
        } finally {
          await list.close();
        }
      });

      await t.step(
        "rotating the credential shows a new token, and the agent returns with it",
        async () => {
          needCluster();
          assert.ok(agent);
          const { page } = admin;
          await page.getByRole("button", { name: "Rotate / reinstall" }).click();
          const dialog = page.getByRole("dialog", { name: "Rotate the agent's credential" });
          await dialog.getByRole("button", { name: "Rotate and show command" }).click();
          const rotated = dialog.getByTestId("rotated");
          const fresh = (await rotated.getByTestId("rotate-agent-token").textContent() ?? "")
            .trim();
          assert.match(fresh, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
          assert.notEqual(fresh, token, "a new token");
          await rotated.getByTestId("rotate-agent-token-hint").getByText(TOKEN_HINT).waitFor();
          const install = await rotated.getByTestId("rotate-install-command").textContent() ?? "";
          const helm = await rotated.getByTestId("rotate-helm-command").textContent() ?? "";
          assert.match(install, new RegExp(`--cluster-name '${name}'`));
          assert.match(install, /--chart-sha256 '[0-9a-f]{64}'/);
          for (const cmd of [install, helm]) {
            assert.ok(!cmd.includes(fresh), `the token is not in a command:\n${cmd}`);
          }
          await shot(page, "agent-rotated");
          // The agent restarted with its old state (a now-refused credential) and the token the
          // dialog shows registers again, as the same cluster.
          const old = agent;
          agent = await startAgent({
            dashboardUrl: dash.dashboard.agentUrl,
            caHash: dash.dashboard.caHash,
            kubeconfig: agentKubeconfig,
            token: fresh,
            stateDir: old.stateDir,
          });
          await Deno.remove(old.logFile).catch(() => {});
          try {
            await page.locator("h1 [data-status=connected]").waitFor({ timeout: 45_000 });
          } catch (err) {
            throw new Error(
              `${(err as Error).message}\nagent log:\n${(await agent.logs()).slice(-4000)}`,
            );
          }
          assert.equal(page.url(), `${base}/clusters/${clusterId}`, "the same cluster");
          await page.keyboard.press("Escape");
          await agent.stop();
        },
      );

      await t.step("no console errors", () => {
        assert.deepEqual(admin.errors, []);
      });
    } finally {
      if (agent) {
        await agent.stop().catch(() => {});
        await Deno.remove(agent.stateDir, { recursive: true }).catch(() => {});
        await Deno.remove(agent.logFile).catch(() => {});
      }
      await admin.context.close().catch(() => {});
      await browser.close().catch(() => {});
      await dash.stop();
    }
  },
});
