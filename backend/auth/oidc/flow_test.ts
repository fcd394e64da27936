// The single-sign-on flow and the ID token checks against a REAL OpenID provider (zitadel/oidc,
// tools/oidc) and PGlite: a sign-in end to end, each way a callback is refused (no or forged flow
// cookie, another sign-in's state, a replayed code, the provider's error, a person outside the
// allowed groups, a disabled account), each way an ID token is refused (nonce, signature, audience,
// expiry, alg none), the provider's key rotation, and the provider being away.
import assert from "node:assert/strict";
import { openPglite } from "../../store/pglite_db.ts";
import { migrateUp } from "../../store/migrate.ts";
import { AuthService } from "../service.ts";
import type { AuditEntry } from "../../audit/store.ts";
import { encodeBase64Url } from "../../crypto/encoding.ts";
import { startOidcProvider, type TestOidcProvider } from "../../../testing/oidc_provider.ts";
import { loadOidcConfig } from "./config.ts";
import { discover, IdTokenRefused, OidcProvider, ProviderError } from "./provider.ts";
import { SsoAccounts } from "./accounts.ts";
import { CALLBACK_PATH, SsoError, SsoFlow } from "./flow.ts";

const PUBLIC_URL = "http://127.0.0.1:9"; // never contacted: the test reads the provider's redirect
const REDIRECT = `${PUBLIC_URL}${CALLBACK_PATH}`;
const KEY = encodeBase64Url(new Uint8Array(32)).replace(/-/g, "+").replace(/_/g, "/") + "=";

const users = [
  {
    id: "u-alice",
    username: "alice",
    password: "alice-pw-123",
    email: "alice@example.com",
    groups: ["platform-admins"],
  },
  {
    id: "u-bob",
    username: "bob",
    password: "bob-pw-12345",
    email: "bob@example.com",
    groups: ["sales"],
  },
];

function config(issuer: string, env: Record<string, string> = {}) {
  return loadOidcConfig((n) =>
    ({
      OIDC_ISSUER_URL: issuer,
      OIDC_CLIENT_ID: "dashboard",
      OIDC_CLIENT_SECRET: "dashboard-secret",
      OIDC_PROVIDER_NAME: "Test IdP",
      OIDC_ROLE_MAPPING: "platform-admins=admin",
      ...env,
    } as Record<string, string>)[n], (m) => new Error(m))!;
}

const refusedWith = (status: number, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof SsoError, `expected an SsoError, got ${err}`);
  assert.equal(err.status, status, err.message);
  assert.match(err.message, message);
  return true;
};

