// The authentication rules at the REST API, table-driven: the CSRF rule for cookie-authenticated
// writes (against a real dashboard over HTTPS, HTTP/2 and HTTP/1.1), API token expiry and the
// right to create tokens, the end of a user's tokens and sessions on a password change or
// deletion, and the login limiters (per client and username; per username from any address, a
// growing delay) with an injected clock and simulated client addresses. The user lifecycle:
// disabling ends a user's sessions and tokens at once and refuses their sign-in (403 only with
// the right password), a user changes their own password with a session only (every old session
// and token ends, a fresh session comes back), the last-admin rules, and guesses of the current
// password meet the login's growing delay.
import assert from "node:assert/strict";
import { wsHandshake } from "../../testing/ws_handshake.ts";
import { Hono } from "hono";
import { ADMIN_PASSWORD, startTestDashboard } from "../../testing/harness.ts";
import { accountRoutes, loginRoutes, PASSWORD_CHANGE_DELAY } from "./handlers.ts";
import { authenticate } from "./middleware.ts";
import { AuthService } from "./service.ts";
import { errorBody, HttpError } from "../http/errors.ts";
import { openPglite } from "../store/pglite_db.ts";
import { migrateUp } from "../store/migrate.ts";
import type { AppEnv } from "../http/types.ts";

const DAY = 86400_000;

