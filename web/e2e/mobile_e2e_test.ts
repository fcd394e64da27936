// End-to-end test of the phone layout (390×844) in headless Chromium, against a real dashboard
// and a real control plane (tools/testenv/): the sidebar is hidden and the header's menu button
// (islands/MobileNav.tsx) opens it as a drawer: focus moves into it, the page behind does not
// scroll, Esc and a backdrop click close it with focus back on the button, and a drawer link
// leads to another page of the cluster; the header's search stays usable; the account menu
// reaches Change password and Log out; the cluster list, a pods table, a pod's page and the Events
// page have no horizontal page overflow (their wide tables scroll inside their card); and at
// 1280×800 the menu button is hidden and the sidebar shown. Screenshot:
// web/e2e/screenshots/mobile-drawer.png.
// Needs: /usr/bin/chromium and the kube tools (tools/kube/build.sh).
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { createRunningPod } from "../../tools/testenv/mod.ts";
import { hydrated, loginToken, restCall, signInSession, webSceneTest } from "./harness.ts";

const ADMIN_PASSWORD = "mobile-e2e-admin-password";
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const NS = "mobile-e2e";
/** Long enough that the pod's page has unbreakable text wider than a phone. */
const POD = "web-frontend-with-a-rather-long-name-7d9f8b6c5d-x2x4z";

/** The page's horizontal extent against the viewport's width. */
function pageWidth(page: Page): Promise<{ scrollWidth: number; viewport: number }> {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    viewport: globalThis.innerWidth,
  }));
}

async function assertNoPageOverflow(page: Page, what: string): Promise<void> {
  const { scrollWidth, viewport } = await pageWidth(page);
  assert.equal(viewport, PHONE.width, "the phone viewport");
  assert.ok(
    scrollWidth <= viewport,
    `${what}: the page is ${scrollWidth}px wide, more than the ${viewport}px viewport`,
  );
}

/** Whether the element of `selector` is wider than its box (its content scrolls inside it). */
function scrollsInside(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).first().evaluate((el) => el.scrollWidth > el.clientWidth);
}

