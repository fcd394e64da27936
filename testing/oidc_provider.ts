// A real OpenID provider for the single-sign-on tests: tools/oidc's test-oidc-provider (zitadel/oidc,
// built from the Go module proxy by tools/oidc/build.sh) run as a child process on a loopback
// port, with the users (and their groups) and clients a test gives. `restart()` brings it back on
// the same issuer with a new signing key (a key rotation); `signIn()` walks its authorization
// flow without a browser, as a person typing their password would, and returns the redirect back
// to the client (with its code and state). `signInThroughDashboard()` does the whole sign-in
// through a dashboard's single-sign-on pages, as a browser would.
import { join } from "node:path";
import { Proc, run, waitForReady } from "../tools/testenv/process.ts";
import { ROOT } from "./harness.ts";
import { SESSION_COOKIE, SSO_FLOW_COOKIE } from "../common/session.ts";

export interface ProviderUser {
  id: string;
  username: string;
  password: string;
  email: string;
  groups: string[];
}

export interface ProviderClient {
  id: string;
  secret: string;
  redirect_uris: string[];
  /** Where the end-session endpoint may send the browser back to. */
  post_logout_redirect_uris?: string[];
}

export interface TestOidcProvider {
  /** http://127.0.0.1:<port>, the same across restarts. */
  readonly issuer: string;
  /** Stops the provider (sign-ins and discovery fail until restart()). */
  stop(): Promise<void>;
  /** Starts it again on the same address with a new signing key. */
  restart(): Promise<void>;
  /**
   * Follows `authorizeUrl` (the provider's authorization endpoint with a client's parameters),
   * signs in as `username` and returns the URL the provider sends the browser back to.
   */
  signIn(authorizeUrl: string, username: string, password: string): Promise<URL>;
}

let built: Promise<string> | undefined;

/** The provider binary, built once per test process (tools/oidc/build.sh caches it). */
function providerBinary(): Promise<string> {
  built ??= run("bash", [join(ROOT, "tools/oidc/build.sh")]).then((out) => out.trim());
  return built;
}

export async function startOidcProvider(
  opts: { users: ProviderUser[]; clients: ProviderClient[] },
): Promise<TestOidcProvider> {
  const bin = await providerBinary();
  const dir = await Deno.makeTempDir({ prefix: "kd-oidc-" });
  const configFile = join(dir, "provider.json");
  await Deno.writeTextFile(configFile, JSON.stringify(opts));
  let listen = "127.0.0.1:0";
  let generation = 0;
  let proc: Proc | undefined;
  let issuer = "";

  const start = async () => {
    const log = join(dir, `provider-${++generation}.log`);
    const p = new Proc("test-oidc-provider", bin, ["-listen", listen, "-config", configFile], log);
    proc = p;
    await waitForReady("the test OpenID provider's issuer line", 20_000, async () => {
      const line = /^issuer (\S+)$/m.exec(await Deno.readTextFile(log).catch(() => ""));
      if (!line) return false;
      issuer = line[1];
      return true;
    }, [p]);
    listen = new URL(issuer).host;
    await waitForReady("the test OpenID provider's discovery", 20_000, async () => {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`).catch(() => null);
      await res?.body?.cancel();
      return res?.ok === true;
    }, [p]);
  };
  await start();

  return {
    get issuer() {
      return issuer;
    },
    async stop() {
      await proc?.kill();
      proc = undefined;
    },
    async restart() {
      await proc?.kill();
      await start();
    },
    async signIn(authorizeUrl, username, password) {
      // Each step answers with a redirect: authorize -> login form -> callback -> the client.
      const step = async (url: string | URL, init?: RequestInit) => {
        const res = await fetch(url, { ...init, redirect: "manual" });
        const text = await res.text();
        const location = res.headers.get("location");
        if (res.status < 300 || res.status > 399 || !location) {
          throw new Error(`test provider: ${url} answered ${res.status} without redirect: ${text}`);
        }
        return new URL(location, url);
      };
      const loginPage = await step(authorizeUrl);
      const requestId = loginPage.searchParams.get("authRequestID");
      if (!requestId) throw new Error(`test provider: no authRequestID in ${loginPage}`);
      const afterLogin = await step(new URL("/login/username", issuer), {
        method: "POST",
        body: new URLSearchParams({ id: requestId, username, password }),
      });
      return afterLogin.origin === new URL(issuer).origin ? await step(afterLogin) : afterLogin;
    },
  };
}

/** What signing in through a dashboard's single-sign-on pages gave, step by step. */
export interface DashboardSignIn {
  /** GET /auth/oidc/start's answer (a 303 to the provider, with the flow cookie). */
  start: Response;
  /** The flow cookie's value. */
  flowCookie: string;
  /** GET /auth/oidc/callback's answer and its page. */
  callback: Response;
  page: string;
  /** The session token the callback set as the session cookie ("" when it set none). */
  session: string;
}

/** The value of cookie `name` in a response's Set-Cookie headers, and its attributes. */
export function setCookie(
  res: Response,
  name: string,
): { value: string; attrs: string } | undefined {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(";").map((s) => s.trim());
    if (pair.startsWith(`${name}=`)) {
      return { value: pair.slice(name.length + 1), attrs: attrs.join("; ") };
    }
  }
}

/**
 * Signs `username` in through a dashboard's /auth/oidc pages as a browser would, with `fetchPath`
 * (a fetch of a path on the dashboard): start, the provider's login, the callback with the flow
 * cookie.
 */
export async function signInThroughDashboard(
  fetchPath: (path: string, init?: RequestInit) => Promise<Response>,
  idp: TestOidcProvider,
  who: { username: string; password: string },
  next = "/clusters",
): Promise<DashboardSignIn> {
  const start = await fetchPath(`/auth/oidc/start?next=${encodeURIComponent(next)}`, {
    redirect: "manual",
  });
  await start.body?.cancel();
  const flowCookie = setCookie(start, SSO_FLOW_COOKIE)?.value;
  const location = start.headers.get("location");
  if (start.status !== 303 || !flowCookie || !location) {
    throw new Error(`/auth/oidc/start answered ${start.status} without a flow cookie or location`);
  }
  const back = await idp.signIn(location, who.username, who.password);
  const callback = await fetchPath(`${back.pathname}${back.search}`, {
    redirect: "manual",
    headers: { cookie: `${SSO_FLOW_COOKIE}=${flowCookie}` },
  });
  const page = await callback.text();
  return {
    start,
    flowCookie,
    callback,
    page,
    session: setCookie(callback, SESSION_COOKIE)?.value ?? "",
  };
}
