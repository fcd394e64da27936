// End-to-end test of metrics (client/metrics.ts, components/metrics.tsx, islands/PodMetrics.tsx,
// the pods and nodes tables of islands/ResourceTable.tsx) in headless Chromium, against a real
// dashboard and a real control plane whose kube-apiserver serves metrics.k8s.io through an
// APIService backed by the test metrics server (tools/testenv/metrics_server.ts). Without it:
// "Metrics unavailable" once, no metrics request at all, no error. With it: the served CPU and
// memory in the pods and nodes tables, the pod page's per-container values and sparklines,
// which move when the served values change (the table's too). A registered but failing server
// (503): "Metrics unavailable" once, no error banner, no retry storm. Unregistered again: gone.
// Screenshot: web/e2e/screenshots/metrics.png.
// Needs: /usr/bin/chromium and the kube tools (tools/kube/build.sh).
import assert from "node:assert/strict";
import { eventually } from "../../testing/eventually.ts";
import type { ConsoleMessage, Page } from "playwright-core";
import { createRunningPod, startMetricsServer } from "../../tools/testenv/mod.ts";
import { hydrated, loginToken, restCall, signInSession, webSceneTest } from "./harness.ts";

const ADMIN_PASSWORD = "metrics-e2e-admin-password";
const METRICS = "/apis/metrics.k8s.io/";
/** The failing server's answers are the one console error the browser may print. */
const failedMetrics = (msg: ConsoleMessage) =>
  /status of 503/.test(msg.text()) && (msg.location()?.url ?? "").includes(METRICS);

/** Counts the page's requests to metrics.k8s.io (and the failed ones) from now on. */
function countMetricsRequests(
  page: Page,
): { all: number; failed: number; discovery: number; stop(): void } {
  const c = { all: 0, failed: 0, discovery: 0, stop: () => {} };
  const onResponse = (res: { url(): string; status(): number }) => {
    if (new URL(res.url()).pathname.endsWith("/k8s/apis")) c.discovery++;
    if (!res.url().includes(METRICS)) return;
    c.all++;
    if (res.status() >= 400) c.failed++;
  };
  page.on("response", onResponse);
  c.stop = () => page.off("response", onResponse);
  return c;
}

/** The text of a row's metrics cell in the resource table. */
const cell = (page: Page, name: string, which: "cpu" | "memory") =>
  page.locator(
    `[data-testid=resource-table] tr[data-name="${name}"] [data-testid=metrics-${which}]`,
  );

/** Exactly one quiet note, no metrics columns, no error banner. */
async function unavailableOnce(page: Page, scope: string): Promise<void> {
  await page.locator(`${scope} [data-testid=metrics-unavailable]`).first().waitFor();
  assert.equal(await page.locator("[data-testid=metrics-unavailable]").count(), 1);
  assert.equal(await page.locator("[data-testid=metrics-header]").count(), 0);
  assert.equal(await page.getByRole("alert").count(), 0, "no error banner");
}

