/**
 * Several dashboard replicas for end-to-end tests, as REAL OS processes: the dashboard run exactly
 * as `deno task start` runs it (its bundle, flags and environment, read from deno.json), sharing one
 * fresh PostgreSQL database (tools/testpg.ts) and one ENCRYPTION_KEY, each with its own DATA_DIR
 * and its own fixed loopback ports (HTTP_ADDR, GRPC_ADDR; the same again on restart), PEER_URL its
 * own HTTPS URL, GRPC_PUBLIC_ADDR the one address agents dial (a test balancer,
 * testing/tcp_balancer.ts), ADMIN_PASSWORD, a short AGENT_HEARTBEAT_SECONDS, and its output in a
 * log file of its own.
 *
 * Each replica's HTTPS certificate is trusted through the CA it presents: the chain's root, read
 * from the TLS handshake (the dashboard sends its CA with its certificate, for the agents' pin).
 * Every replica records the CA it presented (caHash), so a test can check that all of them share
 * one. A replica is ready when /readyz answers 200.
 *
 * kill9(), stop() (SIGTERM, then wait for the exit), start() and restart() (same ports and
 * DATA_DIR), REST calls as the admin, /metrics. teardown() stops every process (SIGTERM, SIGKILL
 * after a grace period), drops the database and removes the temp dirs (kept with
 * KEEP_REPLICA_LOGS=1). No process is left behind: they run under `setpriv --pdeathsig KILL`,
 * so the kernel kills them if the test process dies, and an 'unload' listener kills those still
 * running; the temp dir of a test process killed that way is swept by the next start. Test
 * tooling only.
 */
import { certificateHash } from "../proto/wire.ts";
import { tlsHandshake, toPem } from "../agent/tls_pin.ts";
import { freshPostgresDb } from "../tools/testpg.ts";
import { freePorts } from "../tools/ports.ts";
import { ownedTempDir, removeStaleDirs } from "../tools/stale_dirs.ts";
import { eventually, StopTrying, withTimeout } from "./eventually.ts";
import {
  ADMIN_PASSWORD,
  apiCall,
  type ApiResult,
  type DashboardLaunch,
  preparedDashboardLaunch,
} from "./harness.ts";

export { ADMIN_PASSWORD, type ApiResult };

/** 32 random bytes in base64, as ENCRYPTION_KEY wants them. */
export function randomEncryptionKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
}

/**
 * The root of the chain a TLS server on 127.0.0.1:port presents (PEM): the CA a client must
 * trust. Fails when the server sends no CA with its certificate.
 */
export async function presentedCa(port: number, timeoutMs = 5_000): Promise<string> {
  const socket = await tlsHandshake(
    { host: "127.0.0.1", port, rejectUnauthorized: false },
    timeoutMs,
  );
  try {
    const leaf = socket.getPeerCertificate(true);
    let c = leaf;
    for (let i = 0; i < 10 && c?.raw; i++) {
      const issuer = c.issuerCertificate;
      if (!issuer?.raw || issuer.fingerprint256 === c.fingerprint256) break; // self-signed: root
      c = issuer;
    }
    if (!c?.raw || c.fingerprint256 === leaf.fingerprint256) {
      throw new Error(`127.0.0.1:${port} presents no CA with its certificate`);
    }
    return toPem(new Uint8Array(c.raw));
  } finally {
    socket.destroy();
  }
}

export interface ReplicaSetOptions {
  /** How many replicas (default 2). */
  replicas?: number;
  /** host:port agents dial (GRPC_PUBLIC_ADDR of every replica). */
  grpcPublicAddr: string;
  /** AGENT_HEARTBEAT_SECONDS (default 1). */
  heartbeatSeconds?: number;
  /** LOG_LEVEL (default TEST_LOG_LEVEL, else info). */
  logLevel?: string;
  /** More environment for every replica. */
  env?: Record<string, string>;
  /** How long a start may take until /readyz is 200 (default 90 s). */
  readyTimeoutMs?: number;
}

