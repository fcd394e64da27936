// Every registered route is classified, and every admin route is proven admin-only. The list of
// routes comes from the app a real test dashboard serves (Hono's inspectRoutes); a
// route missing from ACCESS below, or listed there but no longer registered, fails the test, so a
// new route cannot be forgotten. Each class is then checked with real requests: admin routes
// refuse viewer and editor sessions and their plain API tokens with 403 and let an admin through;
// any-user routes need a credential but no role; public routes need nothing; pages redirect to
// the login page; the Kubernetes proxy lets viewers read only.
import assert from "node:assert/strict";
import { startTestDashboard } from "../../testing/harness.ts";
import { registeredRoutes } from "../../testing/routes.ts";
import { ROOT } from "../../testing/harness.ts";

type Access =
  /** No credentials needed. */
  | "public"
  /** Any signed-in user (401 without credentials, never 403 for lack of role). */
  | "any-user"
  /** Admins only: viewers and editors (sessions and API tokens) get 403. */
  | "admin"
  /** The Kubernetes proxy: viewers GET/HEAD only, editors and admins every method. */
  | "k8s-proxy"
  /** Web pages: a session cookie, else a redirect to /login. */
  | "page"
  /** Admin pages: a redirect to /login without a session, the 403 page for non-admins. */
  | "admin-page";

/** Every route the app registers, "METHOD /path" as Hono lists it. */
const ACCESS: Record<string, Access> = {
  "GET /healthz": "public",
  "GET /readyz": "public",
  "GET /metrics": "public",
  "POST /api/auth/login": "public",
  "GET /api/agents/install.sh": "public",
  "GET /api/agents/charts/:file": "public",
  // The API reference: the OpenAPI document and its HTML page (backend/http/openapi/).
  "GET /api/openapi.json": "public",
  "GET /api/docs": "public",
  "GET /login": "public",
  "POST /login": "public",
  // Single sign-on's pages (web/routes/sso.tsx): without OIDC_ISSUER_URL, one 404 page for both.
  "GET /auth/oidc/*": "public",
  "GET /static/*": "public",
  "HEAD /static/*": "public",

  "POST /api/auth/logout": "any-user",
  "GET /api/auth/me": "any-user",
  // A session of any user (an API token gets 403: checked in auth_rest_test.ts).
  "POST /api/auth/password": "any-user",
  "GET /api/tokens": "any-user",
  "POST /api/tokens": "any-user",
  "DELETE /api/tokens/:id": "any-user",
  "GET /api/clusters": "any-user",
  "GET /api/clusters/:id": "any-user",
  "GET /api/clusters/events": "any-user",
  "GET /api/clusters/:id/kubeconfig": "any-user",
  // Search across the clusters the caller holds a role on (backend/search/).
  "GET /api/search": "any-user",
  // The JSON 404 for unknown /api paths (behind authentication).
  "ALL /api/*": "any-user",

  "ALL /api/clusters/:id/k8s/*": "k8s-proxy",

  "POST /api/clusters": "admin",
  // Admin only like the uploads it serves: the kubeconfig reader is attack surface.
  "POST /api/clusters/kubeconfig-contexts": "admin",
  "PATCH /api/clusters/:id": "admin",
  "DELETE /api/clusters/:id": "admin",
  "GET /api/users": "admin",
  "POST /api/users": "admin",
  "PATCH /api/users/:id": "admin",
  "DELETE /api/users/:id": "admin",
  "POST /api/clusters/agent-token": "admin",
  "GET /api/clusters/agent-token": "admin",
  "GET /api/clusters/agent-token/:id/install-command": "admin",
  "DELETE /api/clusters/agent-token/:id": "admin",
  "POST /api/clusters/:id/agent/rotate": "admin",
  "GET /api/role-bindings": "admin",
  "POST /api/role-bindings": "admin",
  "DELETE /api/role-bindings/:id": "admin",
  "GET /api/audit": "admin",
  "GET /api/audit/export": "admin",

  "GET /": "page",
  "GET /clusters": "page",
  "GET /clusters/:id": "page",
  "GET /clusters/:id/r": "page",
  "GET /clusters/:id/r/:group/:version/:resource": "page",
  "GET /clusters/:id/r/:group/:version/:resource/:ns/:name": "page",
  "GET /clusters/:id/events": "page",
  "GET /clusters/:id/apply": "page",
  "GET /account/tokens": "page",
  "GET /account/password": "page",
  "GET /admin/users": "admin-page",
  "GET /admin/audit": "admin-page",
  "GET /*": "page",
};