/** The element that has focus: its aria-label, else its text. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "(nothing)";
    return el.getAttribute("aria-label") ?? el.textContent?.trim() ?? "";
  });
}

Deno.test({
  name: "Phone layout: navigation drawer, account menu, no horizontal overflow; desktop unchanged",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: webSceneTest(ADMIN_PASSWORD, async (t, { cp, base, session }) => {
    await createRunningPod(cp, NS, POD, { containers: ["app", "sidecar-proxy"] });
    const admin = await loginToken(base, "admin", ADMIN_PASSWORD);
    const added = await restCall(base, "POST", "/api/clusters", admin, {
      name: "mobile",
      kubeconfig: await Deno.readTextFile(cp.kubeconfigPath),
    });
    assert.equal(added.status, 201, added.text);
    const id = (added.json as { id: string }).id;

    const s = await session();
    const page = s.page;
    await page.setViewportSize(PHONE);
    await signInSession(s, base, "admin", ADMIN_PASSWORD);

    const menuButton = page.getByRole("button", { name: "Open navigation" });
    const mainNav = page.getByRole("navigation", { name: "Main" });
    const sidebar = page.locator("#sidebar");
    const pageOverflow = () =>
      page.evaluate(() => getComputedStyle(document.documentElement).overflow);
    const assertClosed = async () => {
      await mainNav.waitFor({ state: "hidden" });
      assert.equal(await menuButton.getAttribute("aria-expanded"), "false");
      assert.notEqual(await pageOverflow(), "hidden", "the page scrolls again");
    };
    const open = async () => {
      await menuButton.click();
      await mainNav.waitFor({ state: "visible" });
      assert.equal(await menuButton.getAttribute("aria-expanded"), "true");
    };

    await t.step("the sidebar is hidden; the menu button shows", async () => {
      await page.goto(`${base}/clusters/${id}`);
      await hydrated(page);
      assert.equal(await sidebar.isVisible(), false, "no sidebar at phone width");
      assert.equal(await mainNav.isVisible(), false);
      assert.ok(await menuButton.isVisible(), "the menu button is in the header");
      assert.equal(await menuButton.getAttribute("aria-expanded"), "false");
      assert.equal(await menuButton.getAttribute("aria-controls"), "sidebar");
      // The header's other pieces are still there, inside the viewport.
      for (
        const el of [
          page.getByTestId("search-button"),
          page.getByRole("button", { name: "admin" }),
        ]
      ) {
        assert.ok(await el.isVisible());
        const box = (await el.boundingBox())!;
        assert.ok(
          box.x >= 0 && box.x + box.width <= PHONE.width,
          `in view: ${JSON.stringify(box)}`,
        );
      }
    });

    await t.step(
      "the drawer opens with focus in it; the page behind does not scroll",
      async () => {
        await open();
        const box = (await sidebar.boundingBox())!;
        assert.equal(box.x, 0, "the drawer is at the left edge");
        assert.ok(box.width < PHONE.width, "the drawer leaves the backdrop visible beside it");
        assert.ok(
          await page.evaluate(() =>
            document.getElementById("sidebar")!.contains(document.activeElement)
          ),
          "focus moved into the drawer",
        );
        assert.equal(await focused(page), "Overview", "the current page's link has focus");
        assert.equal(await pageOverflow(), "hidden", "the page behind does not scroll");
        assert.ok(await page.locator("#sidebar-backdrop").isVisible());
        await page.screenshot({ path: "web/e2e/screenshots/mobile-drawer.png" });
      },
    );

    await t.step("Esc closes it and focus returns to the button", async () => {
      await page.keyboard.press("Escape");
      await assertClosed();
      assert.equal(await focused(page), "Open navigation");
    });

    await t.step("a backdrop click and the close button close it too", async () => {
      await open();
      await page.mouse.click(PHONE.width - 20, PHONE.height / 2);
      await assertClosed();
      assert.equal(await focused(page), "Open navigation");
      await open();
      await page.getByRole("button", { name: "Close navigation" }).click();
      await assertClosed();
      assert.equal(await focused(page), "Open navigation");
    });

    await t.step("a drawer link leads to another page of the cluster", async () => {
      await open();
      await mainNav.getByRole("link", { name: "Pods" }).click();
      await page.waitForURL((u) => u.pathname === `/clusters/${id}/r/core/v1/pods`);
      await hydrated(page);
      await assertClosed();
      await open();
      assert.equal(
        await mainNav.getByRole("link", { name: "Pods" }).getAttribute("aria-current"),
        "page",
      );
      assert.equal(await focused(page), "Pods");
      await page.keyboard.press("Escape");
      await assertClosed();
    });

    await t.step("the header's search opens and closes", async () => {
      await page.getByTestId("search-button").click();
      await page.getByTestId("search-palette").waitFor({ state: "visible" });
      await page.keyboard.press("Escape");
      await page.getByTestId("search-palette").waitFor({ state: "hidden" });
      // Ctrl+K with the drawer open: the drawer gives way to a usable palette.
      await open();
      await page.keyboard.press("Control+k");
      await page.getByTestId("search-palette").waitFor({ state: "visible" });
      await assertClosed();
      await page.keyboard.type("hello");
      assert.equal(
        await page.getByTestId("search-palette").locator("input").inputValue(),
        "hello",
        "the palette's input has focus",
      );
      await page.keyboard.press("Escape");
      await page.getByTestId("search-palette").waitFor({ state: "hidden" });
    });

    await t.step("no horizontal page overflow: clusters, pods, a pod, events", async () => {
      await page.goto(`${base}/clusters`);
      await hydrated(page);
      await page.getByTestId("cluster-table").waitFor();
      assert.ok(
        await scrollsInside(page, ":has(> [data-testid=cluster-table])"),
        "the cluster table is wider than a phone and scrolls inside its card",
      );
      await assertNoPageOverflow(page, "cluster list");

      await page.goto(`${base}/clusters/${id}/r/core/v1/pods?ns=${NS}`);
      await hydrated(page);
      await page.getByRole("link", { name: POD, exact: true }).waitFor();
      assert.ok(
        await scrollsInside(page, ":has(> table)"),
        "the pods table is wider than a phone and scrolls inside its card",
      );
      await assertNoPageOverflow(page, "pods table");

      await page.goto(`${base}/clusters/${id}/r/core/v1/pods/${NS}/${POD}`);
      await hydrated(page);
      await page.getByRole("heading", { name: "Containers" }).waitFor();
      await assertNoPageOverflow(page, "pod page");

      await page.goto(`${base}/clusters/${id}/events`);
      await hydrated(page);
      await assertNoPageOverflow(page, "events page");
    });

    await t.step("the account menu leads to Change password", async () => {
      await page.goto(`${base}/clusters/${id}`);
      await hydrated(page);
      await page.getByRole("button", { name: "admin" }).click();
      const item = page.getByRole("menu", { name: "Account" }).getByRole("menuitem", {
        name: "Change password",
      });
      await item.waitFor();
      const box = (await page.getByRole("menu", { name: "Account" }).boundingBox())!;
      assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, "the menu fits the screen");
      assert.ok(await page.getByRole("menuitem", { name: "Log out" }).isVisible());
      await item.click();
      await page.waitForURL((u) => u.pathname === "/account/password");
      await hydrated(page);
      assert.ok(await page.locator("#pw-current").isVisible(), "the password form");
      await assertNoPageOverflow(page, "password page");
    });

    await t.step("at 1280×800 the menu button is hidden and the sidebar shown", async () => {
      await page.setViewportSize(DESKTOP);
      await page.goto(`${base}/clusters/${id}`);
      await hydrated(page);
      assert.equal(await menuButton.isVisible(), false, "no menu button on a desktop");
      assert.ok(await sidebar.isVisible(), "the sidebar is part of the page");
      assert.ok(await mainNav.getByRole("link", { name: "Pods" }).isVisible());
      assert.ok(await page.getByTestId("current-user").isVisible(), "the name shows");
      assert.equal((await sidebar.boundingBox())!.x, 0);
      assert.equal(await page.locator("#sidebar-backdrop").isVisible(), false);
    });

    await t.step("a drawer left open closes when the window widens", async () => {
      await page.setViewportSize(PHONE);
      await open();
      await page.setViewportSize(DESKTOP);
      await page.waitForFunction(() =>
        !document.getElementById("sidebar")!.hasAttribute("data-open")
      );
      assert.equal(await page.locator("#sidebar-backdrop").isVisible(), false);
      assert.notEqual(await pageOverflow(), "hidden");
    });

    await t.step("Log out from the account menu at phone width", async () => {
      await page.setViewportSize(PHONE);
      await page.getByRole("button", { name: "admin" }).click();
      await page.getByRole("menuitem", { name: "Log out" }).click();
      await page.waitForURL((u) => u.pathname === "/login");
    });

    assert.deepEqual(s.problems, []);
  }),
});