/** The exit of a stopped replica. */
export interface StopResult {
  code: number;
  signal: string | null;
  /** From the signal to the exit. */
  ms: number;
}

const TMP_PREFIX = "replicas-";

const live = new Set<Deno.ChildProcess>();
let unloadHooked = false;

function killAllSync(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }
}

let setprivChecked: boolean | undefined;
function hasSetpriv(): boolean {
  if (setprivChecked === undefined) {
    try {
      setprivChecked = new Deno.Command("setpriv", {
        args: ["--help"],
        stdout: "null",
        stderr: "null",
      }).outputSync().success;
    } catch {
      setprivChecked = false;
    }
  }
  return setprivChecked;
}

/** One dashboard replica: a process (while running), its ports, DATA_DIR and log. */
export class DashboardReplica {
  child: Deno.ChildProcess | undefined;
  /** Resolves with the exit of the current process. */
  exited: Promise<Deno.CommandStatus> | undefined;
  /** The CA the replica presented at its last start (PEM) and its pin. */
  caPem = "";
  caHash = "";
  /** How many times it was started. */
  starts = 0;
  #http: Deno.HttpClient | undefined;
  #running = false;

  constructor(
    readonly set: ReplicaSet,
    readonly index: number,
    readonly name: string,
    readonly dataDir: string,
    readonly logFile: string,
    public httpPort: number,
    public grpcPort: number,
  ) {}

  /** https://127.0.0.1:<httpPort>: its PUBLIC_URL and PEER_URL. */
  get url(): string {
    return `https://127.0.0.1:${this.httpPort}`;
  }

  get peerUrl(): string {
    return this.url;
  }

