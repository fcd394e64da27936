// A real dashboard in its own process for the benchmarks (so its memory and CPU can be read
// from /proc, and so it can be killed -9 and restarted on the same ports and DATA_DIR).
import { certificateHash } from "../proto/wire.ts";
import { freePorts } from "../tools/ports.ts";
import { preparedDashboardLaunch } from "../testing/harness.ts";

export const BENCH_ADMIN_PASSWORD = "bench-admin-password";

export interface DashboardProcess {
  pid: number;
  url: string;
  agentUrl: string;
  caPem: string;
  caHash: string;
  dataDir: string;
  token: string;
  http: Deno.HttpClient;
  api(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response>;
  /** Logs in with a password; the session token. */
  login(username: string, password: string): Promise<string>;
  kill(signal?: Deno.Signal): Promise<void>;
  /** Starts it again on the same ports and DATA_DIR (after kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDashboardProcess(
  env: Record<string, string> = {},
): Promise<DashboardProcess> {
  const dataDir = await Deno.makeTempDir({ prefix: "bench-dash-" });
  const [httpPort, grpcPort] = freePorts(2);
  const launch = await preparedDashboardLaunch();
  const url = `https://127.0.0.1:${httpPort}`;
  let child: Deno.ChildProcess;
  const spawn = async () => {
    // setpriv: the dashboard dies with this process, even on SIGKILL. Flags and environment as
    // `deno task start` runs it (and the image).
    child = new Deno.Command("setpriv", {
      args: [
        "--pdeathsig",
        "KILL",
        Deno.execPath(),
        "run",
        ...launch.flags,
        launch.main,
      ],
      env: {
        ...launch.env,
        DATA_DIR: dataDir,
        HTTP_ADDR: `127.0.0.1:${httpPort}`,
        GRPC_ADDR: `127.0.0.1:${grpcPort}`,
        ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
        LOG_LEVEL: "warn",
        ...env,
      },
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    const until = Date.now() + 60_000;
    for (;;) {
      try {
        const caPem = await Deno.readTextFile(`${dataDir}/tls/ca.crt`);
        const c = Deno.createHttpClient({ caCerts: [caPem] });
        try {
          const r = await fetch(`${url}/readyz`, { client: c } as RequestInit);
          await r.body?.cancel();
          if (r.ok) return caPem;
        } finally {
          c.close();
        }
      } catch { /* not up yet */ }
      if (Date.now() > until) throw new Error("the dashboard did not start within 60 s");
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const caPem = await spawn();
  const http = Deno.createHttpClient({ caCerts: [caPem], poolMaxIdlePerHost: 256 });
  const login = async (username: string, password: string) => {
    const res = await fetch(`${url}/api/auth/login`, {
      method: "POST",
      client: http,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    } as RequestInit);
    if (!res.ok) throw new Error(`logging in as ${username}: ${res.status} ${await res.text()}`);
    return (await res.json() as { token: string }).token;
  };
  const token = await login("admin", BENCH_ADMIN_PASSWORD);
  const dp: DashboardProcess = {
    get pid() {
      return child.pid;
    },
    url,
    agentUrl: `https://127.0.0.1:${grpcPort}`,
    caPem,
    caHash: await certificateHash(caPem),
    dataDir,
    token,
    http,
    login,
    api: (method, path, body, signal) =>
      fetch(url + path, {
        method,
        signal,
        client: http,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { "content-type": "application/json" } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      } as RequestInit),
    async kill(signal: Deno.Signal = "SIGKILL") {
      try {
        child.kill(signal);
      } catch { /* gone */ }
      await child.status;
    },
    async restart() {
      await spawn();
    },
    async stop() {
      await dp.kill("SIGTERM");
      http.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
  return dp;
}
