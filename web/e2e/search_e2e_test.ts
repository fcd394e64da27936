// End-to-end test of the command palette (islands/SearchPalette.tsx, GET /api/search) in headless
// Chromium, against a real dashboard and a real control plane (tools/testenv/) connected twice as
// kubeconfig clusters, plus a cluster that accepts requests and never answers: Ctrl+K opens the
// palette, typing a name shows the object in both clusters grouped by cluster and says that one
// cluster did not answer in time, the arrows move, Enter opens the object's page, Esc closes, and
// the header's Search button opens it too. Screenshot: web/e2e/screenshots/search.png.
// Needs: /usr/bin/chromium and the kube tools (tools/kube/build.sh).
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import {
  type ControlPlane,
  ensureNamespace,
  kubeRequest,
  sharedControlPlane,
} from "../../tools/testenv/mod.ts";
import {
  type BrowserSession,
  currentWebBuild,
  hydrated,
  launchBrowser,
  loginToken,
  newSession,
  restCall,
  signInSession,
  startWebDashboard,
  type TestDashboard,
} from "./harness.ts";
import { startFakeApiServer } from "../../testing/fake_apiserver.ts";

const ADMIN_PASSWORD = "search-e2e-admin-password";
const SHOTS = decodeURIComponent(new URL("./screenshots/", import.meta.url).pathname);

Deno.test({
  name: "command palette: Ctrl+K, results from several clusters, arrows, Enter, Esc",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await currentWebBuild();
    const hanging: (() => void)[] = [];
    const [cp, dash, browser, fake] = await Promise.all([
      sharedControlPlane(),
      startWebDashboard({ adminPassword: ADMIN_PASSWORD }),
      launchBrowser(),
      // Answers the dashboard's probe, then never answers a list until the request goes away.
      startFakeApiServer((req, url) =>
        url.pathname === "/version" || url.pathname === "/api/v1/nodes"
          ? null
          : new Promise<Response>((resolve) => {
            const end = () => resolve(new Response(null, { status: 504 }));
            req.signal.addEventListener("abort", end);
            hanging.push(end);
          })
      ),
    ]) as [ControlPlane, TestDashboard, Browser, Awaited<ReturnType<typeof startFakeApiServer>>];
    const base = dash.url;
    let s: BrowserSession | undefined;
    try {
      const run = Date.now().toString(36);
      const ns = `palette-ns-${run}`;
      const name = `palette-cm-${run}`;
      await ensureNamespace(cp, ns);
      const cm = await kubeRequest(cp, "POST", `/api/v1/namespaces/${ns}/configmaps`, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name },
        data: { k: "v" },
      });
      assert([201, 409].includes(cm.status), `ConfigMap: ${cm.status}`);
      const admin = await loginToken(base, "admin", ADMIN_PASSWORD);
      const ids: string[] = [];
      for (
        const [cluster, kubeconfig] of [
          ["palette-one", await Deno.readTextFile(cp.kubeconfigPath)],
          ["palette-two", await Deno.readTextFile(cp.kubeconfigPath)],
          ["palette-silent", fake.kubeconfig],
        ]
      ) {
        const r = await restCall(base, "POST", "/api/clusters", admin, {
          name: cluster,
          kubeconfig,
        });
        assert.equal(r.status, 201, r.text);
        ids.push((r.json as { id: string }).id);
      }
      const [one, two] = ids;

      s = await newSession(browser);
      const page = s.page;
      await signInSession(s, base, "admin", ADMIN_PASSWORD);
      const palette = page.locator("[data-testid=search-palette]");
      const isOpen = () => palette.evaluate((d) => (d as HTMLDialogElement).open);
      const results = page.locator(`[data-testid=search-result][data-name="${name}"]`);

      await t.step("Ctrl+K opens the palette with the input focused", async () => {
        assert.equal(await isOpen(), false);
        await page.keyboard.press("Control+k");
        await page.waitForFunction(() =>
          (document.querySelector("[data-testid=search-palette]") as HTMLDialogElement).open
        );
        assert.equal(
          await page.evaluate(() => document.activeElement?.getAttribute("data-testid")),
          "search-input",
        );
      });

      await t.step("typing a name shows it from both clusters, grouped by cluster", async () => {
        await page.keyboard.type(name);
        await page.waitForFunction(
          (n) =>
            document.querySelectorAll(`[data-testid=search-result][data-name="${n}"]`)
              .length === 2,
          name,
        );
        const clusters = await results.evaluateAll((els) =>
          els.map((e) => e.getAttribute("data-cluster"))
        );
        assert.deepEqual([...clusters].sort(), [one, two].sort());
        const groups = await palette.locator("[role=group]").evaluateAll((els) =>
          els.map((e) => e.getAttribute("aria-label"))
        );
        assert.deepEqual([...groups].sort(), ["palette-one", "palette-two"]);
        assert.match(await results.first().innerText(), /ConfigMap/);
        assert.match(await results.first().innerText(), new RegExp(ns));
        // The silent cluster is counted, not waited for.
        await page.locator("[data-testid=search-partial]").waitFor();
        assert.match(
          await page.locator("[data-testid=search-partial]").innerText(),
          /1 cluster did not answer in time/,
        );
        await Deno.mkdir(SHOTS, { recursive: true });
        await page.screenshot({ path: `${SHOTS}search.png` });
      });

      await t.step("the arrows move the active result; Enter opens its page", async () => {
        const selected = () =>
          palette.locator("[role=option][aria-selected=true]").getAttribute("data-cluster");
        const order = await results.evaluateAll((els) =>
          els.map((e) => e.getAttribute("data-cluster"))
        );
        assert.equal(await selected(), order[0]);
        await page.keyboard.press("ArrowDown");
        assert.equal(await selected(), order[1]);
        await page.keyboard.press("ArrowDown");
        assert.equal(await selected(), order[0], "wraps around");
        await page.keyboard.press("ArrowUp");
        assert.equal(await selected(), order[1]);
        await page.keyboard.press("Enter");
        const target = `/clusters/${order[1]}/r/core/v1/configmaps/${ns}/${name}`;
        await page.waitForURL((u) => u.pathname === target);
        await hydrated(page);
        assert.match(await page.locator("h1").first().innerText(), new RegExp(name));
      });

      await t.step("Esc closes; the header's Search button opens it", async () => {
        await page.keyboard.press("Control+k");
        await page.waitForFunction(() =>
          (document.querySelector("[data-testid=search-palette]") as HTMLDialogElement).open
        );
        await page.keyboard.press("Escape");
        await page.waitForFunction(() =>
          !(document.querySelector("[data-testid=search-palette]") as HTMLDialogElement).open
        );
        await page.locator("[data-testid=search-button]").click();
        await page.waitForFunction(() =>
          (document.querySelector("[data-testid=search-palette]") as HTMLDialogElement).open
        );
        await page.keyboard.type("no-such-object-anywhere");
        await page.locator("[data-testid=search-empty]").waitFor();
        await page.keyboard.press("Escape");
        await page.waitForFunction(() =>
          !(document.querySelector("[data-testid=search-palette]") as HTMLDialogElement).open
        );
        assert.equal(await isOpen(), false);
      });

      assert.deepEqual(s.problems, []);
    } finally {
      await s?.context.close().catch(() => {});
      await browser.close();
      for (const end of hanging) end();
      await dash.stop();
      await fake.stop();
    }
  },
});