Deno.test({
  name: "REST: CSRF rule, API token expiry and rights, tokens ended with the password",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dash = await startTestDashboard({});
    const caCerts = dash.d.httpCaPem ? [dash.d.httpCaPem] : undefined;
    const h1 = Deno.createHttpClient({ caCerts, http1: true, http2: false });
    const h2 = Deno.createHttpClient({ caCerts, http1: false, http2: true });
    try {
      const self = dash.d.url;
      const session = dash.adminToken;

      await t.step("CSRF: which cookie-authenticated writes are refused", async () => {
        // [name, the request's headers, the answer, and what else differs from a POST with the
        // admin's session cookie].
        type Extra = { method?: string; cookie?: string; bearer?: boolean };
        type Want = "refused" | "allowed" | "unauthenticated";
        const sfs = "sec-fetch-site";
        const cases: Array<[string, Record<string, string>, Want, Extra?]> = [
          ["neither Sec-Fetch-Site nor Origin", {}, "refused"],
          ["a foreign Origin", { origin: "https://evil.example" }, "refused"],
          ["the same host on another port", { origin: self.replace(/:\d+$/, ":1") }, "refused"],
          ["Origin: null", { origin: "null" }, "refused"],
          ["Origin not a URL", { origin: "evil" }, "refused"],
          ["the dashboard's own Origin", { origin: self }, "allowed"],
          ["Sec-Fetch-Site: same-site", { [sfs]: "same-site" }, "refused"],
          ["same-site beats a matching Origin", { [sfs]: "same-site", origin: self }, "refused"],
          ["Sec-Fetch-Site: cross-site", { [sfs]: "cross-site" }, "refused"],
          ["cross-site beats a matching Origin", { [sfs]: "cross-site", origin: self }, "refused"],
          ["Sec-Fetch-Site: same-origin", { [sfs]: "same-origin" }, "allowed"],
          ["Sec-Fetch-Site: none (typed by the user)", { [sfs]: "none" }, "allowed"],
          ["an unknown Sec-Fetch-Site value", { [sfs]: "whatever", origin: self }, "refused"],
          ["DELETE with neither header", {}, "refused", { method: "DELETE" }],
          ["a bearer token needs neither header", {}, "allowed", { bearer: true }],
          [
            "an API token in the session cookie is no session",
            { [sfs]: "same-origin" },
            "unauthenticated",
            {
              cookie: (await dash.d.auth.createApiToken(
                (await dash.d.auth.authenticate(session))!.id,
                "cookie-smuggled",
              )).token,
            },
          ],
        ];
        for (const [name, headers, want, c = {}] of cases) {
          for (const [proto, client] of [["HTTP/2", h2], ["HTTP/1.1", h1]] as const) {
            const method = c.method ?? "POST";
            const path = method === "DELETE" ? "/api/tokens/not-a-uuid" : "/api/tokens";
            const res = await fetch(self + path, {
              method,
              headers: {
                ...headers,
                "content-type": "application/json",
                ...(c.bearer
                  ? { authorization: `Bearer ${session}` }
                  : { cookie: `kd_session=${c.cookie ?? session}` }),
              },
              body: method === "DELETE" ? undefined : "{}",
              client,
            } as RequestInit);
            const text = await res.text();
            const label = `${name} (${proto}): ${res.status} ${text}`;
            if (want === "refused") {
              assert.equal(res.status, 403, label);
              assert.match(text, /"csrf"/, label);
            } else if (want === "unauthenticated") {
              assert.equal(res.status, 401, label);
            } else {
              // Past authentication and the CSRF rule: the empty body or bad id is what fails.
              assert.equal(res.status, 400, label);
            }
          }
        }
        // A WebSocket handshake is a GET, but with the cookie it gets the writes' check (what it
        // opens, exec or attach, writes; a browser sends the cookie cross-site).
        for (const [origin, want] of [["https://evil.example", 403], [self, 200]] as const) {
          const r = await wsHandshake(`${self}/api/auth/me`, {
            headers: { cookie: `kd_session=${session}`, origin },
            caPem: dash.d.httpCaPem,
          });
          assert.equal(r.status, want, `upgrade from ${origin}: ${r.body}`);
        }
        // Reads with the cookie need neither header.
        const read = await dash.fetch("/api/auth/me", {
          headers: { cookie: `kd_session=${session}` },
        });
        assert.equal(read.status, 200, await read.text());
      });

      // Users for the token tests.
      const mkUser = async (name: string, role: "viewer" | "editor" | "admin") => {
        const r = await dash.api(
          "POST",
          "/api/users",
          { username: name, password: `${name}-password-123`, role },
          session,
        );
        assert.equal(r.status, 201, r.text);
        const id = (r.json as { id: string }).id;
        return { id, session: await dash.login(name, `${name}-password-123`) };
      };
      const createToken = async (token: string, body: Record<string, unknown>) =>
        await dash.api("POST", "/api/tokens", body, token);
      const tokenOf = (r: { json: unknown }) => (r.json as { token: string }).token;

      await t.step("API token expiry: 90 days unless asked, never only explicitly", async () => {
        const u = await mkUser("expiry", "viewer");
        const cases: {
          body: Record<string, unknown>;
          status: number;
          days?: number | null;
          message?: RegExp;
        }[] = [
          { body: { name: "default" }, status: 201, days: 90 },
          { body: { name: "week", expires_in_days: 7 }, status: 201, days: 7 },
          { body: { name: "max", expires_in_days: 3650 }, status: 201, days: 3650 },
          { body: { name: "forever", expires_in_days: null }, status: 201, days: null },
          { body: { name: "zero", expires_in_days: 0 }, status: 400, message: /expires_in_days/ },
          { body: { name: "long", expires_in_days: 3651 }, status: 400 },
          { body: { name: "word", expires_in_days: "never" }, status: 400 },
          { body: { name: "frac", expires_in_days: 1.5 }, status: 400 },
        ];
        for (const c of cases) {
          const r = await createToken(u.session, c.body);
          assert.equal(r.status, c.status, `${JSON.stringify(c.body)}: ${r.text}`);
          if (c.message) assert.match(r.text, c.message);
          if (c.status !== 201) continue;
          const got = (r.json as { expires_at: string | null }).expires_at;
          if (c.days === null) assert.equal(got, null, "never expires");
          else {
            const days = (new Date(got!).getTime() - Date.now()) / DAY;
            assert.ok(Math.abs(days - c.days!) < 0.01, `${c.body.name}: ${days} days`);
          }
        }
        const list = await dash.api("GET", "/api/tokens", undefined, u.session);
        const items = (list.json as {
          items: { name: string; expires_at: string | null; can_create_tokens: boolean }[];
        }).items;
        assert.deepEqual(
          items.map((i) => [i.name, i.expires_at === null, i.can_create_tokens]),
          [["default", false, false], ["week", false, false], ["max", false, false], [
            "forever",
            true,
            false,
          ]],
        );
      });

      await t.step("an API token mints API tokens only with can_create_tokens", async () => {
        const u = await mkUser("minter", "editor");
        const plain = tokenOf(await createToken(u.session, { name: "plain" }));
        const minter = tokenOf(
          await createToken(u.session, { name: "minter", can_create_tokens: true }),
        );
        const [cluster] = await dash.d.db.query<{ id: string }>(
          `INSERT INTO clusters (name, connection_type, kubeconfig_enc, context, server, status)
           VALUES ('mint-test', 'kubeconfig', '\\x00'::bytea, 'x', 'https://127.0.0.1:1', 'unreachable')
           RETURNING id`,
        );
        const count = async () => (await dash.d.auth.listApiTokens(u.id)).length;
        const cases: {
          name: string;
          token: string;
          body: Record<string, unknown>;
          status: number;
        }[] = [
          { name: "a plain token", token: plain, body: { name: "p1" }, status: 403 },
          {
            name: "a plain token asking for the right",
            token: plain,
            body: { name: "p2", can_create_tokens: true },
            status: 403,
          },
          { name: "a token with the right", token: minter, body: { name: "m1" }, status: 201 },
          { name: "a session", token: u.session, body: { name: "s1" }, status: 201 },
        ];
        for (const c of cases) {
          const r = await createToken(c.token, c.body);
          assert.equal(r.status, c.status, `${c.name}: ${r.text}`);
          if (c.status === 403) assert.match(r.text, /may not create API tokens/);
        }
        // A token minted by a token has no right of its own unless asked for.
        const child = tokenOf(await createToken(minter, { name: "m2" }));
        assert.equal((await createToken(child, { name: "grandchild" })).status, 403);

        // The kubeconfig download embeds the presenting API token instead of minting one.
        const before = await count();
        const kc = await dash.api(
          "GET",
          `/api/clusters/${cluster.id}/kubeconfig`,
          undefined,
          plain,
        );
        assert.equal(kc.status, 200, kc.text);
        assert.ok(kc.text.includes(plain), "the presented token is embedded");
        assert.equal(await count(), before, "no token minted by a plain token");
        // A session mints one (90 days).
        const bySession = await dash.api(
          "GET",
          `/api/clusters/${cluster.id}/kubeconfig`,
          undefined,
          u.session,
        );
        assert.equal(bySession.status, 200);
        assert.equal(await count(), before + 1, "a session's download creates a token");
        const newest = (await dash.d.auth.listApiTokens(u.id)).at(-1)!;
        assert.match(newest.name, /^kubeconfig mint-test /);
        const days = (newest.expires_at!.getTime() - Date.now()) / DAY;
        assert.ok(Math.abs(days - 90) < 0.01, `kubeconfig token: ${days} days`);
        assert.equal(newest.can_create_tokens, false);
        // An API token smuggled in the cookie mints nothing either.
        const smuggled = await dash.fetch(`/api/clusters/${cluster.id}/kubeconfig`, {
          headers: { cookie: `kd_session=${plain}` },
        });
        assert.equal(smuggled.status, 401, await smuggled.text());
        assert.equal(await count(), before + 1);
      });

      await t.step("a password change or deletion ends all of the user's tokens", async () => {
        const works = async (token: string) =>
          (await dash.api("GET", "/api/auth/me", undefined, token)).status === 200;
        const a = await mkUser("changer", "editor");
        const b = await mkUser("bystander", "editor");
        const aTokens = [
          a.session,
          tokenOf(await createToken(a.session, { name: "t1" })),
          tokenOf(await createToken(a.session, { name: "t2", expires_in_days: null })),
          tokenOf(await createToken(a.session, { name: "t3", can_create_tokens: true })),
        ];
        const bToken = tokenOf(await createToken(b.session, { name: "t1" }));
        for (const tok of aTokens) assert.ok(await works(tok));

        // A role change keeps them, with the new role at once.
        const demote = await dash.api("PATCH", `/api/users/${a.id}`, { role: "viewer" }, session);
        assert.equal(demote.status, 200, demote.text);
        for (const tok of aTokens) assert.ok(await works(tok), "kept across a role change");
        const me = await dash.api("GET", "/api/auth/me", undefined, aTokens[1]);
        assert.equal((me.json as { role: string }).role, "viewer");

        const pw = await dash.api(
          "PATCH",
          `/api/users/${a.id}`,
          { password: "a-brand-new-password" },
          session,
        );
        assert.equal(pw.status, 200, pw.text);
        for (const [i, tok] of aTokens.entries()) {
          assert.equal(await works(tok), false, `token ${i} ended by the password change`);
        }
        assert.equal((await dash.d.auth.listApiTokens(a.id)).length, 0, "none left");
        assert.ok(await works(bToken), "another user's token is untouched");
        assert.ok(await works(b.session), "another user's session is untouched");
        assert.ok(await works(session), "the admin's own session is untouched");

        const bMore = tokenOf(await createToken(b.session, { name: "t2" }));
        const del = await dash.api("DELETE", `/api/users/${b.id}`, undefined, session);
        assert.equal(del.status, 204, del.text);
        for (const tok of [b.session, bToken, bMore]) {
          assert.equal(await works(tok), false, "ended by the deletion");
        }
      });
    } finally {
      h1.close();
      h2.close();
      await dash.stop();
    }
  },
});

