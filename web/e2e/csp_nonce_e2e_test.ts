// End-to-end, in a real browser (headless Chromium via playwright-core): the dashboard's CSP admits
// only the scripts and stylesheet its pages render with the response's nonce, never another URL of
// its own origin. A hostile cluster (a fake API server added as a kubeconfig cluster) serves
// JavaScript and CSS that the Kubernetes proxy passes on under the dashboard's origin; HTML
// injected into a dashboard page (into the served markup, or an `<iframe srcdoc>` through
// innerHTML) that loads them must neither run the script nor apply the stylesheet, while every
// page still hydrates with no CSP violation of its own. Each response carries a fresh nonce, and
// every <script> and stylesheet in it carries that nonce.
//
// Needs /usr/bin/chromium (Debian package); no Kubernetes control plane.
import assert from "node:assert/strict";
import {
  addKubeconfigCluster,
  hydrated,
  signIn,
  watchCsp,
  withDashboardAndBrowser,
} from "./harness.ts";
import { startFakeApiServer } from "../../testing/fake_apiserver.ts";

const ADMIN_PASSWORD = "csp-nonce-admin-password";
const TIMEOUT = 20_000;

/** What the hostile script does when it runs: marks the top window and renames the page. */
const EVIL_JS = `(function () {
  var top = window.top || window;
  top.__evilRuns = (top.__evilRuns || 0) + 1;
  top.document.title = "pwned";
})();`;
/** The hostile stylesheet: a border no dashboard page has. */
const EVIL_CSS = `body { border-top: 7px solid rgb(1, 2, 3) !important; }`;

/** The script-src nonce of a CSP header (asserting the directive is nonce + strict-dynamic only). */
function scriptNonce(csp: string | undefined): string {
  const m = /(?:^|;\s*)script-src ([^;]*)/.exec(csp ?? "");
  assert(m, `no script-src in ${csp}`);
  const nm = /^'nonce-([A-Za-z0-9+/=]+)' 'strict-dynamic'$/.exec(m[1].trim());
  assert(nm, `script-src is ${m[1]}`);
  const style = /(?:^|;\s*)style-src ([^;]*)/.exec(csp ?? "");
  assert.equal(style?.[1].trim(), `'nonce-${nm[1]}'`, "style-src admits the same nonce only");
  return nm[1];
}

