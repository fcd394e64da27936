// Starts a real dashboard (backend/server.ts's startDashboard: store, API, proxy, agent tunnel,
// event stream and the web UI) for E2E tests and as a dev server:
//
//   deno run -A web/e2e/harness.ts        (PORT=8088, DATA_DIR=<tmp>; admin / admin-password-123)
//
// It serves plain HTTP and gRPC on loopback so the browser needs no certificate exception.
import { loadConfig } from "../../backend/config.ts";
import { buildWeb } from "../build.ts";
import { type Dashboard, startDashboard } from "../../backend/server.ts";
import type { AuthService } from "../../backend/auth/service.ts";
import assert from "node:assert/strict";
import { type ControlPlane, sharedControlPlane } from "../../tools/testenv/mod.ts";
import {
  type Browser,
  type BrowserContext,
  chromium,
  type ConsoleMessage,
  type Page,
} from "playwright-core";

export interface TestDashboard {
  /** Where the browser goes. */
  url: string;
  dashboard: Dashboard;
  auth: AuthService;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startWebDashboard(
  opts: {
    adminPassword: string;
    dataDir?: string;
    port?: number;
    /** AGENT_HEARTBEAT_SECONDS (agents' heartbeat interval; the status deadlines scale with it). */
    heartbeatSeconds?: number;
    /**
     * More settings, over the ones above (the OIDC_* variables of single sign-on, PUBLIC_URL with
     * `port` for its redirect URI).
     */
    env?: Record<string, string>;
  },
): Promise<TestDashboard> {
  const dataDir = opts.dataDir ?? await Deno.makeTempDir({ prefix: "kd-web-" });
  const config = loadConfig({
    HTTP_ADDR: `127.0.0.1:${opts.port ?? 0}`,
    HTTP_INSECURE: "true",
    GRPC_ADDR: "127.0.0.1:0",
    GRPC_INSECURE: "true",
    DATA_DIR: dataDir,
    ADMIN_PASSWORD: opts.adminPassword,
    LOG_LEVEL: "warn",
    ...(opts.heartbeatSeconds ? { AGENT_HEARTBEAT_SECONDS: String(opts.heartbeatSeconds) } : {}),
    ...opts.env,
  });
  const dashboard = await startDashboard(config);
  return {
    url: dashboard.url,
    dashboard,
    auth: dashboard.auth,
    dataDir,
    stop: async () => {
      await dashboard.stop();
      if (!opts.dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Records every Content-Security-Policy violation in the context's pages into `into`: the
 * `securitypolicyviolation` events (directive, blocked URL, page) and console messages that name
 * the policy. Tests assert the list is empty (or holds exactly the attacks they made).
 */
export async function watchCsp(context: BrowserContext, into: string[]): Promise<void> {
  await context.exposeBinding("__kdCspViolation", (_source, violation: string) => {
    into.push(`CSP violation: ${violation}`);
  });
  await context.addInitScript(() => {
    const report = (globalThis as unknown as { __kdCspViolation(v: string): void })
      .__kdCspViolation;
    document.addEventListener("securitypolicyviolation", (e) => {
      report(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} on ${e.documentURI}`);
    });
  });
  context.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) into.push(`console: ${msg.text()}`);
  });
}

// ---------------------------------------------------------------------------------------------
// The browser side: Chromium, hydration, signing in, a cluster to browse

/** The Chromium the browser tests drive (the Debian package unless CHROMIUM_PATH says). */
export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Headless Chromium; launch() gives every run a fresh temporary profile, removed on close. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Runs `fn` with a fresh web dashboard (admin's password given) and headless Chromium, and
 * closes both afterwards, whatever happened.
 */
export async function withDashboardAndBrowser<T>(
  adminPassword: string,
  fn: (dash: TestDashboard, browser: Browser) => Promise<T>,
): Promise<T> {
  const dash = await startWebDashboard({ adminPassword });
  try {
    const browser = await launchBrowser();
    try {
      return await fn(dash, browser);
    } finally {
      await browser.close();
    }
  } finally {
    await dash.stop();
  }
}

/** What a browser test on the shared control plane works with (webSceneTest). */
export interface WebScene {
  cp: ControlPlane;
  dash: TestDashboard;
  browser: Browser;
  /** The dashboard's URL. */
  base: string;
  /** A new browser session (newSession), closed after the test. */
  session(opts?: SessionOptions): Promise<BrowserSession>;
  /** Work to do after the test, before its sessions close: the last deferred runs first. */
  defer(cleanup: () => unknown): void;
}

/**
 * A Deno.test body on the shared control plane with a web dashboard (its admin's password given)
 * and headless Chromium, the web assets built first. Afterwards, whatever happened: the deferred
 * cleanups (last first), every session, the browser, the dashboard.
 */
export function webSceneTest(
  adminPassword: string,
  body: (t: Deno.TestContext, scene: WebScene) => Promise<void>,
): (t: Deno.TestContext) => Promise<void> {
  return async (t) => {
    await currentWebBuild();
    const [cp, dash, browser] = await Promise.all([
      sharedControlPlane(),
      startWebDashboard({ adminPassword }),
      launchBrowser(),
    ]) as [ControlPlane, TestDashboard, Browser];
    const sessions: BrowserSession[] = [];
    const cleanups: (() => unknown)[] = [];
    try {
      await body(t, {
        cp,
        dash,
        browser,
        base: dash.url,
        async session(opts) {
          const s = await newSession(browser, opts);
          sessions.push(s);
          return s;
        },
        defer: (cleanup) => cleanups.push(cleanup),
      });
    } finally {
      for (const cleanup of cleanups.reverse()) {
        await Promise.resolve().then(cleanup).catch(() => {});
      }
      for (const s of sessions) await s.context.close().catch(() => {});
      await browser.close().catch(() => {});
      await dash.stop();
    }
  };
}

/** Waits until the page's islands have hydrated, and fails if any of them did not. */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForSelector("html[data-hydrated]");
  assert.equal(
    await page.getAttribute("html", "data-hydrated"),
    "true",
    `${page.url()} hydrated every island`,
  );
}

/** Fills the login form of the page (the login page, hydrated) with a username and password. */
export async function fillLogin(page: Page, username: string, password: string): Promise<void> {
  await page.fill("#username", username);
  await page.fill("#password", password);
}

/**
 * Signs in through the login form of the page (the login page, as opened or redirected to) and
 * waits until the browser has landed on `next` (a path; its query is not compared), hydrated.
 */
export async function signIn(
  page: Page,
  username: string,
  password: string,
  next = "/clusters",
): Promise<void> {
  await hydrated(page);
  await fillLogin(page, username, password);
  await page.click("button[type=submit]");
  await page.waitForURL((u) => u.pathname === next.split("?")[0]);
  await hydrated(page);
}

/**
 * Adds a kubeconfig cluster (a fake API server's, say) as admin through the REST API, with the
 * context's request client: that signs the context in (its session cookie). Returns the id.
 */
export async function addKubeconfigCluster(
  context: BrowserContext,
  base: string,
  adminPassword: string,
  cluster: { name: string; kubeconfig: string },
): Promise<string> {
  const login = await context.request.post(`${base}/api/auth/login`, {
    data: { username: "admin", password: adminPassword },
  });
  assert.equal(login.status(), 200, await login.text());
  const token = (await login.json() as { token: string }).token;
  const added = await context.request.post(`${base}/api/clusters`, {
    headers: { authorization: `Bearer ${token}` },
    data: cluster,
  });
  assert.equal(added.status(), 201, await added.text());
  return (await added.json() as { id: string }).id;
}

if (import.meta.main) {
  const d = await startWebDashboard({
    adminPassword: "admin-password-123",
    port: Number(Deno.env.get("PORT") ?? 8088),
    dataDir: Deno.env.get("DATA_DIR"),
  });
  console.log(
    `dashboard with web UI at ${d.url} (admin / admin-password-123), data in ${d.dataDir}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Sessions and REST calls shared by the browser tests

/** A browser context of its own, with what went wrong in it. */
export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** CSP violations, console errors and uncaught exceptions. */
  problems: string[];
}

/** How newSession sets up a session. */
export interface SessionOptions {
  timeoutMs?: number;
  expected?: (msg: ConsoleMessage) => boolean;
}

/**
 * A new context (1280×860, every wait `timeoutMs`) and page that record CSP violations, console
 * errors and uncaught exceptions into `problems`; `expected` says which console errors a test
 * causes on purpose (a refused request it asserts on its own).
 */
export async function newSession(
  browser: Browser,
  opts: SessionOptions = {},
): Promise<BrowserSession> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(opts.timeoutMs ?? 20_000);
  const problems: string[] = [];
  await watchCsp(context, problems);
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() !== "error" || opts.expected?.(msg)) return;
    problems.push(`console: ${msg.text()} (${msg.location()?.url ?? ""})`);
  });
  page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
  return { context, page, problems };
}

/** Signs the session in through the login form, landing on /clusters. */
export async function signInSession(
  s: BrowserSession,
  base: string,
  username: string,
  password: string,
): Promise<void> {
  await s.page.goto(`${base}/clusters`);
  await s.page.waitForURL(/\/login\?next=/);
  await signIn(s.page, username, password, "/clusters");
}

/** A REST call with a bearer token; the body as text and, when it is JSON, parsed. */
export async function restCall(
  base: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, json, text };
}

/** Creates local users as the admin (`[username, password, role]` each); fails on any refusal. */
export async function createUsers(
  base: string,
  adminToken: string,
  users: readonly (readonly [string, string, string])[],
): Promise<void> {
  for (const [username, password, role] of users) {
    const r = await restCall(base, "POST", "/api/users", adminToken, { username, password, role });
    assert.equal(r.status, 201, `creating ${username}: ${r.text}`);
  }
}

/** A session token of `username` from POST /api/auth/login. */
export async function loginToken(
  base: string,
  username: string,
  password: string,
): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const body = await res.json() as { token?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.token!;
}

let webBuild: Promise<unknown> | undefined;
/**
 * Builds the assets from the sources in the tree, once per test module: the browser must test the
 * islands as they are now, not a bundle left over from an earlier build.
 */
export function currentWebBuild(): Promise<unknown> {
  return webBuild ??= buildWeb();
}