Deno.test({
  name: "REST: login limits per client and per username (growing delay, never a lock)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const db = await openPglite(undefined);
    try {
      await migrateUp(db);
      const auth = new AuthService(db, 12, 0);
      await auth.createUser("admin", "the-real-admin-password", "admin");
      await auth.createUser("bob", "the-real-bob-password", "viewer");
      let now = 1_000_000;
      const app = new Hono<AppEnv>();
      app.route(
        "/api",
        loginRoutes(auth, {
          secureCookies: false,
          sessionTtlHours: 12,
          now: () => now,
          clientAddress: (c) => c.req.header("x-test-client") ?? "unknown",
        }),
      );
      app.onError((err, c) =>
        err instanceof HttpError
          ? c.json(errorBody(err.code, err.message), err.status as 400)
          : c.json(errorBody("internal", String(err)), 500)
      );
      let address = 0;
      const attempt = async (
        username: string,
        password: string,
        client = `10.0.${address >> 8 & 255}.${address++ & 255}`,
      ) => {
        const res = await app.request("/api/auth/login", {
          method: "POST",
          headers: { "content-type": "application/json", "x-test-client": client },
          body: JSON.stringify({ username, password }),
        });
        const text = await res.text();
        return { status: res.status, retryAfter: Number(res.headers.get("retry-after")), text };
      };

      await t.step("password spraying from many addresses meets a growing delay", async () => {
        for (let i = 0; i < 10; i++) {
          assert.equal((await attempt("admin", `guess-${i}`)).status, 401, `guess ${i}`);
        }
        // From here every attempt waits 1 s, 2 s, 4 s … 60 s after the last failure.
        const expected = [1, 2, 4, 8, 16, 32, 60, 60, 60];
        for (const [i, wait] of expected.entries()) {
          const r = await attempt("admin", "guess");
          assert.equal(r.status, 429, `round ${i}: ${r.text}`);
          assert.equal(r.retryAfter, wait, `round ${i}`);
          assert.match(r.text, /wait \d+ s and try again/);
          now += wait * 1000 - 1;
          assert.equal((await attempt("admin", "guess")).status, 429, `round ${i}: 1 ms early`);
          now += 1;
          assert.equal((await attempt("admin", "guess")).status, 401, `round ${i}: waited`);
        }
        assert.equal((await attempt("bob", "the-real-bob-password")).status, 200, "others free");
      });

      await t.step("the real user gets in once the wait has passed; a success resets", async () => {
        const early = await attempt("admin", "the-real-admin-password");
        assert.equal(early.status, 429, "the wait applies to the right password too");
        now += early.retryAfter * 1000;
        const ok = await attempt("admin", "the-real-admin-password");
        assert.equal(ok.status, 200, ok.text);
        for (let i = 0; i < 10; i++) {
          assert.equal((await attempt("admin", `again-${i}`)).status, 401, `fresh count ${i}`);
        }
        assert.equal((await attempt("admin", "x")).retryAfter, 1, "counting started again");
      });

      await t.step("attempts sent at once when a wait ends: one gets through", async () => {
        now += 60_000;
        const results = await Promise.all(
          Array.from({ length: 5 }, (_, i) => attempt("admin", `burst-${i}`)),
        );
        assert.deepEqual(results.map((r) => r.status).sort(), [401, 429, 429, 429, 429]);
      });

      await t.step("never a lock: after the forget period all is clear", async () => {
        now += 15 * 60_000;
        assert.equal((await attempt("admin", "the-real-admin-password")).status, 200);
      });

      await t.step("one address and username: 10 failures close a 5-minute window", async () => {
        const client = "192.0.2.1";
        for (let i = 0; i < 10; i++) {
          assert.equal((await attempt("bob", `b-${i}`, client)).status, 401);
        }
        const r = await attempt("bob", "the-real-bob-password", client);
        assert.equal(r.status, 429);
        assert.ok(r.retryAfter > 60 && r.retryAfter <= 300, `Retry-After ${r.retryAfter}`);
        now += 60_000; // the per-username delay is over, the client's window is not
        assert.equal((await attempt("bob", "the-real-bob-password", client)).status, 429);
        assert.equal(
          (await attempt("bob", "the-real-bob-password", "192.0.2.2")).status,
          200,
          "another address is not locked out with it",
        );
        now += 240_000;
        assert.equal((await attempt("bob", "the-real-bob-password", client)).status, 200);
      });
    } finally {
      await db.close();
    }
  },
});