Deno.test("single sign-on against a real OpenID provider", async (t) => {
  const idp: TestOidcProvider = await startOidcProvider({
    users,
    clients: [
      { id: "dashboard", secret: "dashboard-secret", redirect_uris: [REDIRECT] },
      { id: "other", secret: "other-secret", redirect_uris: [REDIRECT] },
    ],
  });
  const db = await openPglite(undefined);
  const providers: OidcProvider[] = [];
  try {
    await migrateUp(db);
    const auth = new AuthService(db, 12, 0);
    await auth.createUser("admin", "correct horse battery", "admin");
    const audit: AuditEntry[] = [];
    const logged: string[] = [];
    const accounts = new SsoAccounts(db, auth, (m) => logged.push(m));
    let clockOffset = 0;
    const start = async (env: Record<string, string> = {}, limits = {}) => {
      const p = await OidcProvider.start(config(idp.issuer, env), (m) => logged.push(m), {
        jwksCooldownMs: 0,
        ...limits,
      });
      providers.push(p);
      return p;
    };
    const flowFor = (provider: OidcProvider) =>
      SsoFlow.create({
        provider,
        accounts,
        encryptionKeyB64: KEY,
        publicUrl: PUBLIC_URL,
        audit: (e) => void audit.push(e),
        log: (m) => logged.push(m),
        now: () => Date.now() + clockOffset,
      });
    const provider = await start();
    const flow = await flowFor(provider);
    /** Starts a sign-in and signs in at the provider: the callback's query and the flow cookie. */
    const atProvider = async (f: SsoFlow, username: string, next = "/clusters") => {
      const { location, flowCookie } = await f.start(next);
      const back = await idp.signIn(
        location,
        username,
        users.find((u) => u.username === username)!.password,
      );
      assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
      return { query: Object.fromEntries(back.searchParams), flowCookie };
    };

    await t.step("a person in a mapped group signs in as admin and lands on `next`", async () => {
      const { query, flowCookie } = await atProvider(flow, "alice", "/clusters/x?tab=nodes");
      const done = await flow.finish(query, flowCookie, "10.0.0.1");
      assert.equal(done.next, "/clusters/x?tab=nodes");
      const me = await auth.authenticate(done.token);
      assert.deepEqual(
        [me?.username, me?.role, me?.groups, me?.source],
        ["alice", "admin", ["platform-admins"], "sso"],
      );
      assert.deepEqual(audit.at(-1), {
        userId: me!.id,
        username: "alice",
        source: "10.0.0.1",
        clusterId: null,
        verb: "login",
        path: CALLBACK_PATH,
        status: 200,
        outcome: "success",
      });
    });

    await t.step(
      "the authorization request asks for code + PKCE S256 + state + nonce",
      async () => {
        const url = new URL((await flow.start("https://evil.example/")).location);
        const p = url.searchParams;
        assert.equal(p.get("response_type"), "code");
        assert.equal(p.get("client_id"), "dashboard");
        assert.equal(p.get("redirect_uri"), REDIRECT);
        assert.equal(p.get("code_challenge_method"), "S256");
        assert.match(p.get("code_challenge")!, /^[A-Za-z0-9_-]{43}$/);
        assert.match(p.get("state")!, /^[A-Za-z0-9_-]{43}$/);
        assert.match(p.get("nonce")!, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(p.get("scope"), "openid profile email groups");
      },
    );

    await t.step("an unsafe `next` becomes /clusters", async () => {
      const { query, flowCookie } = await atProvider(flow, "alice", "//evil.example/x");
      assert.equal((await flow.finish(query, flowCookie, "c")).next, "/clusters");
    });

    await t.step("callbacks that are not this browser's sign-in are refused", async () => {
      const a = await atProvider(flow, "alice");
      const b = await flow.start("/clusters");
      const cases: [string, Record<string, string>, string | undefined, RegExp][] = [
        ["no flow cookie", a.query, undefined, /no sign-in in progress/],
        ["a forged cookie", a.query, a.flowCookie.slice(0, -4) + "AAAA", /cookie is not valid/],
        ["garbage cookie", a.query, "x".repeat(5000), /cookie is not valid/],
        [
          "another sign-in's cookie (login CSRF)",
          a.query,
          b.flowCookie,
          /belongs to another sign-in/,
        ],
        ["no state", { code: a.query.code }, a.flowCookie, /belongs to another sign-in/],
        ["no code", { state: a.query.state }, a.flowCookie, /no authorization code/],
      ];
      for (const [name, query, cookie, message] of cases) {
        await assert.rejects(
          flow.finish(query, cookie, "c"),
          refusedWith(message.source.includes("authorization code") ? 502 : 400, message),
          name,
        );
      }
      assert.equal(audit.at(-1)?.outcome, "failure");
      // The code was never spent: the real cookie still finishes the sign-in.
      assert.ok((await flow.finish(a.query, a.flowCookie, "c")).token);
    });

    await t.step("a flow older than ten minutes is refused", async () => {
      const a = await atProvider(flow, "alice");
      clockOffset = 11 * 60_000;
      try {
        await assert.rejects(
          flow.finish(a.query, a.flowCookie, "c"),
          refusedWith(400, /more than ten minutes/),
        );
      } finally {
        clockOffset = 0;
      }
    });

    await t.step("a code is good once", async () => {
      const a = await atProvider(flow, "alice");
      await flow.finish(a.query, a.flowCookie, "c");
      await assert.rejects(
        flow.finish(a.query, a.flowCookie, "c"),
        refusedWith(502, /token endpoint refused the code \(400, invalid_grant\)/),
      );
    });

    await t.step("the provider's own error is shown by its code only", async () => {
      const a = await flow.start("/clusters");
      const state = new URL(a.location).searchParams.get("state")!;
      await assert.rejects(
        flow.finish(
          { error: "access_denied", error_description: "<script>", state },
          a.flowCookie,
          "c",
        ),
        refusedWith(401, /Test IdP did not sign you in \(access_denied\)/),
      );
    });

    await t.step("outside the allowed groups: refused, and earlier access ends", async () => {
      const bobIn = await atProvider(flow, "bob");
      const before = await flow.finish(bobIn.query, bobIn.flowCookie, "c");
      const me = await auth.authenticate(before.token);
      assert.equal(me?.role, "none", "no mapped group: OIDC_DEFAULT_ROLE");
      const apiToken = await auth.createApiToken(me!.id, "kubectl");
      const strict = await flowFor(await start({ OIDC_ALLOWED_GROUPS: "platform-admins" }));
      const again = await atProvider(strict, "bob");
      await assert.rejects(
        strict.finish(again.query, again.flowCookie, "c"),
        refusedWith(403, /bob is not in a group allowed to use this dashboard; ask/),
      );
      assert.deepEqual([audit.at(-1)?.outcome, audit.at(-1)?.username], ["refused", "bob"]);
      assert.match(logged.join("\n"), /refused bob: .*OIDC_ALLOWED_GROUPS=platform-admins/);
      assert.equal(await auth.authenticate(before.token), null, "the session ended");
      assert.equal(await auth.authenticate(apiToken.token), null, "the API token ended");
    });

    await t.step("a disabled account is refused", async () => {
      const bob = (await auth.listUsers()).find((u) => u.username === "bob")!;
      await auth.updateUser(bob.id, { disabled: true });
      const a = await atProvider(flow, "bob");
      await assert.rejects(
        flow.finish(a.query, a.flowCookie, "c"),
        refusedWith(403, /is disabled/),
      );
      assert.equal(audit.at(-1)?.outcome, "disabled");
    });

    /** An ID token straight from the provider (the flow's steps by hand). */
    const idToken = async (p: OidcProvider, nonce: string) => {
      const verifier = "v".repeat(50);
      const url = await p.authorizationUrl({
        state: "s".repeat(20),
        nonce,
        verifier,
        redirectUri: REDIRECT,
      });
      const back = await idp.signIn(url, "alice", "alice-pw-123");
      return await p.exchangeCode(back.searchParams.get("code")!, verifier, REDIRECT);
    };

    await t.step("ID tokens this dashboard must not accept", async () => {
      const nonce = "n".repeat(30);
      const token = await idToken(provider, nonce);
      const claims = await provider.verifyIdToken(token, nonce);
      assert.equal(claims.sub, "u-alice");
      const [head, body, sig] = token.split(".");
      const flipped = sig.slice(0, 10) + (sig[10] === "A" ? "B" : "A") + sig.slice(11);
      const none = `${encodeBase64Url(new TextEncoder().encode('{"alg":"none"}'))}.${body}.`;
      const other = await start({ OIDC_CLIENT_ID: "other", OIDC_CLIENT_SECRET: "other-secret" });
      const cases: [string, () => Promise<unknown>, RegExp][] = [
        ["another sign-in's nonce", () => provider.verifyIdToken(token, "other-nonce"), /nonce/],
        [
          "a changed signature",
          () => provider.verifyIdToken(`${head}.${body}.${flipped}`, nonce),
          /signature/,
        ],
        ["alg none", () => provider.verifyIdToken(none, nonce), /not valid/],
        ["issued to another client", () => other.verifyIdToken(token, nonce), /"aud"/],
        [
          "expired",
          () => provider.verifyIdToken(token, nonce, new Date(Date.now() + 2 * 3600_000)),
          /"exp"/,
        ],
      ];
      for (const [name, verify, message] of cases) {
        await assert.rejects(
          verify(),
          (err: unknown) => err instanceof IdTokenRefused && message.test(err.message),
          name,
        );
      }
    });

    await t.step("the provider rotates its key: new tokens verify, old ones do not", async () => {
      const nonce = "r".repeat(30);
      const old = await idToken(provider, nonce);
      await idp.restart();
      const fresh = await idToken(provider, nonce);
      assert.equal((await provider.verifyIdToken(fresh, nonce)).sub, "u-alice");
      await assert.rejects(provider.verifyIdToken(old, nonce), IdTokenRefused);
      const a = await atProvider(flow, "alice");
      assert.ok((await flow.finish(a.query, a.flowCookie, "c")).token, "the flow too");
    });

    await t.step(
      "the provider away: sign-in fails with 502, discovery at start refuses",
      async () => {
        const a = await atProvider(flow, "alice");
        await idp.stop();
        try {
          await assert.rejects(
            flow.finish(a.query, a.flowCookie, "c"),
            refusedWith(502, /Test IdP is not answering|cannot reach/),
          );
          await assert.rejects(discover(idp.issuer), ProviderError);
          // Sign-ins can still start (the discovery document read at start is kept).
          assert.ok((await flow.start("/")).location.startsWith(idp.issuer));
        } finally {
          await idp.restart();
        }
      },
    );

    await t.step(
      "made-up codes do not make the dashboard re-read the provider each time",
      async () => {
        const read = provider.discovery;
        for (let i = 0; i < 5; i++) {
          const { location, flowCookie } = await flow.start("/");
          const state = new URL(location).searchParams.get("state")!;
          await assert.rejects(
            flow.finish({ code: `made-up-${i}`, state }, flowCookie, "c"),
            refusedWith(502, /invalid_grant/),
          );
        }
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(provider.discovery, read, "no read within a minute of the last");
        // Without the limit, a failed sign-in reads the document again.
        const eager = await start({}, { minRediscoverMs: 0 });
        const eagerFlow = await flowFor(eager);
        const before = eager.discovery;
        const { location, flowCookie } = await eagerFlow.start("/");
        const state = new URL(location).searchParams.get("state")!;
        await assert.rejects(eagerFlow.finish({ code: "made-up", state }, flowCookie, "c"));
        for (let i = 0; i < 40 && eager.discovery === before; i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.notEqual(eager.discovery, before, "read again");
      },
    );

    await t.step("an issuer URL that is not the provider's own name is refused", async () => {
      const aliased = idp.issuer.replace("127.0.0.1", "localhost");
      await assert.rejects(
        discover(aliased),
        /names the issuer .* set OIDC_ISSUER_URL to the provider's issuer exactly/,
      );
    });
  } finally {
    providers.forEach((p) => p.stop());
    await db.close();
    await idp.stop();
  }
});