  /** 127.0.0.1:<grpcPort>: what a balancer forwards agents to. */
  get grpcAddr(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  get running(): boolean {
    return this.#running;
  }

  get pid(): number | undefined {
    return this.#running ? this.child?.pid : undefined;
  }

  get adminToken(): string {
    return this.set.adminToken;
  }

  /** The HTTP client trusting the CA this replica presented. */
  get http(): Deno.HttpClient {
    if (!this.#http) throw new Error(`${this.name} has not started`);
    return this.#http;
  }

  /** fetch against this replica (path from the root, e.g. /readyz). */
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(this.url + path, { ...init, client: this.http } as RequestInit);
  }

  /** A REST call, as the admin unless `token` says otherwise. */
  api(method: string, path: string, body?: unknown, token?: string): Promise<ApiResult> {
    return apiCall((p, init) => this.fetch(p, init), {
      method,
      path,
      body,
      token: token ?? this.set.adminToken,
      signal: AbortSignal.timeout(30_000),
    });
  }

  /** The /metrics text. */
  async metrics(): Promise<string> {
    const res = await this.fetch("/metrics", { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${this.name} /metrics: ${res.status} ${text}`);
    return text;
  }

  /** dashboard_agents_connected from /metrics: the agents whose control stream it holds. */
  async agentsConnected(): Promise<number> {
    const m = /^dashboard_agents_connected(?:\{[^}]*\})? (\S+)$/m.exec(await this.metrics());
    if (!m) throw new Error(`${this.name} /metrics has no dashboard_agents_connected`);
    return Number(m[1]);
  }

  async logs(): Promise<string> {
    return await Deno.readTextFile(this.logFile).catch(() => "(no log)");
  }

  /** The last `lines` lines of the log. */
  async logTail(lines = 40): Promise<string> {
    return (await this.logs()).trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** @internal Starts the process (the ports and DATA_DIR it has) and waits for /readyz. */
  async _start(opts: ReplicaSetOptions, launch: DashboardLaunch): Promise<void> {
    if (this.#running) throw new Error(`${this.name} is running`);
    this.starts++;
    await Deno.writeTextFile(
      this.logFile,
      `--- ${this.name} start #${this.starts} at ${new Date().toISOString()} ---\n`,
      { append: true },
    );
    const env: Record<string, string> = {
      ...launch.env,
      DATABASE_URL: this.set.databaseUrl,
      ENCRYPTION_KEY: this.set.encryptionKey,
      DATA_DIR: this.dataDir,
      HTTP_ADDR: `127.0.0.1:${this.httpPort}`,
      GRPC_ADDR: this.grpcAddr,
      GRPC_PUBLIC_ADDR: opts.grpcPublicAddr,
      PEER_URL: this.peerUrl,
      ADMIN_PASSWORD,
      AGENT_HEARTBEAT_SECONDS: String(opts.heartbeatSeconds ?? 1),
      LOG_LEVEL: opts.logLevel ?? Deno.env.get("TEST_LOG_LEVEL") ?? "info",
      ...opts.env,
    };
    // sh sends the output to the log and execs deno (the child's pid is the dashboard's);
    // setpriv has the kernel kill it if this process dies.
    const sh = [
      "sh",
      "-c",
      'log=$1; shift; exec "$@" >>"$log" 2>&1',
      "sh",
      this.logFile,
      Deno.execPath(),
      "run",
      ...launch.flags,
      launch.main,
    ];
    const argv = hasSetpriv() ? ["setpriv", "--pdeathsig", "KILL", "--", ...sh] : sh;
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.child = child;
    this.#running = true;
    live.add(child);
    if (!unloadHooked) {
      unloadHooked = true;
      globalThis.addEventListener("unload", killAllSync);
    }
    this.exited = child.status.then((s) => {
      live.delete(child);
      if (this.child === child) this.#running = false;
      return s;
    });
    let exitedEarly: Deno.CommandStatus | undefined;
    this.exited.then((s) => exitedEarly = s);
    try {
      this.caPem = await eventually(`${this.name}'s HTTPS port`, async () => {
        if (exitedEarly) throw new StopTrying(`${this.name} exited (code ${exitedEarly.code})`);
        return await presentedCa(this.httpPort, 2_000);
      }, { timeoutMs: opts.readyTimeoutMs ?? 90_000, intervalMs: 50 });
      this.caHash = await certificateHash(this.caPem);
      this.#http?.close();
      this.#http = Deno.createHttpClient({ caCerts: [this.caPem] });
      await eventually(`${this.name}'s /readyz`, async () => {
        if (exitedEarly) throw new StopTrying(`${this.name} exited (code ${exitedEarly.code})`);
        const r = await this.fetch("/readyz", { signal: AbortSignal.timeout(2_000) });
        await r.body?.cancel();
        return r.status === 200;
      }, { timeoutMs: opts.readyTimeoutMs ?? 90_000, intervalMs: 50 });
    } catch (err) {
      const tail = await this.logTail(30);
      if (this.#running) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
        await this.exited;
      }
      throw new Error(`${(err as Error).message}\n${this.name} log (${this.logFile}):\n${tail}`);
    }
  }

  /** @internal Sends a signal and waits for the exit (SIGKILL after timeoutMs, then throws). */
  async _signal(signal: Deno.Signal, timeoutMs: number): Promise<StopResult> {
    const child = this.child;
    if (!child || !this.#running) throw new Error(`${this.name} is not running`);
    const t0 = performance.now();
    try {
      child.kill(signal);
    } catch { /* already gone */ }
    try {
      const s = await withTimeout(this.exited!, timeoutMs, `${this.name} to exit after ${signal}`);
      return { code: s.code, signal: s.signal, ms: Math.round(performance.now() - t0) };
    } catch (err) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await this.exited;
      throw err;
    }
  }

  /** @internal */
  _closeClient(): void {
    this.#http?.close();
    this.#http = undefined;
  }
}

/** The replicas, their database and key, and the admin's token (valid on every replica). */
export class ReplicaSet {
  readonly replicas: DashboardReplica[] = [];
  adminToken = "";
  #dropDb: () => Promise<void> = async () => {};
  #tornDown?: Promise<void>;

  private constructor(
    readonly opts: ReplicaSetOptions,
    readonly root: string,
    readonly databaseUrl: string,
    readonly encryptionKey: string,
    /** How `deno task start` runs the dashboard; every replica runs so. */
    readonly launch: DashboardLaunch,
  ) {}

  /**
   * Starts `opts.replicas` replicas on a fresh database: the first alone (it migrates the empty
   * database and creates the admin), then the others at once. Logs in as the admin.
   */
  static async start(opts: ReplicaSetOptions): Promise<ReplicaSet> {
    await removeStaleDirs(TMP_PREFIX);
    const launch = await preparedDashboardLaunch();
    const db = await freshPostgresDb();
    const root = await ownedTempDir(TMP_PREFIX);
    const set = new ReplicaSet(opts, root, db.url, randomEncryptionKey(), launch);
    set.#dropDb = db.drop;
    try {
      const n = opts.replicas ?? 2;
      for (let i = 0; i < n; i++) {
        const [httpPort, grpcPort] = freePorts(2);
        const dataDir = `${root}/r${i}-data`;
        await Deno.mkdir(dataDir, { recursive: true });
        set.replicas.push(
          new DashboardReplica(set, i, `r${i}`, dataDir, `${root}/r${i}.log`, httpPort, grpcPort),
        );
      }
      await set.#firstStart(set.replicas[0]);
      await Promise.all(set.replicas.slice(1).map((r) => set.#firstStart(r)));
      const login = await set.replicas[0].api("POST", "/api/auth/login", {
        username: "admin",
        password: ADMIN_PASSWORD,
      });
      if (login.status !== 200) throw new Error(`admin login: ${login.status} ${login.text}`);
      set.adminToken = (login.json as { token: string }).token;
      return set;
    } catch (err) {
      await set.teardown();
      throw err;
    }
  }

  /** A first start; ports another process took meanwhile are swapped for free ones. */
  async #firstStart(r: DashboardReplica): Promise<void> {
    for (let attempt = 1;; attempt++) {
      try {
        return await r._start(this.opts, this.launch);
      } catch (err) {
        if (attempt >= 3 || !/ is in use/.test((err as Error).message)) throw err;
        [r.httpPort, r.grpcPort] = freePorts(2);
      }
    }
  }

  /** Starts a stopped or killed replica again: same ports, same DATA_DIR. */
  async start(r: DashboardReplica): Promise<void> {
    await r._start(this.opts, this.launch);
  }

  /** kill -9: no drain, no clean-up; resolves once the process is gone. */
  async kill9(r: DashboardReplica): Promise<void> {
    await r._signal("SIGKILL", 10_000);
  }

  /** SIGTERM (a graceful drain) and wait for the exit; SIGKILL and a failure after timeoutMs. */
  async stop(r: DashboardReplica, timeoutMs = 30_000): Promise<StopResult> {
    return await r._signal("SIGTERM", timeoutMs);
  }

  /** stop() when running, then start() on the same ports and DATA_DIR. */
  async restart(r: DashboardReplica): Promise<StopResult | null> {
    const stopped = r.running ? await this.stop(r) : null;
    await this.start(r);
    return stopped;
  }

  /** The replicas running now. */
  running(): DashboardReplica[] {
    return this.replicas.filter((r) => r.running);
  }

  /**
   * Stops every replica (SIGTERM, SIGKILL after 15 s), drops the database, removes the temp dir
   * (kept, with the logs, when KEEP_REPLICA_LOGS is set). Idempotent; never throws.
   */
  teardown(): Promise<void> {
    this.#tornDown ??= (async () => {
      await Promise.all(this.replicas.map(async (r) => {
        if (r.running) await r._signal("SIGTERM", 15_000).catch(() => {});
        r._closeClient();
      }));
      await this.#dropDb().catch((err) => console.error(`dropping the test database: ${err}`));
      if (Deno.env.get("KEEP_REPLICA_LOGS")) {
        console.log(`replica logs kept in ${this.root}`);
      } else {
        await Deno.remove(this.root, { recursive: true }).catch(() => {});
      }
    })();
    return this.#tornDown;
  }
}

/** Starts replicas (see ReplicaSet.start). */
export function startReplicas(opts: ReplicaSetOptions): Promise<ReplicaSet> {
  return ReplicaSet.start(opts);
}
