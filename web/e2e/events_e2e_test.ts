// End-to-end test of the Events page (/clusters/{id}/events, web/routes/events.tsx,
// islands/EventList.tsx) in headless Chromium, against a real dashboard and a real control plane
// (tools/testenv/): a Normal and a Warning event created through the API show newest first with
// the warning highlighted (server-rendered, then hydrated); an event created while the page is
// open appears live at the top; the warnings-only filter; the namespace scope; the link to the
// involved object; and a person whose cluster credential may not list events gets the cluster's
// message. Screenshot: web/e2e/screenshots/events.png.
// Needs: /usr/bin/chromium and the kube tools (tools/kube/build.sh).
import assert from "node:assert/strict";
import type { ConsoleMessage } from "playwright-core";
import { type ControlPlane, ensureNamespace, kubeRequest } from "../../tools/testenv/mod.ts";
import { hydrated, loginToken, restCall, signInSession, webSceneTest } from "./harness.ts";
import { serviceAccountKubeconfig } from "../../testing/clusters.ts";

const ADMIN_PASSWORD = "events-e2e-admin-password";
const NS_A = "events-e2e-a";
const NS_B = "events-e2e-b";
/** The refused list of the no-events cluster is asserted on its own. */
const refused = (msg: ConsoleMessage) => /status of 403/.test(msg.text());

/** POSTs a core/v1 Event about the ConfigMap `cm` of `ns`, `agoSeconds` ago. */
async function createEvent(
  cp: ControlPlane,
  ns: string,
  name: string,
  type: "Normal" | "Warning",
  reason: string,
  message: string,
  agoSeconds: number,
): Promise<void> {
  const at = new Date(Date.now() - agoSeconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  const r = await kubeRequest(cp, "POST", `/api/v1/namespaces/${ns}/events`, {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name },
    type,
    reason,
    message,
    count: 1,
    firstTimestamp: at,
    lastTimestamp: at,
    involvedObject: { apiVersion: "v1", kind: "ConfigMap", namespace: ns, name: "cm" },
    source: { component: "events-e2e" },
  });
  assert([201, 409].includes(r.status), `Event ${name}: ${r.status} ${JSON.stringify(r.body)}`);
}