const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

/** A concrete path for a route pattern (unknown ids: admin calls answer 404, change nothing). */
function concrete(pattern: string): string {
  const path = pattern
    .replace(/:id\b/g, UNKNOWN_ID)
    .replace(":file", "dashboard-agent-0.0.0.tgz")
    .replace(":group", "core").replace(":version", "v1").replace(":resource", "pods")
    .replace(":ns", "default").replace(":name", "x");
  if (pattern === "/api/*") return "/api/no-such-endpoint";
  if (pattern === "/*") return "/no-such-page";
  if (pattern.endsWith("/k8s/*")) return path.replace(/\*$/, "api/v1/namespaces");
  return path.replace(/\*$/, "app.js");
}

/** Paths of handlers whose code asks for the admin role, read from the route modules' source. */
async function adminRoutesInSource(): Promise<string[]> {
  const found: string[] = [];
  for (
    const file of [
      "backend/auth/handlers.ts",
      "backend/cluster/handlers.ts",
      "backend/agents/routes.ts",
      "backend/cluster/role_binding_routes.ts",
      "backend/audit/routes.ts",
    ]
  ) {
    const src = await Deno.readTextFile(`${ROOT}${file}`);
    const starts = [...src.matchAll(/\bapp\.(get|post|put|patch|delete)\(\s*"([^"]+)"/g)];
    for (const [i, m] of starts.entries()) {
      const body = src.slice(m.index, starts[i + 1]?.index ?? src.length);
      if (/assertRole\(.*"admin"\)/.test(body)) found.push(`${m[1].toUpperCase()} /api${m[2]}`);
    }
  }
  return found.sort();
}

Deno.test({
  name: "every route is classified, and admin routes are admin-only",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dash = await startTestDashboard({});
    try {
      const app = dash.d.app;
      const routes = registeredRoutes(app);

      await t.step("every registered route is in the ACCESS table and vice versa", () => {
        const missing = routes.filter((r) => !(r in ACCESS));
        assert.deepEqual(
          missing,
          [],
          `classify these routes in ACCESS (public / any-user / admin / k8s-proxy / page) and check them`,
        );
        const stale = Object.keys(ACCESS).filter((r) => !routes.includes(r));
        assert.deepEqual(stale, [], "these ACCESS entries are no longer registered: remove them");
      });

      await t.step("handlers that call assertRole(…, 'admin') are classified admin", async () => {
        const inSource = await adminRoutesInSource();
        assert.ok(inSource.length >= 12, `found only ${inSource.length}`);
        for (const r of inSource) assert.equal(ACCESS[r], "admin", `${r} asks for admin`);
      });

      // Credentials: sessions (sent as bearer, so no CSRF rule applies) and plain API tokens.
      const auth = dash.d.auth;
      const creds: Record<string, string> = {};
      for (const role of ["viewer", "editor"] as const) {
        const u = await auth.createUser(`authz-${role}`, `${role}-password-1234`, role);
        creds[`${role} session`] = (await auth.login(u.username, `${role}-password-1234`))!.token;
        creds[`${role} API token`] = (await auth.createApiToken(u.id, "plain")).token;
      }
      const adminToken = dash.adminToken;
      const call = async (route: string, token?: string, cookie?: string) => {
        const [method, pattern] = route.split(" ");
        const m = method === "ALL" ? (pattern.endsWith("/k8s/*") ? "POST" : "GET") : method;
        const write = !["GET", "HEAD"].includes(m);
        const res = await app.request(concrete(pattern), {
          method: m,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(cookie ? { cookie: `kd_session=${cookie}`, "sec-fetch-site": "same-origin" } : {}),
            ...(write ? { "content-type": "application/json" } : {}),
          },
          body: write ? "{}" : undefined,
        });
        const text = m === "GET" && pattern === "/api/clusters/events"
          ? (await res.body?.cancel(), "")
          : await res.text();
        return { status: res.status, text, location: res.headers.get("location") };
      };

      for (const route of routes.filter((r) => ACCESS[r] === "admin")) {
        await t.step(`admin only: ${route}`, async () => {
          assert.equal((await call(route)).status, 401, "no credentials");
          for (const [who, token] of Object.entries(creds)) {
            const r = await call(route, token);
            assert.equal(r.status, 403, `${who}: ${r.status} ${r.text}`);
            assert.match(r.text, /"forbidden"/, `${who}`);
            assert.match(r.text, /needs the admin role/, `${who}`);
          }
          const r = await call(route, adminToken);
          assert.ok(![401, 403].includes(r.status), `admin refused: ${r.status} ${r.text}`);
        });
      }

      const logoutSession = (await auth.login("authz-viewer", "viewer-password-1234"))!.token;
      for (const route of routes.filter((r) => ACCESS[r] === "any-user")) {
        await t.step(`any signed-in user: ${route}`, async () => {
          assert.equal((await call(route)).status, 401, "no credentials");
          const token = route === "POST /api/auth/logout" ? logoutSession : creds["viewer session"];
          const r = await call(route, token);
          assert.ok(
            ![401, 403].includes(r.status),
            `viewer session refused: ${r.status} ${r.text}`,
          );
        });
      }

      for (const route of routes.filter((r) => ACCESS[r] === "public")) {
        await t.step(`public: ${route}`, async () => {
          const r = await call(route);
          assert.ok(![401, 403].includes(r.status), `refused without credentials: ${r.status}`);
          assert.ok(!r.location?.startsWith("/login?next="), "not sent to sign in");
        });
      }

      for (const route of routes.filter((r) => ACCESS[r] === "page")) {
        await t.step(`page: ${route}`, async () => {
          const anon = await call(route);
          assert.equal(anon.status, 303, "redirected without a session");
          assert.match(anon.location ?? "", /^\/login\?next=/);
          const r = await call(route, undefined, creds["viewer session"]);
          assert.ok(![401, 403].includes(r.status), `viewer refused: ${r.status}`);
          assert.ok(!r.location?.startsWith("/login"), "a session is enough");
        });
      }

      for (const route of routes.filter((r) => ACCESS[r] === "admin-page")) {
        await t.step(`admin page: ${route}`, async () => {
          const anon = await call(route);
          assert.equal(anon.status, 303, "redirected without a session");
          assert.match(anon.location ?? "", /^\/login\?next=/);
          for (const who of ["viewer session", "editor session"]) {
            const r = await call(route, undefined, creds[who]);
            assert.equal(r.status, 403, `${who}: ${r.status}`);
            assert.match(r.text, /admin/, `${who}: the page says why`);
          }
          const r = await call(route, undefined, adminToken);
          assert.equal(r.status, 200, `admin: ${r.status}`);
        });
      }

      for (const route of routes.filter((r) => ACCESS[r] === "k8s-proxy")) {
        await t.step(`Kubernetes proxy: ${route}`, async () => {
          // A cluster that exists (an agent cluster with no agent: reads answer 503), so the role
          // check is reached: an unknown cluster is a 404 for everyone.
          const id = crypto.randomUUID();
          await dash.d.db.query(
            `INSERT INTO clusters (id, name, connection_type, agent_id, status)
             VALUES ($1, 'authz-proxy', 'agent', $2, 'offline')`,
            [id, `agent-${id}`],
          );
          const path = concrete(route.split(" ")[1]).replace(UNKNOWN_ID, id);
          const send = async (method: string, token?: string) => {
            const res = await app.request(path, {
              method,
              headers: token ? { authorization: `Bearer ${token}` } : {},
            });
            return { status: res.status, text: await res.text() };
          };
          assert.equal((await send("GET")).status, 401, "no credentials");
          const read = await send("GET", creds["viewer API token"]);
          assert.notEqual(read.status, 403, `viewers may read: ${read.text}`);
          for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
            for (const who of ["viewer session", "viewer API token"]) {
              const r = await send(method, creds[who]);
              assert.equal(r.status, 403, `${who} ${method}: ${r.status} ${r.text}`);
            }
            for (const token of [creds["editor API token"], adminToken]) {
              const r = await send(method, token);
              assert.notEqual(r.status, 403, `${method} by editor/admin: ${r.text}`);
            }
          }
        });
      }
    } finally {
      await dash.stop();
    }
  },
});
