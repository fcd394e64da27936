// Single sign-on's pages (sso.tsx) and the sign-in page's single-sign-on parts (login.tsx) with a
// scripted SingleSignOn: the flow cookie's and the session cookie's attributes, where the browser
// is sent, the error pages, and what the sign-in page offers. The real flow against a real
// OpenID provider: web/e2e/sso_e2e_test.ts.
import assert from "node:assert/strict";
import { Hono } from "hono";
import type { SingleSignOn, WebDeps, WebEnv, WebUser } from "../deps.ts";
import { ssoRoutes } from "./sso.tsx";
import { loginRoutes } from "./login.tsx";

interface Call {
  query: Record<string, string>;
  flowCookie: string | undefined;
  client: string;
}

class ProviderError extends Error {
  constructor(readonly status: number, readonly title: string, message: string) {
    super(message);
  }
}

function fakeSso(opts: {
  start?: (next: string) => Promise<{ location: string; flowCookie: string }>;
  finish?: (call: Call) => Promise<{ token: string; expiresAt: Date; next: string }>;
  endSession?: string | null;
} = {}): SingleSignOn & { starts: string[]; finishes: Call[] } {
  const starts: string[] = [];
  const finishes: Call[] = [];
  return {
    name: "Acme Login",
    starts,
    finishes,
    start(next) {
      starts.push(next);
      return opts.start?.(next) ??
        Promise.resolve({ location: "https://idp.example/authorize?x=1", flowCookie: "sealed" });
    },
    finish(query, flowCookie, client) {
      finishes.push({ query, flowCookie, client });
      return opts.finish?.({ query, flowCookie, client }) ??
        Promise.resolve({
          token: "kds_new",
          expiresAt: new Date(Date.now() + 3600_000),
          next: "/clusters/abc",
        });
    },
    endSessionUrl: () => opts.endSession ?? null,
  };
}

const signedIn: WebUser = {
  id: "u1",
  username: "ada@example.com",
  role: "admin",
  groups: [],
  source: "sso",
  created_at: new Date(),
};

function app(
  sso: SingleSignOn | null,
  more: Partial<WebDeps> = {},
): Hono<WebEnv> {
  const deps = {
    sessionUser: (token: string) => Promise.resolve(token === "kds_valid" ? signedIn : null),
    sso,
    localLogin: true,
    secureCookies: false,
    clientAddress: () => "203.0.113.7",
    ...more,
  } as unknown as WebDeps;
  const a = new Hono<WebEnv>();
  loginRoutes(a, deps, Promise.resolve());
  ssoRoutes(a, deps, Promise.resolve());
  return a;
}

/** The Set-Cookie header of `name`, split into its attributes (lowercase names). */
function cookie(res: Response, name: string): Map<string, string> | undefined {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!line) return undefined;
  return new Map(
    line.split(/;\s*/).map((part, i) => {
      const eq = part.indexOf("=");
      const key = eq < 0 ? part : part.slice(0, eq);
      return [i === 0 ? "value" : key.toLowerCase(), eq < 0 ? "" : part.slice(eq + 1)];
    }),
  );
}

Deno.test("GET /auth/oidc/start: the flow cookie (Lax, its path, 10 min) and a 303 to the provider", async () => {
  const sso = fakeSso();
  const res = await app(sso).request("/auth/oidc/start?next=%2Fclusters%2Fx%3Ftab%3Dyaml");
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "https://idp.example/authorize?x=1");
  assert.deepEqual(sso.starts, ["/clusters/x?tab=yaml"]);
  const flow = cookie(res, "kd_sso");
  assert.ok(flow, "the flow cookie is set");
  assert.equal(flow.get("value"), "sealed");
  assert.equal(flow.get("path"), "/auth/oidc");
  assert.equal(flow.get("max-age"), "600");
  assert.equal(flow.get("samesite"), "Lax");
  assert.ok(flow.has("httponly"));
  assert.ok(!flow.has("secure"), "plain http: not Secure");

  const secure = await app(fakeSso(), { secureCookies: true }).request("/auth/oidc/start");
  assert.ok(cookie(secure, "kd_sso")?.has("secure"), "https: Secure");
});

Deno.test("GET /auth/oidc/start: `next` stays a dashboard page", async () => {
  for (
    const next of [
      "//evil.example/x",
      "https://evil.example/",
      "/api/tokens",
      "/login",
      "/auth/oidc/callback",
    ]
  ) {
    const sso = fakeSso();
    await app(sso).request(`/auth/oidc/start?next=${encodeURIComponent(next)}`);
    assert.deepEqual(sso.starts, ["/clusters"], next);
  }
});