Deno.test({
  name: "Metrics: pods and nodes tables, the pod page's sparkline, unavailable once",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: webSceneTest(ADMIN_PASSWORD, async (t, { cp, base, session, defer }) => {
    const run = Date.now().toString(36);
    const ns = `metrics-e2e-${run}`;
    const node = `metrics-e2e-node-${run}`;
    await createRunningPod(cp, ns, "web", { nodeName: node, containers: ["app", "sidecar"] });
    await createRunningPod(cp, ns, "quiet", { nodeName: node });

    const admin = await loginToken(base, "admin", ADMIN_PASSWORD);
    const added = await restCall(base, "POST", "/api/clusters", admin, {
      name: "metrics",
      kubeconfig: await Deno.readTextFile(cp.kubeconfigPath),
    });
    assert.equal(added.status, 201, added.text);
    const id = (added.json as { id: string }).id;
    const podsUrl = `${base}/clusters/${id}/r/core/v1/pods?ns=${ns}`;
    const nodesUrl = `${base}/clusters/${id}/r/core/v1/nodes`;
    const podUrl = `${base}/clusters/${id}/r/core/v1/pods/${ns}/web`;

    const s = await session({ expected: failedMetrics });
    const page = s.page;
    await signInSession(s, base, "admin", ADMIN_PASSWORD);

    await t.step("not served: 'Metrics unavailable' once, no request, no error", async () => {
      const seen = countMetricsRequests(page);
      await page.goto(podsUrl);
      await hydrated(page);
      await page.locator("[data-testid=table-state][data-state=live]").waitFor();
      await unavailableOnce(page, "[data-testid=table-state]");
      await page.goto(nodesUrl);
      await hydrated(page);
      await unavailableOnce(page, "[data-testid=table-state]");
      await page.goto(podUrl);
      await hydrated(page);
      await page.locator("[data-testid=pod-metrics][data-state=unavailable]").waitFor();
      await unavailableOnce(page, "[data-testid=pod-metrics]");
      seen.stop();
      assert.equal(seen.all, 0, "discovery says it is not served: no metrics request is made");
    });

    const ms = await startMetricsServer(cp);
    defer(() => ms.stop());
    ms.setNode(node, { cpu: "1250m", memory: "3Gi" });
    ms.setPod(ns, "web", {
      app: { cpu: "120m", memory: "64Mi" },
      sidecar: { cpu: "5m", memory: "8Mi" },
    });
    ms.setPod(ns, "quiet", { main: { cpu: "0", memory: "512Ki" } });

    await t.step("served: the pods table shows each pod's CPU and memory", async () => {
      const seen = countMetricsRequests(page);
      await page.goto(podsUrl);
      await hydrated(page);
      await page.locator("[data-testid=metrics-header]").first().waitFor();
      assert.deepEqual(
        await page.locator("[data-testid=metrics-header]").allInnerTexts(),
        ["CPU", "MEMORY"],
      );
      await page.waitForFunction(() =>
        document.querySelector('tr[data-name="web"] [data-testid=metrics-cpu]')?.textContent ===
          "125m"
      );
      assert.equal(await cell(page, "web", "memory").innerText(), "72 MiB");
      assert.equal(await cell(page, "quiet", "cpu").innerText(), "0m");
      assert.equal(await cell(page, "quiet", "memory").innerText(), "512 KiB");
      assert.equal(await page.locator("[data-testid=metrics-unavailable]").count(), 0);
      seen.stop();
      assert.equal(seen.all, 1, "one metrics list per table load, not one per row");
    });

    await t.step("the table refreshes the values (no watch: it lists again)", async () => {
      ms.setPod(ns, "quiet", { main: { cpu: "40m", memory: "100Mi" } });
      await page.waitForFunction(
        () =>
          document.querySelector('tr[data-name="quiet"] [data-testid=metrics-cpu]')
            ?.textContent === "40m",
        undefined,
        { timeout: 25_000 },
      );
      assert.equal(await cell(page, "quiet", "memory").innerText(), "100 MiB");
    });

    await t.step("a hidden tab asks nothing; shown again, it lists at once", async () => {
      await page.goto(podsUrl);
      await hydrated(page);
      await page.locator("[data-testid=metrics-header]").first().waitFor();
      const setHidden = (hidden: boolean) =>
        page.evaluate((h) => {
          for (
            const [prop, value] of [["hidden", h], ["visibilityState", h ? "hidden" : "visible"]]
          ) {
            Object.defineProperty(document, prop as string, {
              configurable: true,
              get: () => value,
            });
          }
          document.dispatchEvent(new Event("visibilitychange"));
        }, hidden);
      await setHidden(true);
      const hiddenSeen = countMetricsRequests(page);
      // Longer than the table's refresh (TABLE_POLL_MS, 15 s): a visible tab would have listed.
      await new Promise((r) => setTimeout(r, 17_000));
      hiddenSeen.stop();
      assert.equal(hiddenSeen.all, 0, "no metrics request while the tab is hidden");
      const shownSeen = countMetricsRequests(page);
      await setHidden(false);
      await eventually("a metrics list once shown", () => shownSeen.all >= 1, 5_000);
      shownSeen.stop();
    });

    await t.step("served: the nodes table shows the node's CPU and memory", async () => {
      const seen = countMetricsRequests(page);
      await page.goto(nodesUrl);
      await hydrated(page);
      await page.waitForFunction(
        (n) =>
          document.querySelector(`tr[data-name="${n}"] [data-testid=metrics-cpu]`)
            ?.textContent === "1250m",
        node,
      );
      assert.equal(await cell(page, node, "memory").innerText(), "3 GiB");
      seen.stop();
      assert.equal(seen.discovery, 0, "the tab remembers the cluster serves metrics");
    });

    await t.step(
      "the pod page: per container, sparklines that move with the values",
      async () => {
        await page.goto(podUrl);
        await hydrated(page);
        const row = (c: string) =>
          page.locator(`[data-testid=pod-metrics-row][data-container="${c}"]`);
        await row("app").waitFor();
        assert.equal(await row("app").locator("[data-testid=metrics-cpu]").innerText(), "120m");
        assert.equal(
          await row("app").locator("[data-testid=metrics-memory]").innerText(),
          "64 MiB",
        );
        assert.equal(await row("sidecar").locator("[data-testid=metrics-cpu]").innerText(), "5m");
        assert.equal(await row("").locator("[data-testid=metrics-cpu]").innerText(), "125m");
        assert.equal(
          await row("app").locator("svg[data-testid=sparkline-cpu] polyline").count(),
          1,
        );

        ms.setPod(ns, "web", {
          app: { cpu: "480m", memory: "96Mi" },
          sidecar: { cpu: "5m", memory: "8Mi" },
        });
        await page.waitForFunction(
          () =>
            document.querySelector(
              '[data-testid=pod-metrics-row][data-container="app"] [data-testid=metrics-cpu]',
            )?.textContent === "480m",
          undefined,
          { timeout: 25_000 },
        );
        assert.equal(
          await row("app").locator("[data-testid=metrics-memory]").innerText(),
          "96 MiB",
        );
        // Two samples now: the line rises from the first (lower) to the newest at the right edge.
        const points = await row("app").locator("svg[data-testid=sparkline-cpu]").getAttribute(
          "data-points",
        );
        const coords = (points ?? "").split(" ").map((p) => p.split(",").map(Number));
        assert.ok(coords.length >= 2, `two samples or more: ${points}`);
        const first = coords[0];
        const last = coords[coords.length - 1];
        assert.equal(last[0], 64, "the newest sample is at the right edge");
        assert.ok(last[1] < first[1], `the line rises: ${points}`);
        assert.equal(await page.getByRole("alert").count(), 0);
        await page.screenshot({ path: "web/e2e/screenshots/metrics.png", fullPage: true });
      },
    );

    await t.step("a failing metrics server (503): unavailable once, no storm", async () => {
      ms.setFailing(true);
      const seen = countMetricsRequests(page);
      await page.goto(podUrl);
      await hydrated(page);
      await page.locator("[data-testid=pod-metrics][data-state=unavailable]").waitFor();
      await unavailableOnce(page, "[data-testid=pod-metrics]");
      // The next try waits a minute: nothing more within the next 12 s (a 10 s poll would).
      await new Promise((r) => setTimeout(r, 12_000));
      seen.stop();
      assert.ok(seen.failed <= 1, `at most one failed request, got ${seen.failed}`);
      assert.equal(await page.locator("[data-testid=metrics-unavailable]").count(), 1);
      ms.setFailing(false);
    });

    await t.step("unregistered (the APIService deleted): unavailable again", async () => {
      await ms.unregister();
      await page.goto(podsUrl);
      await hydrated(page);
      await page.locator("[data-testid=table-state][data-state=live]").waitFor();
      await unavailableOnce(page, "[data-testid=table-state]");
      assert.equal(await cell(page, "web", "cpu").count(), 0);
    });

    assert.deepEqual(s.problems, []);
  }),
});
