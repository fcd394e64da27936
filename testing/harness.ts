// Test harness for end-to-end tests: real dashboards (PGlite or PostgreSQL) on free ports, REST
// calls as a given user, and real agents run as separate processes with exactly the permission
// flags of `deno task agent` (the same ones the compile task grants).
import { loadConfig } from "../backend/config.ts";
import { type Dashboard, startDashboard } from "../backend/server.ts";
import { ensureDashboardBundle } from "../backend/bundle.ts";
import { ensurePgliteTemplate } from "../backend/store/pglite_template_build.ts";
import { freshPostgresDb } from "../tools/testpg.ts";
import { contractViolation } from "./api_contract.ts";

export const ROOT = new URL("../", import.meta.url).pathname;
export const ADMIN_PASSWORD = "admin-password-for-tests";

export interface TestDashboard {
  d: Dashboard;
  dataDir: string;
  adminToken: string;
  api(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<ApiResult>;
  login(username: string, password: string): Promise<string>;
  /** fetch against the dashboard, trusting its CA. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export type StoreKind = "pglite" | "postgres";

/** A REST call's answer: its status, its text, and that text as JSON (undefined if not JSON). */
export interface ApiResult {
  status: number;
  json: unknown;
  text: string;
}

/**
 * A REST call through `fetchPath` (a fetch of a path on one dashboard, trusting its CA): `body`
 * sent as JSON (a string as is), `token` as the bearer when given. The answer must match its
 * route's description in the OpenAPI document (status and JSON body; testing/api_contract.ts):
 * otherwise the call throws, failing the test.
 */
export async function apiCall(
  fetchPath: (path: string, init: RequestInit) => Promise<Response>,
  req: { method: string; path: string; body?: unknown; token?: string; signal?: AbortSignal },
): Promise<ApiResult> {
  const { method, path, body, token, signal } = req;
  const res = await fetchPath(path, {
    method,
    headers: {
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch { /* not JSON */ }
  const violation = contractViolation({
    method,
    path,
    status: res.status,
    contentType: res.headers.get("content-type"),
    text,
    json,
  });
  if (violation) throw new Error(`the answer breaks the API description: ${violation}`);
  return { status: res.status, json, text };
}

export async function startTestDashboard(
  opts: {
    store?: StoreKind;
    dataDir?: string;
    databaseUrl?: string;
    heartbeatSeconds?: number;
    grpcPort?: number;
    /** AGENT_IMAGE: the image install commands set. */
    agentImage?: string;
    /** ENCRYPTION_KEY (base64, 32 bytes); without it, DATA_DIR/encryption.key. */
    encryptionKey?: string;
    /** The HTTP port (default: any free one), e.g. to register a redirect URI before start. */
    httpPort?: number;
    /** More settings (environment variables), e.g. OIDC_*. */
    env?: Record<string, string | undefined>;
  } = {},
): Promise<TestDashboard & { databaseUrl?: string; dropDb?: () => Promise<void> }> {
  const dataDir = opts.dataDir ?? await Deno.makeTempDir({ prefix: "dash-test-" });
  let databaseUrl = opts.databaseUrl;
  let dropDb: (() => Promise<void>) | undefined;
  if (!databaseUrl && opts.store === "postgres") {
    const db = await freshPostgresDb();
    databaseUrl = db.url;
    dropDb = db.drop;
  }
  const config = loadConfig({
    HTTP_ADDR: `127.0.0.1:${opts.httpPort ?? 0}`,
    GRPC_ADDR: `127.0.0.1:${opts.grpcPort ?? 0}`,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    ADMIN_PASSWORD,
    LOG_LEVEL: Deno.env.get("TEST_LOG_LEVEL") ?? "warn",
    AGENT_HEARTBEAT_SECONDS: String(opts.heartbeatSeconds ?? 1),
    AGENT_IMAGE: opts.agentImage,
    ENCRYPTION_KEY: opts.encryptionKey,
    ...opts.env,
  });
  const d = await startDashboard(config);
  const http = Deno.createHttpClient({ caCerts: d.httpCaPem ? [d.httpCaPem] : undefined });
  const fetchPath = (path: string, init: RequestInit = {}) =>
    fetch(d.url + path, { ...init, client: http } as RequestInit);
  const api: TestDashboard["api"] = (method, path, body, token) =>
    apiCall(fetchPath, { method, path, body, token });
  const login = async (username: string, password: string) => {
    const r = await api("POST", "/api/auth/login", { username, password });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
    return (r.json as { token: string }).token;
  };
  // With OIDC_LOCAL_LOGIN=false nobody signs in with a password: the admin gets a session directly.
  const adminToken = config.localLogin
    ? await login("admin", ADMIN_PASSWORD)
    : await adminSession(d);
  return {
    d,
    dataDir,
    adminToken,
    api,
    login,
    databaseUrl,
    dropDb,
    fetch: fetchPath,
    async stop() {
      await d.stop();
      http.close();
    },
  };
}

async function adminSession(d: Dashboard): Promise<string> {
  const admin = (await d.auth.listUsers()).find((u) => u.username === "admin");
  if (!admin) throw new Error("the bootstrap admin is missing");
  return (await d.auth.startSession(admin.id)).token;
}

/** The agent task's permission and V8 flags: every test agent runs with exactly these. */
export async function agentRunFlags(): Promise<string[]> {
  const cfg = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as {
    tasks: Record<string, string>;
  };
  return cfg.tasks.agent.split(/\s+/).filter((w) =>
    w.startsWith("--allow-") || w.startsWith("--deny-") || w.startsWith("--v8-flags=")
  );
}

/** How `deno task start` runs the dashboard (the task's last command). */
export interface DashboardLaunch {
  /** Its environment assignments (allocator settings). */
  env: Record<string, string>;
  /** Its flags (permissions, V8 flags). */
  flags: string[];
  /** The file it runs, as an absolute path: the bundle, build/dashboard.js. */
  main: string;
}

/**
 * How `deno task start` runs the dashboard, read from deno.json. Tests and benchmarks that run the
 * dashboard as a process use all of it, as the image does (deploy/docker/image_test.ts keeps them
 * equal); preparedDashboardLaunch() also builds what the task builds first.
 */
export async function dashboardLaunch(): Promise<DashboardLaunch> {
  const cfg = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as {
    tasks: Record<string, string>;
  };
  const words = cfg.tasks.start.split("&&").at(-1)!.trim().split(/\s+/);
  const env: Record<string, string> = {};
  for (const w of words) {
    const m = /^([A-Z_]+)=(\S*)$/.exec(w);
    if (m) env[m[1]] = m[2];
  }
  return { env, flags: words.filter((w) => w.startsWith("--")), main: `${ROOT}${words.at(-1)}` };
}

/**
 * dashboardLaunch(), once what `deno task start` runs before the dashboard is in place: the PGlite
 * template (db:template) and the bundle (bundle), each built at most once per process.
 */
export async function preparedDashboardLaunch(): Promise<DashboardLaunch> {
  await Promise.all([ensurePgliteTemplate(), ensureDashboardBundle()]);
  return await dashboardLaunch();
}

export interface RunningAgent {
  process: Deno.ChildProcess;
  logFile: string;
  stateDir: string;
  /** SIGTERM and wait. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  logs(): Promise<string>;
}

/** Starts the real agent (deno run agent/main.ts) outside a pod with a kubeconfig. */
export async function startAgent(opts: {
  dashboardUrl: string;
  caHash: string | null;
  kubeconfig: string;
  token?: string;
  stateDir?: string;
  /** Pass no --state-dir: the agent keeps its credential in the Secret CREDENTIAL_SECRET in
   * POD_NAMESPACE (give both in extraEnv), as in a pod. */
  secretStore?: boolean;
  extraEnv?: Record<string, string>;
}): Promise<RunningAgent> {
  const stateDir = opts.stateDir ?? await Deno.makeTempDir({ prefix: "agent-state-" });
  const logFile = await Deno.makeTempFile({ prefix: "agent-log-" });
  const out = await Deno.open(logFile, { write: true, append: true });
  const env: Record<string, string> = {
    DASHBOARD_URL: opts.dashboardUrl,
    HEALTH_ADDR: "127.0.0.1:0",
    LOG_LEVEL: "debug",
    ...(opts.caHash ? { CA_HASH: opts.caHash } : { INSECURE: "true" }),
    ...(opts.token ? { TOKEN: opts.token } : {}),
    ...opts.extraEnv,
  };
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(await agentRunFlags()),
      `${ROOT}agent/main.ts`,
      "--kubeconfig",
      opts.kubeconfig,
      ...(opts.secretStore ? [] : ["--state-dir", stateDir]),
    ],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Copied chunk by chunk (pipeTo into a file holds the output back until the process ends), so
  // logs() shows what the agent has written so far.
  const copy = async (from: ReadableStream<Uint8Array>) => {
    for await (const chunk of from) {
      for (let off = 0; off < chunk.length;) off += await out.write(chunk.subarray(off));
    }
  };
  const pump = Promise.all([copy(process.stdout), copy(process.stderr)]).catch(() => {});
  let stopped: Promise<Deno.CommandStatus> | undefined;
  return {
    process,
    logFile,
    stateDir,
    stop(signal: Deno.Signal = "SIGTERM") {
      stopped ??= (async () => {
        try {
          process.kill(signal);
        } catch { /* already gone */ }
        const status = await process.status;
        await pump;
        try {
          out.close();
        } catch { /* closed */ }
        return status;
      })();
      return stopped;
    },
    logs: () => Deno.readTextFile(logFile),
  };
}
