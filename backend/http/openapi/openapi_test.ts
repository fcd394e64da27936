// The OpenAPI document against the real app: every /api route the app registers is described and
// every description names a registered route; the served document is valid OpenAPI 3.1; the HTML
// reference is served without credentials and works under the app's CSP; and the answer check
// the REST tests run (testing/api_contract.ts) catches a body or status that drifts.
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { startTestDashboard } from "../../../testing/harness.ts";
import { registeredRoutes } from "../../../testing/routes.ts";
import { contractViolation } from "../../../testing/api_contract.ts";
import { API_ROUTES } from "./registry.ts";
import { apiDocument } from "./routes.ts";

/** A Hono route in OpenAPI form: /api/users/:id -> /api/users/{id}, a trailing * -> {path}. */
const openApiForm = (route: string) =>
  route.replace(/:([A-Za-z]+)/g, "{$1}").replace(/\/\*$/, "/{path}");

Deno.test({
  name: "the OpenAPI document describes exactly the app's /api routes, validly",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dash = await startTestDashboard({});
    try {
      await t.step("every registered /api route is described, and nothing else", () => {
        const registered = registeredRoutes(dash.d.app)
          .filter((r) => r.split(" ")[1].startsWith("/api/"))
          // The JSON 404 for unknown paths, not an endpoint.
          .filter((r) => r !== "ALL /api/*")
          .map(openApiForm);
        const described = API_ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
        const missing = registered.filter((r) => !described.includes(r));
        assert.deepEqual(
          missing,
          [],
          "describe these routes in the api_doc.ts beside their handlers (listed in " +
            "backend/http/openapi/registry.ts)",
        );
        const stale = described.filter((r) => !registered.includes(r));
        assert.deepEqual(stale, [], "these descriptions name no registered route: remove them");
        assert.ok(registered.includes("ALL /api/clusters/{id}/k8s/{path}"), "the proxy, once");
      });

      const res = await dash.fetch("/api/openapi.json");
      assert.equal(res.status, 200, "public: no credentials needed");
      const served = await res.json();

      await t.step("the served document is the generated one", () => {
        assert.deepEqual(served, JSON.parse(JSON.stringify(apiDocument())));
      });

      await t.step("it validates as OpenAPI 3.1", async () => {
        const validator = new Validator();
        const result = await validator.validate(served);
        assert.equal(validator.version, "3.1");
        assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
        // The validator does catch a broken document (a parameter in the wrong place).
        const broken = structuredClone(served);
        broken.paths["/api/users/{id}"].patch.parameters[0].in = "body";
        assert.equal((await new Validator().validate(broken)).valid, false);
      });

      await t.step("request schemas are the handlers' own", () => {
        const login = served.components.schemas.LoginRequest;
        assert.deepEqual(Object.keys(login.properties), ["username", "password"]);
        assert.equal(login.additionalProperties, false, "strict, like parseJson");
        const audit = served.paths["/api/audit"].get.parameters.map((p: { name: string }) =>
          p.name
        );
        assert.deepEqual(audit, [
          "user",
          "cluster",
          "verb",
          "status",
          "since",
          "until",
          "before",
          "limit",
        ]);
        const admin = served.paths["/api/users"].get;
        assert.equal(admin["x-min-role"], "admin");
        assert.ok(admin.responses["403"] && admin.responses["401"]);
        assert.deepEqual(served.paths["/api/auth/login"].post.security, []);
      });

      await t.step("the HTML reference is public and works under the CSP", async () => {
        const page = await dash.fetch("/api/docs");
        const html = await page.text();
        assert.equal(page.status, 200);
        assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
        const csp = page.headers.get("content-security-policy") ?? "";
        const nonce = csp.match(/'nonce-([^']+)'/)?.[1];
        assert.ok(nonce, csp);
        assert.ok(html.includes(`<style nonce="${nonce}">`), "the one style carries the nonce");
        assert.doesNotMatch(html, /<script|<link|src=|https?:\/\/(?!json-schema\.org)/);
        for (const r of API_ROUTES) {
          assert.ok(html.includes(`<code>${r.path.replaceAll("<", "&#60;")}</code>`), r.path);
        }
        assert.match(html, /id="schema-UserRecord"/);
      });
    } finally {
      await dash.stop();
    }
  },
});

Deno.test("the answer check catches a body or a status its route does not describe", () => {
  const me = {
    id: "6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f",
    username: "ann",
    role: "viewer",
    groups: [],
    source: "local",
    created_at: "2025-01-31T12:00:00.000Z",
  };
  const answer = (json: unknown, status = 200, path = "/api/auth/me") => ({
    method: "GET",
    path,
    status,
    contentType: "application/json",
    text: JSON.stringify(json),
    json,
  });
  assert.equal(contractViolation(answer(me)), null);
  assert.match(contractViolation(answer({ ...me, role: "root" })) ?? "", /role/);
  assert.match(
    contractViolation(answer({ ...me, password_hash: "x" })) ?? "",
    /password_hash/,
    "a field the description does not name",
  );
  assert.match(contractViolation(answer(me, 409)) ?? "", /not among those described/);
  assert.equal(contractViolation(answer({ error: { code: "x", message: "y" } }, 401)), null);
  assert.match(contractViolation(answer({ message: "y" }, 401)) ?? "", /error/);
  assert.equal(
    contractViolation(answer({ error: { code: "not_found", message: "n" } }, 404, "/api/nope")),
    null,
    "the JSON 404 of an unknown endpoint",
  );
  assert.match(contractViolation(answer({}, 200, "/api/nope")) ?? "", /no route description/);
  // Fixed paths win over parameters: /api/clusters/events is not /api/clusters/{id}.
  assert.match(
    contractViolation(answer({ items: [] }, 200, "/api/clusters/events")) ?? "",
    /event-stream/,
  );
});
