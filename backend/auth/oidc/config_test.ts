// The OIDC_* settings: what is accepted (and its defaults) and what is refused with which words.
import assert from "node:assert/strict";
import { loadOidcConfig } from "./config.ts";
import { ConfigError, loadConfig } from "../../config.ts";

const problem = (message: string) => new Error(message);
const load = (env: Record<string, string>) => loadOidcConfig((n) => env[n], problem);
const BASE = { OIDC_ISSUER_URL: "https://login.example.com/realms/ops", OIDC_CLIENT_ID: "dash" };

Deno.test("OIDC settings: unset means no single sign-on", () => {
  assert.equal(load({}), undefined);
});

Deno.test("OIDC settings: defaults", () => {
  const c = load(BASE)!;
  assert.equal(c.issuerUrl, "https://login.example.com/realms/ops");
  assert.equal(c.providerName, "login.example.com");
  assert.deepEqual(c.scopes, ["openid", "profile", "email", "groups"]);
  assert.equal(c.usernameClaim, "preferred_username");
  assert.equal(c.groupsClaim, "groups");
  assert.deepEqual(c.allowedGroups, []);
  assert.equal(c.roleMapping.size, 0);
  assert.equal(c.defaultRole, "none");
  assert.equal(c.clientSecret, undefined, "no secret: a public client");
});

Deno.test("OIDC settings: accepted values", () => {
  const cases: [
    string,
    Record<string, string>,
    (c: NonNullable<ReturnType<typeof load>>) => void,
  ][] = [
    [
      "trailing slash dropped",
      { OIDC_ISSUER_URL: "https://idp.example/" },
      (c) => assert.equal(c.issuerUrl, "https://idp.example"),
    ],
    [
      "http on loopback",
      { OIDC_ISSUER_URL: "http://127.0.0.1:5556/dex" },
      (c) => assert.equal(c.issuerUrl, "http://127.0.0.1:5556/dex"),
    ],
    [
      "http on localhost",
      { OIDC_ISSUER_URL: "http://localhost:8080" },
      (c) => assert.equal(c.providerName, "localhost:8080"),
    ],
    [
      "scopes with spaces or commas",
      { OIDC_SCOPES: "openid email, groups" },
      (c) => assert.deepEqual(c.scopes, ["openid", "email", "groups"]),
    ],
    [
      "role mapping and allowed groups",
      {
        OIDC_ROLE_MAPPING: "platform-admins=admin, developers=editor,auditors=viewer",
        OIDC_ALLOWED_GROUPS: "platform-admins,developers",
        OIDC_DEFAULT_ROLE: "viewer",
      },
      (c) => {
        assert.deepEqual([...c.roleMapping], [
          ["platform-admins", "admin"],
          ["developers", "editor"],
          ["auditors", "viewer"],
        ]);
        assert.deepEqual(c.allowedGroups, ["platform-admins", "developers"]);
        assert.equal(c.defaultRole, "viewer");
      },
    ],
    ["custom claims and name", {
      OIDC_USERNAME_CLAIM: "email",
      OIDC_GROUPS_CLAIM: "https://example.com/groups",
      OIDC_PROVIDER_NAME: "Okta",
      OIDC_CLIENT_SECRET: "s3cret",
    }, (c) => {
      assert.equal(c.usernameClaim, "email");
      assert.equal(c.groupsClaim, "https://example.com/groups");
      assert.equal(c.providerName, "Okta");
      assert.equal(c.clientSecret, "s3cret");
    }],
  ];
  for (const [name, env, check] of cases) {
    const c = load({ ...BASE, ...env });
    assert.ok(c, name);
    check(c);
  }
});