Deno.test("GET /auth/oidc/start: signed in already, on to `next`", async () => {
  const sso = fakeSso();
  const res = await app(sso).request("/auth/oidc/start?next=/admin/users", {
    headers: { cookie: "kd_session=kds_valid" },
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/admin/users");
  assert.deepEqual(sso.starts, []);
});

Deno.test("GET /auth/oidc/start: a provider that cannot be reached gives its error page", async () => {
  const sso = fakeSso({
    start: () =>
      Promise.reject(
        new ProviderError(502, "Identity provider unreachable", "Try again in a minute."),
      ),
  });
  const res = await app(sso).request("/auth/oidc/start");
  assert.equal(res.status, 502);
  assert.equal(cookie(res, "kd_sso"), undefined, "no flow cookie");
  const html = await res.text();
  assert.match(html, /Identity provider unreachable/);
  assert.match(html, /Try again in a minute\./);
  assert.match(html, /href="\/login"[^>]*>[\s\S]*Back to sign-in/);
});

Deno.test("GET /auth/oidc/callback: the session cookie as the password login sets it, a page that moves on", async () => {
  const sso = fakeSso();
  const res = await app(sso).request("/auth/oidc/callback?code=c1&state=s1", {
    headers: { cookie: "kd_sso=sealed" },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(sso.finishes.map((f) => ({ ...f, query: { ...f.query } })), [{
    query: { code: "c1", state: "s1" },
    flowCookie: "sealed",
    client: "203.0.113.7",
  }]);
  const session = cookie(res, "kd_session");
  assert.ok(session, "the session cookie is set");
  assert.equal(session.get("value"), "kds_new");
  assert.equal(session.get("path"), "/");
  assert.equal(session.get("samesite"), "Strict");
  assert.ok(session.has("httponly"));
  assert.ok(!session.has("secure"));
  const maxAge = Number(session.get("max-age"));
  assert.ok(maxAge > 3590 && maxAge <= 3600, `Max-Age from expiresAt: ${maxAge}`);
  const flow = cookie(res, "kd_sso");
  assert.equal(flow?.get("value"), "", "the flow cookie goes");
  assert.equal(flow?.get("path"), "/auth/oidc");
  assert.equal(flow?.get("max-age"), "0");
  const html = await res.text();
  assert.match(html, /<meta http-equiv="refresh" content="0; url=\/clusters\/abc">/);
  assert.match(html, /You are signed in/);
  assert.equal(res.headers.get("cache-control"), "no-store");
});

Deno.test("GET /auth/oidc/callback: an unsafe `next` from the flow lands on /clusters", async () => {
  const sso = fakeSso({
    finish: () =>
      Promise.resolve({ token: "t", expiresAt: new Date(Date.now() + 60_000), next: "//evil" }),
  });
  const res = await app(sso).request("/auth/oidc/callback?code=c&state=s");
  assert.match(await res.text(), /url=\/clusters">/);
});

Deno.test("GET /auth/oidc/callback: a refusal is the error page, with its status, and the flow cookie goes", async () => {
  const sso = fakeSso({
    finish: () =>
      Promise.reject(
        new ProviderError(
          403,
          "Not allowed to sign in",
          "You are in none of the groups this dashboard admits.",
        ),
      ),
  });
  const res = await app(sso).request("/auth/oidc/callback?code=c&state=s", {
    headers: { cookie: "kd_sso=sealed" },
  });
  assert.equal(res.status, 403);
  assert.equal(cookie(res, "kd_session"), undefined, "no session");
  assert.equal(cookie(res, "kd_sso")?.get("max-age"), "0");
  const html = await res.text();
  assert.match(html, /Not allowed to sign in/);
  assert.match(html, /none of the groups/);
  assert.match(html, /Back to sign-in/);
  assert.doesNotMatch(html, /http-equiv="refresh"/);

  // Anything else: a 500 page (and logged).
  const log = console.error;
  console.error = () => {};
  try {
    const broken = fakeSso({ finish: () => Promise.reject(new Error("boom")) });
    const res500 = await app(broken).request("/auth/oidc/callback?code=c&state=s");
    assert.equal(res500.status, 500);
    assert.match(await res500.text(), /Something went wrong/);
  } finally {
    console.error = log;
  }
});

Deno.test("without single sign-on, /auth/oidc/* is the 404 page", async () => {
  for (const path of ["/auth/oidc/start", "/auth/oidc/callback?code=x"]) {
    const res = await app(null).request(path);
    assert.equal(res.status, 404, path);
    const html = await res.text();
    assert.match(html, /Single sign-on is not set up/);
    assert.match(html, /Back to sign-in/);
    assert.equal(cookie(res, "kd_session"), undefined);
  }
});

Deno.test("the sign-in page: the provider's button, the password form unless turned off, signing out of the provider", async () => {
  const local = await (await app(null).request("/login?next=/admin/users")).text();
  assert.doesNotMatch(local, /data-testid="sso-sign-in"/);
  assert.match(local, /data-island="LoginForm"/);
  assert.match(local, /Use your dashboard account\./);

  const both = await (await app(fakeSso()).request("/login?next=/admin/users%3Fx%3D1")).text();
  assert.match(
    both,
    /<a href="\/auth\/oidc\/start\?next=%2Fadmin%2Fusers%3Fx%3D1"[^>]*data-testid="sso-sign-in"/,
  );
  assert.match(both, /Sign in with Acme Login/);
  assert.match(both, /data-island="LoginForm"/);
  assert.match(both, />\s*or\s*</);

  const ssoOnly = await (await app(fakeSso(), { localLogin: false }).request("/login")).text();
  assert.match(ssoOnly, /data-testid="sso-sign-in"/);
  assert.doesNotMatch(ssoOnly, /data-island="LoginForm"/);
  assert.doesNotMatch(ssoOnly, /type="password"/);
  assert.match(ssoOnly, /Use your Acme Login account\./);

  const url = "https://idp.example/logout?client_id=dash";
  const out = await (await app(fakeSso({ endSession: url })).request("/login?signed_out=1"))
    .text();
  assert.match(out, /You are signed out of the dashboard\./);
  assert.match(
    out,
    /<a href="https:\/\/idp\.example\/logout\?client_id=dash"[^>]*data-testid="sso-end-session"/,
  );
  assert.match(out, /Also sign out of Acme Login/);
  const noEnd = await (await app(fakeSso()).request("/login?signed_out=1")).text();
  assert.match(noEnd, /You are signed out of the dashboard\./);
  assert.doesNotMatch(noEnd, /sso-end-session/);
  const plain = await (await app(fakeSso({ endSession: url })).request("/login")).text();
  assert.doesNotMatch(plain, /signed out/);
});