Deno.test({
  name: "REST: user lifecycle: disable, own password change, groups, last admin",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dash = await startTestDashboard({});
    try {
      let admin = dash.adminToken;
      const adminId = (await dash.d.auth.authenticate(admin))!.id;
      const works = async (token: string) =>
        (await dash.api("GET", "/api/auth/me", undefined, token)).status;
      const mkUser = async (name: string, role: string, groups?: string[]) => {
        const r = await dash.api(
          "POST",
          "/api/users",
          { username: name, password: `${name}-password-123`, role, ...(groups ? { groups } : {}) },
          admin,
        );
        assert.equal(r.status, 201, r.text);
        const id = (r.json as { id: string }).id;
        return { id, session: await dash.login(name, `${name}-password-123`) };
      };
      const tokenFor = async (session: string, name: string) => {
        const r = await dash.api("POST", "/api/tokens", { name }, session);
        assert.equal(r.status, 201, r.text);
        return (r.json as { token: string }).token;
      };

      await t.step("GET /api/users: lifecycle fields; /api/auth/me: groups", async () => {
        const u = await mkUser("lister", "none", ["ops", "web"]);
        const me = await dash.api("GET", "/api/auth/me", undefined, u.session);
        assert.equal(me.status, 200, me.text);
        assert.deepEqual(
          me.json,
          {
            ...(me.json as object),
            username: "lister",
            role: "none",
            groups: ["ops", "web"],
          },
        );
        assert.ok(!("password_hash" in (me.json as object)));
        const list = await dash.api("GET", "/api/users", undefined, admin);
        assert.equal(list.status, 200, list.text);
        const row = (list.json as { items: Record<string, unknown>[] }).items
          .find((i) => i.username === "lister")!;
        assert.deepEqual(Object.keys(row).sort(), [
          "created_at",
          "disabled_at",
          "groups",
          "id",
          "last_login_at",
          "role",
          "source",
          "updated_at",
          "username",
        ]);
        assert.equal(row.source, "local");
        assert.equal(row.disabled_at, null);
        assert.equal(typeof row.last_login_at, "string", "signed in by mkUser");
        assert.deepEqual(row.groups, ["ops", "web"]);
      });

      await t.step("a non-admin gets 403 on every /api/users route", async () => {
        const u = await mkUser("nosy", "editor");
        const token = await tokenFor(u.session, "nosy");
        for (const cred of [u.session, token]) {
          for (
            const [method, path, body] of [
              ["GET", "/api/users", undefined],
              ["POST", "/api/users", { username: "x1", password: "x-password-123", role: "admin" }],
              ["PATCH", `/api/users/${u.id}`, { role: "admin" }],
              ["PATCH", `/api/users/${adminId}`, { disabled: true }],
              ["DELETE", `/api/users/${adminId}`, undefined],
            ] as const
          ) {
            const r = await dash.api(method, path, body, cred);
            assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
            assert.match(r.text, /needs the admin role/);
          }
        }
        assert.equal(await works(admin), 200, "the admin is untouched");
      });

      await t.step("PATCH /api/users/:id: bodies are checked with clear messages", async () => {
        const u = await mkUser("patched", "viewer");
        const cases: [unknown, number, RegExp?][] = [
          [{}, 400, /give at least one of role, password, groups, disabled/],
          [{ role: "root" }, 400, /role: must be one of admin, editor, viewer, none/],
          [{ groups: ["Ops"] }, 400, /groups\.0: group names are 1-63 lowercase letters/],
          [{ groups: Array.from({ length: 33 }, (_, i) => `g${i}`) }, 400, /at most 32 groups/],
          [{ disabled: "yes" }, 400, /disabled/],
          [{ password: "short" }, 400, /password: must be at least 12 characters/],
          [{ nickname: "x" }, 400, /nickname|unrecognized/i],
          [{ role: "none" }, 200],
          [{ groups: ["web", "ops"] }, 200],
        ];
        for (const [body, status, message] of cases) {
          const r = await dash.api("PATCH", `/api/users/${u.id}`, body, admin);
          assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
          if (message) assert.match(r.text, message, JSON.stringify(body));
        }
        const me = await dash.api("GET", "/api/auth/me", undefined, u.session);
        assert.deepEqual(
          [(me.json as { role: string }).role, (me.json as { groups: string[] }).groups],
          ["none", ["ops", "web"]],
        );
      });

      await t.step(
        "disabling ends sessions and tokens at once; sign-in 403 only with the right password",
        async () => {
          const u = await mkUser("dis", "editor");
          const other = await mkUser("stays", "editor");
          const token = await tokenFor(u.session, "ci");
          assert.equal(await works(u.session), 200);
          assert.equal(await works(token), 200);
          const r = await dash.api("PATCH", `/api/users/${u.id}`, { disabled: true }, admin);
          assert.equal(r.status, 200, r.text);
          assert.equal(typeof (r.json as { disabled_at: string }).disabled_at, "string");
          assert.equal(await works(u.session), 401, "session ended");
          assert.equal(await works(token), 401, "API token ended");
          assert.equal(await works(other.session), 200, "another user kept");
          // The session cookie too, and the pages.
          const page = await dash.fetch("/clusters", {
            headers: { cookie: `kd_session=${u.session}` },
            redirect: "manual",
          });
          await page.body?.cancel();
          assert.equal(page.status, 303, "a page sends the disabled user to sign in");

          const wrong = await dash.api("POST", "/api/auth/login", {
            username: "dis",
            password: "not-the-password",
          });
          assert.equal(wrong.status, 401, `a wrong password says nothing more: ${wrong.text}`);
          assert.doesNotMatch(wrong.text, /disabled/);
          const right = await dash.api("POST", "/api/auth/login", {
            username: "dis",
            password: "dis-password-123",
          });
          assert.equal(right.status, 403, right.text);
          assert.deepEqual(right.json, {
            error: { code: "user_disabled", message: "this account is disabled; ask an admin" },
          });

          const on = await dash.api("PATCH", `/api/users/${u.id}`, { disabled: false }, admin);
          assert.equal(on.status, 200, on.text);
          assert.equal((on.json as { disabled_at: null }).disabled_at, null);
          const back = await dash.login("dis", "dis-password-123");
          assert.equal(await works(back), 200, "signs in again once enabled");
          assert.equal(await works(token), 401, "the old token stays ended");
        },
      );

      await t.step("last admin and self: 409 with a clear message", async () => {
        const self = await dash.api("PATCH", `/api/users/${adminId}`, { disabled: true }, admin);
        assert.equal(self.status, 409, self.text);
        assert.match(self.text, /cannot disable your own account/);
        const demote = await dash.api("PATCH", `/api/users/${adminId}`, { role: "none" }, admin);
        assert.equal(demote.status, 409, demote.text);
        assert.match(demote.text, /last admin cannot lose the admin role/);
        const del = await dash.api("DELETE", `/api/users/${adminId}`, undefined, admin);
        assert.equal(del.status, 409, del.text);
        // A second admin, disabled, does not count.
        const second = await mkUser("second", "admin");
        const off = await dash.api("PATCH", `/api/users/${second.id}`, { disabled: true }, admin);
        assert.equal(off.status, 200, off.text);
        const again = await dash.api("PATCH", `/api/users/${adminId}`, { role: "editor" }, admin);
        assert.equal(again.status, 409, again.text);
        // Enabled, the second admin may disable the first (and the first may not undo it).
        await dash.api("PATCH", `/api/users/${second.id}`, { disabled: false }, admin);
        const s2 = await dash.login("second", "second-password-123");
        const byOther = await dash.api("PATCH", `/api/users/${adminId}`, { disabled: true }, s2);
        assert.equal(byOther.status, 200, byOther.text);
        assert.equal(await works(admin), 401, "the first admin's session ended");
        const last = await dash.api("PATCH", `/api/users/${second.id}`, { disabled: true }, s2);
        assert.equal(last.status, 409, last.text);
        const back = await dash.api("PATCH", `/api/users/${adminId}`, { disabled: false }, s2);
        assert.equal(back.status, 200, back.text);
      });

      // The admin's session ended above.
      admin = await dash.login("admin", ADMIN_PASSWORD);

      await t.step(
        "POST /api/auth/password: a session only; old sessions and tokens end",
        async () => {
          const u = await mkUser("changer2", "viewer");
          const other = await dash.login("changer2", "changer2-password-123");
          const token = await tokenFor(u.session, "ci");
          const minter = (await dash.api(
            "POST",
            "/api/tokens",
            { name: "minter", can_create_tokens: true },
            u.session,
          ).then((r) => r.json as { token: string })).token;
          const body = {
            current_password: "changer2-password-123",
            new_password: "brand-new-pass-1",
          };

          for (const cred of [token, minter]) {
            const r = await dash.api("POST", "/api/auth/password", body, cred);
            assert.equal(r.status, 403, `an API token: ${r.text}`);
            assert.match(r.text, /an API token cannot change the password/);
          }
          const refusals: [Record<string, unknown>, number, RegExp][] = [
            [{ ...body, current_password: "wrong-password-1" }, 403, /current password is wrong/],
            [{ ...body, new_password: "short" }, 400, /new_password: must be at least 12/],
            [{ ...body, new_password: body.current_password }, 400, /different from the current/],
            [{ new_password: "brand-new-pass-1" }, 400, /current_password/],
            [{ ...body, extra: 1 }, 400, /extra|unrecognized/i],
          ];
          for (const [b, status, message] of refusals) {
            const r = await dash.api("POST", "/api/auth/password", b, u.session);
            assert.equal(r.status, status, `${JSON.stringify(b)}: ${r.text}`);
            assert.match(r.text, message);
          }
          for (const c of [u.session, other, token, minter]) {
            assert.equal(await works(c), 200, "refusals end nothing");
          }

          // With the cookie, as the browser sends it: a new cookie comes back.
          const res = await dash.fetch("/api/auth/password", {
            method: "POST",
            headers: {
              "content-type": "application/json",
              cookie: `kd_session=${u.session}`,
              "sec-fetch-site": "same-origin",
            },
            body: JSON.stringify(body),
          });
          const json = await res.json() as { token: string; user: { username: string } };
          assert.equal(res.status, 200, JSON.stringify(json));
          assert.equal(json.user.username, "changer2");
          const cookie = res.headers.get("set-cookie") ?? "";
          assert.match(cookie, new RegExp(`^kd_session=${json.token};`));
          assert.match(cookie, /HttpOnly/i);
          assert.match(cookie, /SameSite=Strict/i);
          assert.match(cookie, /Secure/i, "the test dashboard serves HTTPS");
          for (
            const [name, c] of [["this session", u.session], ["another session", other], [
              "an API token",
              token,
            ], ["a minting token", minter]]
          ) {
            assert.equal(await works(c), 401, `${name} ended`);
          }
          assert.equal(await works(json.token), 200, "the new session works");
          const viaCookie = await dash.fetch("/api/auth/me", {
            headers: { cookie: `kd_session=${json.token}` },
          });
          assert.equal(viaCookie.status, 200, await viaCookie.text());
          assert.equal(
            (await dash.api("POST", "/api/auth/login", {
              username: "changer2",
              password: "changer2-password-123",
            })).status,
            401,
            "the old password is refused",
          );
          await dash.login("changer2", "brand-new-pass-1");
          assert.equal(await works(admin), 200, "the admin is untouched");
        },
      );

      await t.step("an admin's reset ends the user's sessions and tokens", async () => {
        const u = await mkUser("resetme", "viewer");
        const token = await tokenFor(u.session, "ci");
        const r = await dash.api(
          "PATCH",
          `/api/users/${u.id}`,
          { password: "reset-by-admin-1" },
          admin,
        );
        assert.equal(r.status, 200, r.text);
        assert.equal(await works(u.session), 401);
        assert.equal(await works(token), 401);
        await dash.login("resetme", "reset-by-admin-1");
      });
    } finally {
      await dash.stop();
    }
  },
});