Deno.test("OIDC settings: refused values say what to fix", () => {
  const cases: [Record<string, string | undefined>, RegExp][] = [
    [
      { OIDC_ISSUER_URL: undefined, OIDC_CLIENT_ID: "x" },
      /OIDC_CLIENT_ID set without OIDC_ISSUER_URL/,
    ],
    [{ OIDC_ISSUER_URL: undefined, OIDC_ROLE_MAPPING: "a=admin" }, /without OIDC_ISSUER_URL/],
    [{ OIDC_ISSUER_URL: "http://idp.example.com" }, /https issuer URL.*http only for localhost/],
    [{ OIDC_ISSUER_URL: "https://idp.example.com/?x=1" }, /without query/],
    [{ OIDC_ISSUER_URL: "https://user:pw@idp.example.com" }, /must be the provider's https issuer/],
    [{ OIDC_ISSUER_URL: "not a url" }, /must be the provider's https issuer/],
    [{ OIDC_CLIENT_ID: "" }, /OIDC_CLIENT_ID is required/],
    [{ OIDC_SCOPES: "profile email" }, /must include openid/],
    [{ OIDC_USERNAME_CLAIM: "a b" }, /OIDC_USERNAME_CLAIM=.* is not a claim name/],
    [{ OIDC_ROLE_MAPPING: "developers" }, /not group=role \(example/],
    [{ OIDC_ROLE_MAPPING: "developers=owner" }, /"owner" is not a role/],
    [{ OIDC_ROLE_MAPPING: "Dev Ops=admin" }, /group "Dev Ops": use the provider's group name/],
    [{ OIDC_ALLOWED_GROUPS: "ok,BAD GROUP" }, /OIDC_ALLOWED_GROUPS: group "BAD GROUP"/],
    [{ OIDC_DEFAULT_ROLE: "root" }, /OIDC_DEFAULT_ROLE: "root" is not a role/],
  ];
  for (const [env, message] of cases) {
    const merged = { ...BASE, ...env };
    const defined = Object.fromEntries(
      Object.entries(merged).filter(([, v]) => v !== undefined),
    ) as Record<string, string>;
    assert.throws(() => load(defined), message, JSON.stringify(env));
  }
});

Deno.test("OIDC settings in the dashboard's configuration: flags, secrets, local login", async (t) => {
  const env = { OIDC_ISSUER_URL: "https://idp.example", OIDC_CLIENT_ID: "dash" };
  await t.step("flags override the environment; the secret has no flag", () => {
    const c = loadConfig({ ...env, OIDC_CLIENT_SECRET: "s" }, [
      "--oidc-client-id=from-flag",
      "--oidc-role-mapping=ops=admin",
      "--oidc-local-login=false",
    ]);
    assert.equal(c.oidc?.clientId, "from-flag");
    assert.equal(c.oidc?.clientSecret, "s");
    assert.deepEqual([...c.oidc!.roleMapping], [["ops", "admin"]]);
    assert.equal(c.localLogin, false);
    assert.throws(
      () => loadConfig(env, ["--oidc-client-secret=s"]),
      /Unknown option '--oidc-client-secret'/,
    );
  });
  await t.step("local login: on by default, off only with single sign-on", () => {
    assert.equal(loadConfig({}).localLogin, true);
    assert.equal(loadConfig({}).oidc, undefined);
    assert.equal(loadConfig({ ...env, OIDC_LOCAL_LOGIN: "no" }).localLogin, false);
    assert.throws(
      () => loadConfig({ OIDC_LOCAL_LOGIN: "false" }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /OIDC_LOCAL_LOGIN=false needs single sign-on/.test(err.message),
    );
    assert.throws(
      () => loadConfig({ ...env, OIDC_LOCAL_LOGIN: "maybe" }),
      (err: unknown) => err instanceof ConfigError && /OIDC_LOCAL_LOGIN/.test(err.message),
    );
    assert.throws(
      () => loadConfig({ OIDC_CLIENT_ID: "dash" }),
      (err: unknown) => err instanceof ConfigError && /without OIDC_ISSUER_URL/.test(err.message),
    );
  });
});
