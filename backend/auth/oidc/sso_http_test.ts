// Single sign-on through a real dashboard's HTTP front (HTTPS, its own CA) and a REAL OpenID
// provider: the two pages' cookies and answers, the session the callback sets, what the REST API
// lets nobody change about a provider's account, the audit trail, OIDC_LOCAL_LOGIN=false, and a
// provider the dashboard cannot read at start (a configuration error).
import assert from "node:assert/strict";
import { ConfigError } from "../../config.ts";
import { startTestDashboard, type TestDashboard } from "../../../testing/harness.ts";
import {
  setCookie,
  signInThroughDashboard,
  startOidcProvider,
} from "../../../testing/oidc_provider.ts";
import { freePorts } from "../../../tools/ports.ts";
import { SESSION_COOKIE, SSO_FLOW_COOKIE } from "../../../common/session.ts";

const carol = {
  id: "u-carol",
  username: "carol",
  password: "carol-pw-123",
  email: "carol@example.com",
  groups: ["developers"],
};

const errorOf = (r: { json: unknown }) =>
  (r.json as { error: { code: string; message: string } }).error;

Deno.test("single sign-on through the dashboard's HTTP front", async (t) => {
  const [port] = await freePorts(1);
  const publicUrl = `https://127.0.0.1:${port}`;
  const idp = await startOidcProvider({
    users: [carol],
    clients: [{
      id: "dashboard",
      secret: "dashboard-secret",
      redirect_uris: [`${publicUrl}/auth/oidc/callback`],
      post_logout_redirect_uris: [`${publicUrl}/login`],
    }],
  });
  const env = {
    PUBLIC_URL: publicUrl,
    OIDC_ISSUER_URL: idp.issuer,
    OIDC_CLIENT_ID: "dashboard",
    OIDC_CLIENT_SECRET: "dashboard-secret",
    OIDC_PROVIDER_NAME: "Test IdP",
    OIDC_ROLE_MAPPING: "platform-admins=admin,developers=editor",
  };
  let dash: TestDashboard | undefined;
  try {
    dash = await startTestDashboard({ httpPort: port, env });
    const d = dash;
    let session = "";

    await t.step(
      "start sets a Lax flow cookie on /auth/oidc and sends the browser to the provider",
      async () => {
        const signIn = await signInThroughDashboard(d.fetch, idp, carol, "/users");
        const location = signIn.start.headers.get("location")!;
        assert.ok(location.startsWith(`${idp.issuer}/`), location);
        const flow = setCookie(signIn.start, SSO_FLOW_COOKIE);
        assert.ok(flow, "the flow cookie is set");
        assert.match(flow.attrs, /HttpOnly/);
        assert.match(flow.attrs, /SameSite=Lax/);
        assert.match(flow.attrs, /Path=\/auth\/oidc/);
        assert.match(flow.attrs, /Secure/);

        assert.equal(signIn.callback.status, 200, signIn.page.slice(0, 500));
        assert.match(signIn.page, /<meta http-equiv="refresh" content="0; url=\/users">/);
        const set = setCookie(signIn.callback, SESSION_COOKIE);
        assert.ok(set, "the session cookie is set");
        assert.match(set.attrs, /HttpOnly/);
        assert.match(set.attrs, /SameSite=Strict/);
        assert.match(set.attrs, /Secure/);
        assert.match(
          setCookie(signIn.callback, SSO_FLOW_COOKIE)?.attrs ?? "",
          /Max-Age=0|Expires=Thu, 01 Jan 1970/,
        );
        session = set.value;
        const me = await d.api("GET", "/api/auth/me", undefined, session);
        assert.equal(me.status, 200, me.text);
        assert.deepEqual(
          [
            (me.json as { username: string }).username,
            (me.json as { role: string }).role,
            (me.json as { source: string }).source,
          ],
          ["carol", "editor", "sso"],
        );
      },
    );

    await t.step("the callback again (a replay) is refused with the error page", async () => {
      const res = await d.fetch("/auth/oidc/callback?code=x&state=y");
      const page = await res.text();
      assert.equal(res.status, 400);
      assert.match(page, /no sign-in in progress/);
      assert.match(page, /Back to sign-in/);
    });

    await t.step(
      "the provider decides role, groups and password; the admin can disable",
      async () => {
        const users = await d.api("GET", "/api/users", undefined, d.adminToken);
        const row = (users.json as { items: { id: string; username: string; source: string }[] })
          .items
          .find((u) => u.username === "carol")!;
        assert.equal(row.source, "sso");
        for (
          const body of [{ role: "admin" }, { groups: ["ops"] }, { password: "a new password 123" }]
        ) {
          const r = await d.api("PATCH", `/api/users/${row.id}`, body, d.adminToken);
          assert.equal(r.status, 409, r.text);
          assert.equal(errorOf(r).code, "managed_by_provider");
        }
        const own = await d.api(
          "POST",
          "/api/auth/password",
          { current_password: "!", new_password: "a new password 123" },
          session,
        );
        assert.equal(own.status, 409, own.text);
        const pw = await d.api("POST", "/api/auth/login", { username: "carol", password: "!" });
        assert.equal(pw.status, 401, "no password signs in as a provider's account");
        const off = await d.api("PATCH", `/api/users/${row.id}`, { disabled: true }, d.adminToken);
        assert.equal(off.status, 200, off.text);
        assert.equal((await d.api("GET", "/api/auth/me", undefined, session)).status, 401);
      },
    );

    await t.step("the audit trail has the sign-in", async () => {
      const r = await d.api("GET", "/api/audit?verb=login", undefined, d.adminToken);
      const items =
        (r.json as { items: { username: string; path: string; outcome: string; source: string }[] })
          .items;
      assert.ok(
        items.some((e) =>
          e.username === "carol" && e.path === "/auth/oidc/callback" && e.outcome === "success" &&
          e.source === "127.0.0.1"
        ),
        JSON.stringify(items),
      );
    });
    await dash.stop();
    dash = undefined;

    await t.step("OIDC_LOCAL_LOGIN=false: password sign-in is refused", async () => {
      const off = await startTestDashboard({
        httpPort: port,
        env: { ...env, OIDC_LOCAL_LOGIN: "false" },
      });
      try {
        const r = await off.api("POST", "/api/auth/login", {
          username: "admin",
          password: "whatever-it-is",
        });
        assert.equal(r.status, 403, r.text);
        assert.equal(errorOf(r).code, "local_login_disabled");
        assert.match(errorOf(r).message, /single sign-on/);
        // API tokens still work (kubectl, scripts).
        assert.equal((await off.api("GET", "/api/auth/me", undefined, off.adminToken)).status, 200);
      } finally {
        await off.stop();
      }
    });

    await t.step(
      "a provider the dashboard cannot read at start is a configuration error",
      async () => {
        await idp.stop();
        await assert.rejects(
          startTestDashboard({ httpPort: port, env }),
          (err: unknown) =>
            err instanceof ConfigError &&
            /OIDC_ISSUER_URL http:\/\/127\.0\.0\.1:\d+: cannot read .*openid-configuration/.test(
              err.message,
            ),
        );
      },
    );
  } finally {
    await dash?.stop();
    await idp.stop();
  }
});