Deno.test({
  name: "Events page: newest first, warnings, live, filter, namespace scope, links, refusal",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: webSceneTest(ADMIN_PASSWORD, async (t, { cp, base, session }) => {
    // A fresh pair of namespaces each run (events of earlier runs must not be in the way).
    const run = Date.now().toString(36);
    const nsA = `${NS_A}-${run}`;
    const nsB = `${NS_B}-${run}`;
    for (const ns of [nsA, nsB]) {
      await ensureNamespace(cp, ns);
      const r = await kubeRequest(cp, "POST", `/api/v1/namespaces/${ns}/configmaps`, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "cm" },
        data: { k: "v" },
      });
      assert([201, 409].includes(r.status), `ConfigMap in ${ns}: ${r.status}`);
    }
    await createEvent(cp, nsA, "ev-normal", "Normal", "Synced", "normal one in A", 120);
    await createEvent(cp, nsA, "ev-warning", "Warning", "BackOff", "warning one in A", 60);
    await createEvent(cp, nsB, "ev-other", "Normal", "Elsewhere", "an event in B", 90);

    const admin = await loginToken(base, "admin", ADMIN_PASSWORD);
    const added = await restCall(base, "POST", "/api/clusters", admin, {
      name: "events",
      kubeconfig: await Deno.readTextFile(cp.kubeconfigPath),
    });
    assert.equal(added.status, 201, added.text);
    const id = (added.json as { id: string }).id;

    const s = await session({ expected: refused });
    const page = s.page;
    await signInSession(s, base, "admin", ADMIN_PASSWORD);
    const rowNames = () =>
      page.locator("[data-testid=event-row]").evaluateAll((rows) =>
        rows.map((r) => r.getAttribute("data-name"))
      );

    await t.step("the sidebar's Events leads to the page", async () => {
      await page.goto(`${base}/clusters/${id}`);
      await hydrated(page);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Events" })
        .click();
      await page.waitForURL((u) => u.pathname === `/clusters/${id}/events`);
      await hydrated(page);
      assert.equal(
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Events" })
          .getAttribute("aria-current"),
        "page",
      );
    });

    await t.step("server-rendered: newest first, the warning highlighted", async () => {
      // Without script: the server's HTML alone.
      const res = await fetch(`${base}/clusters/${id}/events?ns=${nsA}`, {
        headers: {
          cookie: (await s!.context.cookies()).map((c) => `${c.name}=${c.value}`).join("; "),
        },
      });
      const html = await res.text();
      assert.equal(res.status, 200);
      const w = html.indexOf("warning one in A");
      const n = html.indexOf("normal one in A");
      assert.ok(w > 0 && n > w, "the warning (newer) comes before the normal one in the HTML");
      assert.ok(!html.includes("an event in B"), "namespace B's event is not in A's page");
    });

    await t.step("hydrated: rows, highlight, live state", async () => {
      await page.goto(`${base}/clusters/${id}/events?ns=${nsA}`);
      await hydrated(page);
      await page.locator("[data-testid=events-state][data-state=live]").waitFor();
      assert.deepEqual(await rowNames(), ["ev-warning", "ev-normal"]);
      const warning = page.locator("[data-testid=event-row][data-type=Warning]");
      assert.match(await warning.getAttribute("class") ?? "", /bg-amber/);
      assert.match(await warning.innerText(), /BackOff/);
      assert.match(await warning.innerText(), /events-e2e/);
      const normal = page.locator("[data-testid=event-row][data-type=Normal]");
      assert.doesNotMatch(await normal.getAttribute("class") ?? "", /bg-amber/);
    });

    await t.step("an event created while the page is open appears at the top", async () => {
      await createEvent(cp, nsA, "ev-live", "Warning", "LiveOne", "created while watching", 0);
      await page.locator("[data-testid=event-row][data-name=ev-live]").waitFor();
      assert.deepEqual(await rowNames(), ["ev-live", "ev-warning", "ev-normal"]);
      // An update moves the older normal one to the top.
      const r = await kubeRequest(
        cp,
        "PATCH",
        `/api/v1/namespaces/${nsA}/events/ev-normal`,
        {
          count: 5,
          lastTimestamp: new Date(Date.now() + 1000).toISOString().replace(/\.\d+Z$/, "Z"),
        },
        "application/merge-patch+json",
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await page.waitForFunction(() =>
        document.querySelector("[data-testid=event-row]")?.getAttribute("data-name") ===
          "ev-normal"
      );
      assert.deepEqual(await rowNames(), ["ev-normal", "ev-live", "ev-warning"]);
      assert.match(
        await page.locator("[data-testid=event-row][data-name=ev-normal]").innerText(),
        /\b5\b/,
      );
    });

    await t.step("warnings only", async () => {
      await page.getByRole("link", { name: /Warnings only/ }).click();
      await page.waitForFunction(() =>
        document.querySelectorAll("[data-testid=event-row]").length === 2
      );
      assert.deepEqual(await rowNames(), ["ev-live", "ev-warning"]);
      assert.match(page.url(), /type=Warning/);
      // The filtered address works on its own (server-rendered).
      await page.reload();
      await hydrated(page);
      assert.deepEqual(await rowNames(), ["ev-live", "ev-warning"]);
      await page.getByRole("link", { name: "All", exact: true }).click();
      await page.waitForFunction(() =>
        document.querySelectorAll("[data-testid=event-row]").length === 3
      );
    });

    await t.step("namespace scope: all namespaces, then B through the picker", async () => {
      await page.goto(`${base}/clusters/${id}/events`);
      await hydrated(page);
      const names = await rowNames();
      for (const n of ["ev-normal", "ev-live", "ev-warning", "ev-other"]) {
        assert.ok(names.includes(n), `${n} in all namespaces`);
      }
      assert.ok(names.indexOf("ev-live") < names.indexOf("ev-other"), "newest first");
      await page.selectOption("#ns-picker", nsB);
      await page.waitForURL((u) => u.searchParams.get("ns") === nsB);
      await hydrated(page);
      assert.deepEqual(await rowNames(), ["ev-other"]);
      // B has no warnings: the empty state.
      await page.getByRole("link", { name: /Warnings only/ }).click();
      await page.getByRole("heading", { name: "No warnings" }).waitFor();
      assert.equal(await page.locator("[data-testid=event-row]").count(), 0);
    });

    await t.step("the involved object's link opens its page", async () => {
      await page.goto(`${base}/clusters/${id}/events?ns=${nsA}`);
      await hydrated(page);
      await page.locator("[data-testid=event-row][data-name=ev-warning]").waitFor();
      await page.screenshot({ path: "web/e2e/screenshots/events.png", fullPage: true });
      await page.locator(
        "[data-testid=event-row][data-name=ev-warning] [data-testid=event-object]",
      )
        .click();
      await page.waitForURL((u) => u.pathname === `/clusters/${id}/r/core/v1/configmaps/${nsA}/cm`);
      await hydrated(page);
      assert.match(await page.locator("h1").innerText(), /cm/);
    });

    await t.step("a credential without list on events: the cluster's message", async () => {
      const role = await kubeRequest(
        cp,
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRole",
          metadata: { name: "events-e2e-no-events" },
          rules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list"] }],
        },
      );
      assert([201, 409].includes(role.status), `ClusterRole: ${role.status}`);
      const r = await restCall(base, "POST", "/api/clusters", admin, {
        name: "no-events",
        kubeconfig: await Deno.readTextFile(
          await serviceAccountKubeconfig(cp, "events-e2e-none", "events-e2e-no-events"),
        ),
      });
      assert.equal(r.status, 201, r.text);
      const noId = (r.json as { id: string }).id;
      const res = await page.goto(`${base}/clusters/${noId}/events`);
      assert.equal(res?.status(), 200);
      await hydrated(page);
      const alert = page.getByRole("alert");
      await alert.waitFor();
      assert.match(await alert.innerText(), /cannot list resource "events"/);
      await page.locator("[data-testid=events-state][data-state=stopped]").waitFor();
    });

    assert.deepEqual(s.problems, []);
  }),
});