Deno.test({
  name: "REST: guesses of the current password meet the login's growing delay",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const db = await openPglite(undefined);
    try {
      await migrateUp(db);
      const auth = new AuthService(db, 12, 0);
      await auth.createUser("eve", "the-real-eve-password", "viewer");
      await auth.createUser("sam", "the-real-sam-password", "viewer");
      let now = 1_000_000;
      const app = new Hono<AppEnv>();
      const api = new Hono<AppEnv>();
      api.use("*", authenticate(auth));
      api.route("/", accountRoutes(auth, { secureCookies: false, now: () => now }));
      app.route("/api", api);
      app.onError((err, c) =>
        err instanceof HttpError
          ? c.json(errorBody(err.code, err.message), err.status as 400)
          : c.json(errorBody("internal", String(err)), 500)
      );
      const eve = (await auth.login("eve", "the-real-eve-password"))!.token;
      const sam = (await auth.login("sam", "the-real-sam-password"))!.token;
      const change = async (session: string, current: string, next = "a-new-password-1") => {
        const res = await app.request("/api/auth/password", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${session}` },
          body: JSON.stringify({ current_password: current, new_password: next }),
        });
        return {
          status: res.status,
          retryAfter: Number(res.headers.get("retry-after")),
          text: await res.text(),
        };
      };
      const { threshold } = PASSWORD_CHANGE_DELAY;
      for (let i = 0; i < threshold; i++) {
        assert.equal((await change(eve, `guess-${i}`)).status, 403, `guess ${i}`);
      }
      const early = await change(eve, "the-real-eve-password");
      assert.equal(early.status, 429, early.text);
      assert.equal(early.retryAfter, 1);
      assert.match(early.text, /too many wrong current passwords; wait 1 s/);
      assert.equal((await change(sam, "sams-guess-1")).status, 403, "another user is not slowed");
      now += 1000;
      assert.equal((await change(eve, "guess-again")).status, 403);
      assert.equal((await change(eve, "the-real-eve-password")).retryAfter, 2, "doubling");
      now += 2000;
      const ok = await change(eve, "the-real-eve-password");
      assert.equal(ok.status, 200, ok.text);
      const fresh = (JSON.parse(ok.text) as { token: string }).token;
      assert.equal((await change(fresh, "wrong-again-1")).status, 403, "a success resets");
    } finally {
      await db.close();
    }
  },
});
