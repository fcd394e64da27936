// Bad input at the REST API: every case gets a clear 4xx and changes nothing (table-driven,
// against a real dashboard on PGlite).
import assert from "node:assert/strict";
import { startTestDashboard } from "../../testing/harness.ts";

const EXEC_KUBECONFIG = JSON.stringify({
  apiVersion: "v1",
  kind: "Config",
  clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
  users: [{ name: "u", user: { exec: { command: "touch", args: ["/tmp/pwned-by-kubeconfig"] } } }],
  contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
  "current-context": "x",
});

Deno.test({
  name: "bad input gets a clear 4xx and changes nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await startTestDashboard({});
    try {
      const snapshot = async () =>
        JSON.stringify(
          await t.d.db.query(
            "SELECT (SELECT count(*)::int FROM users) u, (SELECT count(*)::int FROM clusters) c, (SELECT count(*)::int FROM agent_tokens) a, (SELECT count(*)::int FROM api_tokens) k",
          ),
        );
      const before = await snapshot();
      const raw = (method: string, path: string, body: string, headers: Record<string, string>) =>
        t.fetch(path, { method, body, headers });
      /** A JSON request as the admin. */
      const asAdmin = (method: string, path: string, body: unknown) =>
        t.fetch(path, {
          method,
          headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
          body: JSON.stringify(body),
        });
      const cases: Array<
        { name: string; send: () => Promise<Response>; status: number; message: RegExp }
      > = [
        {
          name: "malformed JSON",
          send: () =>
            raw("POST", "/api/clusters", "{nope", {
              "content-type": "application/json",
              authorization: `Bearer ${t.adminToken}`,
            }),
          status: 400,
          message: /not valid JSON/,
        },
        {
          name: "not JSON at all",
          send: () =>
            raw("POST", "/api/clusters", "name=x", {
              "content-type": "text/plain",
              authorization: `Bearer ${t.adminToken}`,
            }),
          status: 415,
          message: /application\/json/,
        },
        {
          name: "unknown fields",
          send: () =>
            asAdmin("POST", "/api/users", {
              username: "bob",
              password: "long-enough-password",
              role: "viewer",
              admin: true,
            }),
          status: 400,
          message: /Unrecognized key|unrecognized/i,
        },
        {
          name: "oversized body",
          send: () =>
            raw(
              "POST",
              "/api/clusters",
              JSON.stringify({ name: "big", kubeconfig: "x".repeat(2 * 1024 * 1024) }),
              {
                "content-type": "application/json",
                authorization: `Bearer ${t.adminToken}`,
              },
            ),
          status: 413,
          message: /larger than/,
        },
        {
          name: "garbage kubeconfig",
          send: () =>
            asAdmin("POST", "/api/clusters", { name: "garbage", kubeconfig: "{{{{ not: [yaml" }),
          status: 400,
          message: /kubeconfig/,
        },
        {
          name: "exec-plugin kubeconfig",
          send: () =>
            asAdmin("POST", "/api/clusters", { name: "exec", kubeconfig: EXEC_KUBECONFIG }),
          status: 400,
          message: /never runs commands/,
        },
        {
          name: "SQL metacharacters in a cluster name",
          send: () =>
            asAdmin("POST", "/api/clusters/agent-token", {
              cluster_name: "x'; DROP TABLE clusters; --",
              permissions: "read-only",
            }),
          status: 400,
          message: /cluster_name/,
        },
        {
          name: "shell metacharacters in a cluster name",
          send: () =>
            asAdmin("POST", "/api/clusters/agent-token", {
              cluster_name: 'x"; touch /tmp/pwned; echo "',
              permissions: "read-only",
            }),
          status: 400,
          message: /cluster_name/,
        },
        {
          name: "missing token",
          send: () => t.fetch("/api/clusters"),
          status: 401,
          message: /log in first/,
        },
        {
          name: "forged token",
          send: () =>
            t.fetch("/api/clusters", {
              headers: { authorization: `Bearer kdt_${"A".repeat(43)}` },
            }),
          status: 401,
          message: /invalid or expired/,
        },
        {
          name: "a path id that is not a UUID",
          send: () =>
            t.fetch("/api/clusters/1%20OR%201=1", {
              headers: { authorization: `Bearer ${t.adminToken}` },
            }),
          status: 400,
          message: /must be a UUID/,
        },
        {
          name: "cookie-authenticated write from another site",
          send: () =>
            t.fetch("/api/tokens", {
              method: "POST",
              headers: {
                "content-type": "application/json",
                cookie: `kd_session=${t.adminToken}`,
                "sec-fetch-site": "cross-site",
              },
              body: JSON.stringify({ name: "csrf" }),
            }),
          status: 403,
          message: /cross-site request refused/,
        },
      ];
      for (const c of cases) {
        const res = await c.send();
        const text = await res.text();
        assert.equal(res.status, c.status, `${c.name}: ${text}`);
        assert.match(text, c.message, c.name);
      }
      assert.equal(await snapshot(), before, "nothing changed");
      const exists = await Deno.stat("/tmp/pwned-by-kubeconfig").then(() => true, () => false);
      assert.equal(exists, false, "no command from a kubeconfig ran");
    } finally {
      await t.stop();
    }
  },
});