Deno.test({
  name: "CSP: only the page's nonce'd scripts run; proxied scripts and styles never do",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    let clusterId = "";
    const k8s = () => `/api/clusters/${clusterId}/k8s`;
    const fake = await startFakeApiServer((_req, url) => {
      if (url.pathname === "/api/evil.js") {
        return new Response(EVIL_JS, { headers: { "content-type": "application/javascript" } });
      }
      if (url.pathname === "/api/evil.css") {
        return new Response(EVIL_CSS, { headers: { "content-type": "text/css" } });
      }
      return null;
    });
    try {
      await withDashboardAndBrowser(ADMIN_PASSWORD, async (dash, browser) => {
        const base = dash.url;
        const context = await browser.newContext();
        context.setDefaultTimeout(TIMEOUT);
        const violations: string[] = [];
        await watchCsp(context, violations);
        const page = await context.newPage();
        const pageErrors: string[] = [];
        page.on("pageerror", (err) => pageErrors.push(err.message));

        await t.step("sign in through the login page", async () => {
          await page.goto(`${base}/login?next=/clusters`);
          await signIn(page, "admin", ADMIN_PASSWORD);
          clusterId = await addKubeconfigCluster(context, base, ADMIN_PASSWORD, {
            name: "hostile",
            kubeconfig: fake.kubeconfig,
          });
        });

        await t.step(
          "the proxy serves the cluster's script and stylesheet on our origin",
          async () => {
            // The attack is real: a same-origin URL answers usable JavaScript and CSS (nosniff
            // passes them, the sandbox header and attachment do not apply to subresources).
            const js = await context.request.get(`${base}${k8s()}/api/evil.js`);
            assert.equal(js.status(), 200);
            assert.match(js.headers()["content-type"], /^application\/javascript/);
            assert.equal(await js.text(), EVIL_JS);
            const css = await context.request.get(`${base}${k8s()}/api/evil.css`);
            assert.equal(css.status(), 200);
            assert.match(css.headers()["content-type"], /^text\/css/);
          },
        );

        await t.step(
          "every response has a fresh nonce, on every script and stylesheet",
          async () => {
            const cookie = (await context.cookies(base)).map((c) => `${c.name}=${c.value}`).join(
              "; ",
            );
            const nonces: string[] = [];
            for (const path of ["/login", "/login", "/clusters", "/clusters", "/account/tokens"]) {
              // The login page signed out (signed in, it redirects), the others signed in.
              const res = await fetch(`${base}${path}`, {
                headers: path === "/login" ? {} : { cookie },
                redirect: "manual",
              });
              assert.equal(res.status, 200, path);
              const body = await res.text();
              const nonce = scriptNonce(res.headers.get("content-security-policy") ?? undefined);
              nonces.push(nonce);
              const tags = body.match(/<script\b[^>]*>|<link\b[^>]*rel="stylesheet"[^>]*>/g) ?? [];
              assert(tags.length >= 3, `${path}: stylesheet, theme, islands and data: ${tags}`);
              for (const tag of tags) assert(tag.includes(` nonce="${nonce}"`), `${path}: ${tag}`);
            }
            assert.equal(new Set(nonces).size, nonces.length, `nonces repeat: ${nonces.join(" ")}`);
          },
        );

        const pages = () => [
          "/clusters",
          `/clusters/${clusterId}`,
          `/clusters/${clusterId}/r`,
          `/clusters/${clusterId}/r/core/v1/namespaces`,
          "/account/tokens",
        ];
        await t.step("every page hydrates with no CSP violation", async () => {
          for (const path of pages()) {
            await page.goto(`${base}${path}`);
            await hydrated(page);
          }
          await page.context().clearCookies();
          await page.goto(`${base}/login`);
          await hydrated(page);
          assert.deepEqual(violations, []);
          assert.deepEqual(pageErrors, []);
          const again = await context.request.post(`${base}/api/auth/login`, {
            data: { username: "admin", password: ADMIN_PASSWORD },
          });
          assert.equal(again.status(), 200);
        });

        await t.step("HTML injected into a dashboard page cannot load proxied code", async () => {
          const injected = `<script src="${k8s()}/api/evil.js"></script>` +
            `<link rel="stylesheet" href="${k8s()}/api/evil.css">`;
          // Markup in the page as served (the dashboard's own headers, CSP included, kept).
          await page.route(`${base}/clusters`, async (route) => {
            const res = await route.fetch();
            const body = (await res.text()).replace("</body>", `${injected}</body>`);
            await route.fulfill({ response: res, body });
          });
          await page.goto(`${base}/clusters`);
          await hydrated(page); // the page's own nonce'd module still runs
          await page.unroute(`${base}/clusters`);
          // Markup added to the live page (innerHTML runs no script, but an iframe's srcdoc is
          // parsed as a same-origin document under the page's policy).
          await page.evaluate((html) => {
            const div = document.createElement("div");
            div.innerHTML = `<iframe id="evil-frame" srcdoc="${html.replaceAll('"', "&quot;")}">` +
              `</iframe>`;
            document.body.append(div);
          }, injected);
          await page.locator("#evil-frame").waitFor({ state: "attached" });
          const frame = page.frameLocator("#evil-frame");
          await frame.locator("script").waitFor({ state: "attached" });
          await page.waitForTimeout(1000);

          const state = await page.evaluate(() => ({
            runs: (window as unknown as { __evilRuns?: number }).__evilRuns ?? 0,
            title: document.title,
            border: getComputedStyle(document.body).borderTopWidth,
          }));
          assert.deepEqual(
            { runs: state.runs, pwned: state.title === "pwned", border: state.border },
            { runs: 0, pwned: false, border: "0px" },
            "the proxied script ran or the proxied stylesheet applied",
          );
          const blocked = violations.filter((v) => v.startsWith("CSP violation:"));
          assert(
            blocked.some((v) =>
              /^CSP violation: script-src-elem blocked .*\/api\/evil\.js/.test(v)
            ),
            `the script was refused by the policy: ${violations.join("\n")}`,
          );
          assert(
            blocked.some((v) =>
              /^CSP violation: style-src-elem blocked .*\/api\/evil\.css/.test(v)
            ),
            `the stylesheet was refused by the policy: ${violations.join("\n")}`,
          );
          assert(
            blocked.every((v) => /\/api\/evil\.(js|css) on /.test(v)),
            `only the attacks were refused: ${blocked.join("\n")}`,
          );
          assert.deepEqual(
            fake.seenByTests().filter((s) => s.path.startsWith("/api/evil")).map((s) => s.path),
            ["/api/evil.js", "/api/evil.css"],
            "the browser never even fetched them (only the direct requests above did)",
          );
        });
        await context.close();
      });
    } finally {
      await fake.stop();
    }
  },
});
