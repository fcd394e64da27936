/**
 * testenv: a real, local Kubernetes control plane for tests and `deno task dev-cluster`.
 *
 * It runs the pinned etcd, kube-apiserver and (by default) kube-controller-manager built by
 * tools/kube/build.sh on free loopback ports, with certificates made by openssl in a temp dir:
 * a CA, the apiserver serving cert, an admin client cert (CN=admin, O=system:masters) and a
 * ServiceAccount signing key, so TokenRequest, RBAC and client-cert auth behave as in a real
 * cluster. There is no scheduler and no real kubelet: a fake kubelet (an HTTPS server in this
 * process) serves container logs for Nodes made with createNode(), so `kubectl logs [-f]` works
 * through the real apiserver; createRunningPod() and reconcilePods() put pods on those nodes and
 * mark them Running.
 *
 * kube-controller-manager is on by default: it costs about a second after the apiserver is ready
 * and makes Deployments create ReplicaSets and Pods, creates default ServiceAccounts, deletes
 * namespaces and garbage-collects owned objects. Its node-lifecycle controller is off, since the
 * fake nodes send no heartbeats.
 *
 * Every process is started under `setpriv --pdeathsig KILL`, so it dies with this process even
 * on SIGKILL; stop() kills them and removes the temp dir, and so do the 'unload' event and, for
 * sharedControlPlane(), SIGINT/SIGTERM; the temp dir of a SIGKILLed process is swept by the next
 * start. Not for production use: test and development only.
 */

import { freePorts } from "./ports.ts";
import { encodeBase64 } from "../backend/crypto/encoding.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");
const BUILD_SCRIPT = `${ROOT}/tools/kube/build.sh`;
const READY_TIMEOUT_MS = 90_000;
const KILL_WAIT_MS = 10_000;

/** The result of running kubectl or helm. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for ControlPlane.kubectl and ControlPlane.helm. */
export interface RunOptions {
  /** A kubeconfig to use instead of the admin one. */
  kubeconfig?: string;
  /** Text written to the command's standard input. */
  stdin?: string;
  /** Kills the command when aborted (the result then has a non-zero code). */
  signal?: AbortSignal;
}

/** A process started by the control plane. */
export interface ProcessInfo {
  name: string;
  pid: number;
}

/** A running local control plane. */
export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  url: string;
  /** The CA that signed the apiserver's serving certificate (PEM). */
  caPem: string;
  /** Admin kubeconfig (client certificate auth, embedded data). */
  kubeconfigPath: string;
  /** Where kubectl, helm and the servers live. */
  binDir: string;
  /** The server version, e.g. "v1.36.3". */
  version: string;
  /** Seconds from spawning etcd until the apiserver's /readyz answered ok. */
  startupSeconds: number;
  /** Whether kube-controller-manager runs. */
  controllerManager: boolean;
  /** The etcd, kube-apiserver and kube-controller-manager processes. */
  processes: readonly ProcessInfo[];
  kubectl(args: string[], opts?: RunOptions): Promise<RunResult>;
  helm(args: string[], opts?: RunOptions): Promise<RunResult>;
  /** A token for a ServiceAccount from the TokenRequest API (expiry at least 600 s). */
  serviceAccountToken(namespace: string, name: string, seconds?: number): Promise<string>;
  /** Kills every process, stops the fake kubelet, removes temp dirs. Idempotent. */
  stop(): Promise<void>;
}

/** Options for startControlPlane. */
export interface StartOptions {
  /** Run kube-controller-manager too (default true). */
  controllerManager?: boolean;
}

/** A raw API response. */
export interface ApiResponse {
  status: number;
  body: unknown;
}

/** Options for createRunningPod. */
export interface PodOptions {
  /** The node to bind to; default "testenv-node", created if missing. */
  nodeName?: string;
  /** Container names; default ["main"]. */
  containers?: string[];
  /** Image of every container; default "registry.example/testenv/app:1.0". */
  image?: string;
  labels?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Tools

let toolsPromise: Promise<string> | undefined;

/**
 * Builds (or reuses) the pinned Kubernetes tools with tools/kube/build.sh and returns their bin
 * dir. Throws when Go is missing, in CI as well as outside it: tests never skip.
 */
export function kubeTools(): Promise<string> {
  toolsPromise ??= runBuildScript().catch((err) => {
    toolsPromise = undefined;
    throw err;
  });
  return toolsPromise;
}

/**
 * Runs tools/kube/build.sh once, uncached (kubeTools() caches it), with `env` added to the
 * environment, and returns the bin dir it printed. Throws "Go is needed for the tests: ..." when
 * the tools must be built and Go is missing.
 */
export async function runBuildScript(env: Record<string, string> = {}): Promise<string> {
  await Deno.mkdir(`${ROOT}/.cache/kube`, { recursive: true });
  // flock serializes builds from parallel test processes; without it, run the script directly.
  const lock = `${ROOT}/.cache/kube/.build.lock`;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("flock", {
      args: [lock, "bash", BUILD_SCRIPT],
      env,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    child = new Deno.Command("bash", {
      args: [BUILD_SCRIPT],
      env,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
  }
  // Show the build's progress (it can take minutes) while keeping it for the error message.
  const errChunks: string[] = [];
  const decoder = new TextDecoder();
  const errDone = child.stderr.pipeTo(
    new WritableStream({
      write(chunk) {
        errChunks.push(decoder.decode(chunk, { stream: true }));
        Deno.stderr.writeSync(chunk);
      },
    }),
  );
  const [out, status] = await Promise.all([new Response(child.stdout).text(), child.status]);
  await errDone;
  const stderr = errChunks.join("");
  if (status.code === 3) {
    const ci = (env.CI ?? Deno.env.get("CI")) === "true"
      ? " (in CI too: the tests never skip)"
      : "";
    throw new Error(
      `Go is needed for the tests: kube-apiserver, etcd, kubectl and helm are built from source ` +
        `with Go 1.26 or newer (https://go.dev/doc/install)${ci}. build.sh said: ${stderr.trim()}`,
    );
  }
  if (!status.success) {
    throw new Error(
      `tools/kube/build.sh failed (exit ${status.code}):\n${
        stderr.split("\n").slice(-40).join("\n")
      }`,
    );
  }
  const bin = out.trim().split("\n").pop() ?? "";
  for (const tool of ["kube-apiserver", "kube-controller-manager", "kubectl", "etcd", "helm"]) {
    try {
      await Deno.stat(`${bin}/${tool}`);
    } catch {
      throw new Error(
        `tools/kube/build.sh printed ${JSON.stringify(bin)} but ${tool} is not there`,
      );
    }
  }
  return bin;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

function b64(text: string): string {
  return btoa(text);
}

async function tail(path: string, lines = 30): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

let setprivChecked: boolean | undefined;
function hasSetpriv(): boolean {
  if (setprivChecked === undefined) {
    try {
      setprivChecked =
        new Deno.Command("setpriv", { args: ["--help"], stdout: "null", stderr: "null" })
          .outputSync().success;
    } catch {
      setprivChecked = false;
    }
  }
  return setprivChecked;
}

/** A server process whose output goes to a log file. */
class Proc {
  readonly child: Deno.ChildProcess;
  readonly status: Promise<Deno.CommandStatus>;
  exited = false;

  constructor(readonly name: string, bin: string, args: string[], readonly log: string) {
    // sh redirects the output to the log and execs the server, keeping its pid; setpriv makes the
    // kernel kill it when this process dies, even by SIGKILL.
    const shArgs = ["-c", 'log=$1; shift; exec "$@" >>"$log" 2>&1', "sh", log, bin, ...args];
    const [cmd, cmdArgs] = hasSetpriv()
      ? ["setpriv", ["--pdeathsig", "KILL", "--", "sh", ...shArgs]]
      : ["sh", shArgs];
    this.child = new Deno.Command(cmd, {
      args: cmdArgs as string[],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.status = this.child.status.then((s) => {
      this.exited = true;
      return s;
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  killSync(): void {
    if (this.exited) return;
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  async kill(): Promise<void> {
    this.killSync();
    const timer = sleep(KILL_WAIT_MS).then(() => "timeout" as const);
    if ((await Promise.race([this.status, timer])) === "timeout") {
      throw new Error(`${this.name} (pid ${this.pid}) did not exit after SIGKILL`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Certificates

const OPENSSL_CNF = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local
[client_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`;

interface Certs {
  caPem: string;
  adminCert: string;
  adminKey: string;
  kubeletCert: string;
  kubeletKey: string;
}

async function makeCerts(dir: string): Promise<Certs> {
  await Deno.writeTextFile(`${dir}/openssl.cnf`, OPENSSL_CNF);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const common = ["-config", "openssl.cnf", "-days", "7"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    ...common,
    "-extensions",
    "ca_ext",
    "-subj",
    "/CN=testenv-ca",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
  ], dir);
  const leaf = (name: string, subj: string, ext: string) =>
    run("openssl", [
      "req",
      "-x509",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      ...ec,
      ...common,
      "-extensions",
      ext,
      "-subj",
      subj,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
    ], dir);
  await Promise.all([
    leaf("apiserver", "/CN=kube-apiserver", "server_ext"),
    leaf("admin", "/O=system:masters/CN=admin", "client_ext"),
    leaf("kubelet", "/CN=testenv-fake-kubelet", "server_ext"),
    run("openssl", [
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-out",
      "sa.key",
    ], dir)
      .then(() => run("openssl", ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir)),
  ]);
  const read = (f: string) => Deno.readTextFile(`${dir}/${f}`);
  return {
    caPem: await read("ca.crt"),
    adminCert: await read("admin.crt"),
    adminKey: await read("admin.key"),
    kubeletCert: await read("kubelet.crt"),
    kubeletKey: await read("kubelet.key"),
  };
}

function kubeconfigYaml(
  server: string,
  caPem: string,
  user: { certPem: string; keyPem: string } | { token: string },
  namespace = "default",
): string {
  const userLines = "token" in user
    ? `    token: ${user.token}`
    : `    client-certificate-data: ${b64(user.certPem)}\n    client-key-data: ${b64(user.keyPem)}`;
  return `apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(caPem)}
users:
- name: testenv-user
  user:
${userLines}
contexts:
- name: testenv
  context:
    cluster: testenv
    user: testenv-user
    namespace: ${namespace}
current-context: testenv
`;
}

// ---------------------------------------------------------------------------------------------
// Fake kubelet

const LOG_LINES = 10;
const FOLLOW_INTERVAL_MS = 200;
const LOG_EPOCH = Date.UTC(2026, 0, 1);

class FakeKubelet {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #streams = new Set<() => void>();

  constructor(cert: string, key: string) {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, cert, key, onListen: () => {} },
      (req) => this.#handle(req),
    );
    this.#server.unref();
  }

  get port(): number {
    return this.#server.addr.port;
  }

  #handle(req: Request): Response {
    const url = new URL(req.url);
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== "GET" || !m) {
      return new Response(`fake kubelet: ${url.pathname} is not supported\n`, { status: 404 });
    }
    const [pod, container] = [decodeURIComponent(m[2]), decodeURIComponent(m[3])];
    const q = url.searchParams;
    const follow = q.get("follow") === "true";
    const timestamps = q.get("timestamps") === "true";
    const tailParam = q.get("tailLines");
    const tailLines = tailParam === null ? LOG_LINES : Math.max(0, Number(tailParam));
    const enc = new TextEncoder();
    const line = (n: number, at: Date) =>
      enc.encode(
        `${timestamps ? at.toISOString() + " " : ""}log line ${n} from ${pod}/${container}\n`,
      );
    let stopStream = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (ctrl) => {
        for (let n = Math.max(1, LOG_LINES - tailLines + 1); n <= LOG_LINES; n++) {
          ctrl.enqueue(line(n, new Date(LOG_EPOCH + n * 1000)));
        }
        if (!follow) {
          ctrl.close();
          return;
        }
        let n = LOG_LINES;
        const timer = setInterval(() => {
          try {
            ctrl.enqueue(line(++n, new Date()));
          } catch {
            stopStream();
          }
        }, FOLLOW_INTERVAL_MS);
        stopStream = () => {
          clearInterval(timer);
          this.#streams.delete(stopStream);
          try {
            ctrl.close();
          } catch {
            // already closed or cancelled
          }
        };
        this.#streams.add(stopStream);
      },
      cancel: () => stopStream(),
    });
    return new Response(body, { headers: { "content-type": "text/plain" } });
  }

  async stop(): Promise<void> {
    for (const s of [...this.#streams]) s();
    await this.#server.shutdown();
  }
}

// ---------------------------------------------------------------------------------------------
// The control plane

const live = new Set<LocalControlPlane>();
let unloadHooked = false;

function stopAllSync(): void {
  for (const cp of [...live]) cp.stopSync();
}

class LocalControlPlane implements ControlPlane {
  readonly url: string;
  readonly caPem: string;
  readonly kubeconfigPath: string;
  readonly binDir: string;
  version = "";
  startupSeconds = 0;
  readonly controllerManager: boolean;
  readonly dir: string;
  readonly client: Deno.HttpClient;
  readonly certs: Certs;
  readonly procs: Proc[] = [];
  kubelet?: FakeKubelet;
  #stopped = false;
  #stopping?: Promise<void>;

  constructor(
    init: {
      url: string;
      certs: Certs;
      kubeconfigPath: string;
      binDir: string;
      dir: string;
      controllerManager: boolean;
    },
  ) {
    this.url = init.url;
    this.certs = init.certs;
    this.caPem = init.certs.caPem;
    this.kubeconfigPath = init.kubeconfigPath;
    this.binDir = init.binDir;
    this.dir = init.dir;
    this.controllerManager = init.controllerManager;
    this.client = Deno.createHttpClient({
      caCerts: [init.certs.caPem],
      cert: init.certs.adminCert,
      key: init.certs.adminKey,
    });
    live.add(this);
    if (!unloadHooked) {
      unloadHooked = true;
      globalThis.addEventListener("unload", stopAllSync);
    }
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get processes(): readonly ProcessInfo[] {
    return this.procs.map((p) => ({ name: p.name, pid: p.pid }));
  }

  get env(): Record<string, string> {
    const env = Deno.env.toObject();
    for (const k of Object.keys(env)) {
      if (k === "KUBECONFIG" || k.startsWith("HELM_")) delete env[k];
    }
    const home = `${this.dir}/home`;
    return {
      ...env,
      HOME: home,
      XDG_CONFIG_HOME: `${home}/.config`,
      XDG_CACHE_HOME: `${home}/.cache`,
      XDG_DATA_HOME: `${home}/.local/share`,
    };
  }

  async #exec(tool: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const child = new Deno.Command(`${this.binDir}/${tool}`, {
      args: ["--kubeconfig", opts.kubeconfig ?? this.kubeconfigPath, ...args],
      env: this.env,
      clearEnv: true,
      cwd: this.dir,
      stdin: opts.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: opts.signal,
    }).spawn();
    if (opts.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(opts.stdin));
      await w.close();
    }
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  }

  kubectl(args: string[], opts?: RunOptions): Promise<RunResult> {
    return this.#exec("kubectl", args, opts);
  }

  helm(args: string[], opts?: RunOptions): Promise<RunResult> {
    return this.#exec("helm", args, opts);
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<ApiResponse> {
    // `client` is Deno's fetch extension (not in the DOM RequestInit type the project uses).
    const init: RequestInit & { client: Deno.HttpClient } = {
      method,
      client: this.client,
      headers: body === undefined
        ? { accept: "application/json" }
        : { accept: "application/json", "content-type": contentType },
      body: body === undefined ? undefined : JSON.stringify(body),
    };
    const res = await fetch(`${this.url}${path}`, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (e.g. /readyz)
    }
    return { status: res.status, body: parsed };
  }

  async serviceAccountToken(namespace: string, name: string, seconds = 3600): Promise<string> {
    const res = await apiOk(
      this,
      "POST",
      `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
      {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: seconds },
      },
    );
    const token = (res.body as { status?: { token?: string } }).status?.token;
    if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
    return token;
  }

  stopSync(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    live.delete(this);
    for (const p of this.procs) p.killSync();
    try {
      this.client.close();
    } catch {
      // closed
    }
    try {
      Deno.removeSync(this.dir, { recursive: true });
    } catch {
      // gone
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    live.delete(this);
    const errors: unknown[] = [];
    await this.kubelet?.stop().catch((e) => errors.push(e));
    for (const p of [...this.procs].reverse()) await p.kill().catch((e) => errors.push(e));
    try {
      this.client.close();
    } catch {
      // closed
    }
    await Deno.remove(this.dir, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) errors.push(e);
    });
    if (errors.length) throw new AggregateError(errors, "testenv: stop() failed");
  }
}

function internals(cp: ControlPlane): LocalControlPlane {
  if (!(cp instanceof LocalControlPlane)) {
    throw new Error("testenv: this ControlPlane was not made by startControlPlane()");
  }
  if (cp.stopped) throw new Error("testenv: the control plane is stopped");
  return cp;
}

async function apiOk(
  cp: LocalControlPlane,
  method: string,
  path: string,
  body?: unknown,
  opts: { contentType?: string; allow?: number[] } = {},
): Promise<ApiResponse> {
  const res = await cp.request(method, path, body, opts.contentType);
  if ((res.status < 200 || res.status > 299) && !(opts.allow ?? []).includes(res.status)) {
    const msg = (res.body as { message?: string })?.message ?? JSON.stringify(res.body);
    throw new Error(`testenv: ${method} ${path} -> ${res.status}: ${msg}`);
  }
  return res;
}

async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  procs: Proc[] = [],
  intervalMs = 100,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    for (const p of procs) {
      if (p.exited) {
        throw new Error(`${p.name} exited while waiting for ${what}; log:\n${await tail(p.log)}`);
      }
    }
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (performance.now() > deadline) {
      const logs = await Promise.all(procs.map(async (p) => `${p.name}:\n${await tail(p.log)}`));
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs.join("\n")}`);
    }
    await sleep(intervalMs);
  }
}

let swept = false;

/** Removes temp dirs left by test processes that were SIGKILLed (their servers died with them). */
async function sweepStaleDirs(base: string): Promise<void> {
  if (swept) return;
  swept = true;
  for await (const e of Deno.readDir(base)) {
    if (!e.isDirectory || !e.name.startsWith("testenv-")) continue;
    try {
      const owner = Number(await Deno.readTextFile(`${base}/${e.name}/owner.pid`));
      if (owner > 0 && !(await exists(`/proc/${owner}`))) {
        await Deno.remove(`${base}/${e.name}`, { recursive: true });
      }
    } catch {
      // not ours, or just gone
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function startOnce(binDir: string, controllerManager: boolean): Promise<LocalControlPlane> {
  const dir = await Deno.makeTempDir({ prefix: "testenv-" });
  let cp: LocalControlPlane | undefined;
  try {
    await Deno.writeTextFile(`${dir}/owner.pid`, String(Deno.pid));
    await sweepStaleDirs(dir.replace(/\/[^/]+$/, ""));
    await Deno.mkdir(`${dir}/home`);
    const certs = await makeCerts(dir);
    const [etcdPort, peerPort, apiPort] = freePorts(3);
    const url = `https://127.0.0.1:${apiPort}`;
    const kubeconfigPath = `${dir}/admin.kubeconfig`;
    await Deno.writeTextFile(
      kubeconfigPath,
      kubeconfigYaml(url, certs.caPem, { certPem: certs.adminCert, keyPem: certs.adminKey }),
    );
    cp = new LocalControlPlane({ url, certs, kubeconfigPath, binDir, dir, controllerManager });

    const t0 = performance.now();
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = new Proc("etcd", `${binDir}/etcd`, [
      "--name=testenv",
      `--data-dir=${dir}/etcd`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=testenv=${peerUrl}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ], `${dir}/etcd.log`);
    cp.procs.push(etcd);
    await waitFor(
      "etcd /health",
      30_000,
      async () => {
        const res = await fetch(`${etcdUrl}/health`);
        const body = await res.text();
        return res.ok && body.includes('"true"');
      },
      [etcd],
      50,
    );
    const tEtcd = performance.now();

    const apiserver = new Proc("kube-apiserver", `${binDir}/kube-apiserver`, [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${dir}/apiserver-certs`,
      `--tls-cert-file=${dir}/apiserver.crt`,
      `--tls-private-key-file=${dir}/apiserver.key`,
      `--client-ca-file=${dir}/ca.crt`,
      "--authorization-mode=Node,RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${dir}/sa.pub`,
      `--service-account-signing-key-file=${dir}/sa.key`,
      "--service-cluster-ip-range=10.0.0.0/24",
      // No endpoint for the `kubernetes` Service: its address would be loopback, which the API
      // rejects for Endpoints, and nothing in the test cluster routes to it anyway.
      "--endpoint-reconciler-type=none",
      // The fake kubelet: reached on the node's InternalIP (127.0.0.1); with no
      // --kubelet-certificate-authority the apiserver does not verify its certificate.
      "--kubelet-preferred-address-types=InternalIP",
      "--allow-privileged=true",
      "--profiling=false",
      "--v=0",
    ], `${dir}/kube-apiserver.log`);
    cp.procs.push(apiserver);
    await waitFor("kube-apiserver /readyz", READY_TIMEOUT_MS, async () => {
      const res = await cp!.request("GET", "/readyz");
      return res.status === 200;
    }, [etcd, apiserver]);
    const tReady = performance.now();
    cp.startupSeconds = Math.round((tReady - t0) / 10) / 100;
    const version = await apiOk(cp, "GET", "/version");
    cp.version = (version.body as { gitVersion?: string }).gitVersion ?? "";

    let kcmNote = "";
    if (controllerManager) {
      const kcm = new Proc("kube-controller-manager", `${binDir}/kube-controller-manager`, [
        `--kubeconfig=${kubeconfigPath}`,
        "--leader-elect=false",
        "--secure-port=0",
        // No heartbeats come from the fake nodes: keep the node-lifecycle controller from
        // marking them NotReady and evicting their pods.
        "--controllers=*,-node-lifecycle-controller",
        `--root-ca-file=${dir}/ca.crt`,
        `--service-account-private-key-file=${dir}/sa.key`,
        `--cluster-signing-cert-file=${dir}/ca.crt`,
        `--cluster-signing-key-file=${dir}/ca.key`,
        "--v=0",
      ], `${dir}/kube-controller-manager.log`);
      cp.procs.push(kcm);
      // Ready when its serviceaccount controller has made the default ServiceAccount.
      await waitFor(
        "kube-controller-manager (default ServiceAccount)",
        READY_TIMEOUT_MS,
        async () => {
          const res = await cp!.request(
            "GET",
            "/api/v1/namespaces/default/serviceaccounts/default",
          );
          return res.status === 200;
        },
        [etcd, apiserver, kcm],
      );
      kcmNote = `, controller-manager +${((performance.now() - tReady) / 1000).toFixed(2)} s`;
    }
    console.error(
      `testenv: control plane ${cp.version} ready in ${cp.startupSeconds.toFixed(2)} s ` +
        `(etcd ${((tEtcd - t0) / 1000).toFixed(2)} s${kcmNote}) at ${url}`,
    );
    return cp;
  } catch (err) {
    if (cp) await cp.stop().catch(() => {});
    else await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
}

/**
 * Starts etcd, kube-apiserver and (unless controllerManager is false) kube-controller-manager,
 * and resolves once /readyz is ok. Call stop() when done.
 */
export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  const binDir = await kubeTools();
  const controllerManager = opts.controllerManager ?? true;
  for (let attempt = 1;; attempt++) {
    try {
      return await startOnce(binDir, controllerManager);
    } catch (err) {
      // A free port can be taken between probing and binding: retry on that only.
      const msg = err instanceof Error ? err.message : String(err);
      if (attempt >= 3 || !/address already in use/i.test(msg)) throw err;
      console.error(`testenv: port clash, retrying (attempt ${attempt + 1})`);
    }
  }
}

let shared: Promise<ControlPlane> | undefined;
let signalsHooked = false;

/**
 * One control plane per test module (Deno gives each test module its own globals), started on
 * first use and stopped at exit ('unload', SIGINT, SIGTERM). Don't stop() it in a test.
 */
export async function sharedControlPlane(): Promise<ControlPlane> {
  if (!signalsHooked) {
    signalsHooked = true;
    for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
      Deno.addSignalListener(sig, () => {
        stopAllSync();
        Deno.exit(code);
      });
    }
  }
  if (shared) {
    const cp = await shared.catch(() => undefined);
    if (cp && !(cp as LocalControlPlane).stopped) return cp;
  }
  shared = startControlPlane();
  return await shared;
}

// ---------------------------------------------------------------------------------------------
// API helpers

/** An authenticated request to the apiserver as admin; the body is parsed JSON when it is JSON. */
export function kubeRequest(
  cp: ControlPlane,
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
): Promise<ApiResponse> {
  return internals(cp).request(method, path, body, contentType);
}

/** Writes a kubeconfig that authenticates with only a bearer token; returns its path. */
export async function tokenKubeconfig(
  cp: ControlPlane,
  token: string,
  namespace = "default",
): Promise<string> {
  const lcp = internals(cp);
  const path = await Deno.makeTempFile({ dir: lcp.dir, prefix: "token-", suffix: ".kubeconfig" });
  await Deno.writeTextFile(path, kubeconfigYaml(cp.url, cp.caPem, { token }, namespace));
  return path;
}

/** Creates a namespace (if missing) and its default ServiceAccount (if missing). */
export async function ensureNamespace(cp: ControlPlane, name: string): Promise<void> {
  const lcp = internals(cp);
  await apiOk(lcp, "POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name },
  }, { allow: [409] });
  // The ServiceAccount admission plugin rejects pods until `default` exists; the controller
  // manager makes it too, but not at once (and not at all when it is off).
  await apiOk(lcp, "POST", `/api/v1/namespaces/${name}/serviceaccounts`, {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "default" },
  }, { allow: [409] });
}

/**
 * Creates `count` ConfigMaps named name(i) (default cm-<i>), each with one value of `bytes`
 * bytes, 50 at a time, in namespace `ns` (created if missing). The value repeats one letter
 * (gzip shrinks a list of them ~30× at 1 KB, ~1000× at 100 KB) or, with `random`, is random
 * base64 (gzip saves about a quarter). Any refusal fails loudly.
 */
export async function createConfigMaps(
  cp: ControlPlane,
  ns: string,
  count: number,
  bytes: number,
  opts: { name?: (i: number) => string; random?: boolean } = {},
): Promise<void> {
  const lcp = internals(cp);
  await ensureNamespace(cp, ns);
  const name = opts.name ?? ((i: number) => `cm-${i}`);
  const repeated = "v".repeat(bytes);
  const value = () => opts.random ? randomBase64(bytes) : repeated;
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from(
        { length: Math.min(50, count - i) },
        (_, j) =>
          apiOk(lcp, "POST", `/api/v1/namespaces/${ns}/configmaps`, {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: name(i + j) },
            data: { v: value() },
          }),
      ),
    );
  }
}

/** `length` characters of random base64. */
function randomBase64(length: number): string {
  const raw = new Uint8Array(Math.ceil(length * 3 / 4));
  // getRandomValues fills at most 64 KiB per call.
  for (let off = 0; off < raw.length; off += 65536) {
    crypto.getRandomValues(raw.subarray(off, off + 65536));
  }
  return encodeBase64(raw).slice(0, length);
}

function fakeKubelet(cp: LocalControlPlane): FakeKubelet {
  cp.kubelet ??= new FakeKubelet(cp.certs.kubeletCert, cp.certs.kubeletKey);
  return cp.kubelet;
}

/**
 * Registers a Ready Node whose kubelet is this process's fake kubelet (127.0.0.1, its port), so
 * the apiserver proxies container logs of pods on it there. Idempotent.
 */
export async function createNode(cp: ControlPlane, name: string): Promise<void> {
  const lcp = internals(cp);
  const port = fakeKubelet(lcp).port;
  await apiOk(lcp, "POST", "/api/v1/nodes", {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
      },
    },
  }, { allow: [409] });
  const now = new Date().toISOString();
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  const resources = { cpu: "4", memory: "8Gi", pods: "110", "ephemeral-storage": "50Gi" };
  await apiOk(lcp, "PATCH", `/api/v1/nodes/${name}/status`, {
    status: {
      addresses: [{ type: "InternalIP", address: "127.0.0.1" }, {
        type: "Hostname",
        address: name,
      }],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
      capacity: resources,
      allocatable: resources,
      conditions: [
        cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "fake"),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "fake"),
        cond("PIDPressure", "False", "KubeletHasSufficientPID", "fake"),
        cond("Ready", "True", "KubeletReady", "testenv fake kubelet is ready"),
      ],
      nodeInfo: {
        machineID: name,
        systemUUID: name,
        bootID: name,
        kernelVersion: "6.0.0-testenv",
        osImage: "testenv fake node",
        containerRuntimeVersion: "fake://1.0.0",
        kubeletVersion: cp.version,
        kubeProxyVersion: "",
        operatingSystem: "linux",
        architecture: "amd64",
      },
    },
  }, { contentType: "application/merge-patch+json" });
  // The TaintNodesByCondition admission plugin taints new nodes not-ready; a real kubelet's
  // node-lifecycle controller would lift it once Ready.
  await apiOk(lcp, "PATCH", `/api/v1/nodes/${name}`, { spec: { taints: null } }, {
    contentType: "application/merge-patch+json",
  });
}

interface PodLike {
  metadata: {
    name: string;
    namespace: string;
    deletionTimestamp?: string;
    creationTimestamp?: string;
  };
  spec: { nodeName?: string; containers: { name: string; image?: string }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
  };
}

function podPath(ns: string, name: string): string {
  return `/api/v1/namespaces/${ns}/pods/${name}`;
}

async function markRunning(cp: LocalControlPlane, pod: PodLike): Promise<void> {
  const now = new Date().toISOString();
  const conditions = [
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
  ]
    .map((type) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: now }));
  await apiOk(cp, "PATCH", `${podPath(pod.metadata.namespace, pod.metadata.name)}/status`, {
    status: {
      phase: "Running",
      hostIP: "127.0.0.1",
      hostIPs: [{ ip: "127.0.0.1" }],
      startTime: now,
      conditions,
      containerStatuses: pod.spec.containers.map((c) => ({
        name: c.name,
        image: c.image ?? "",
        imageID: `fake://${c.image ?? ""}`,
        containerID: `fake://${pod.metadata.namespace}/${pod.metadata.name}/${c.name}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    },
  }, { contentType: "application/merge-patch+json" });
}

/**
 * Creates a Pod bound to a fake-kubelet node (spec.nodeName) and sets its status to Running and
 * Ready through the status subresource. Creates the namespace, its default ServiceAccount and
 * the node when missing.
 */
export async function createRunningPod(
  cp: ControlPlane,
  namespace: string,
  name: string,
  opts: PodOptions = {},
): Promise<void> {
  const c = internals(cp);
  const nodeName = opts.nodeName ?? "testenv-node";
  await Promise.all([ensureNamespace(cp, namespace), createNode(cp, nodeName)]);
  const image = opts.image ?? "registry.example/testenv/app:1.0";
  const res = await apiOk(c, "POST", `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: opts.labels ?? { app: name } },
    spec: {
      nodeName,
      // Nothing would confirm a graceful deletion: delete at once.
      terminationGracePeriodSeconds: 0,
      containers: (opts.containers ?? ["main"]).map((n) => ({ name: n, image })),
    },
  });
  await markRunning(c, res.body as PodLike);
}

/**
 * What a scheduler and kubelets would do, once, for the fake nodes: binds unscheduled pods to
 * nodes (round robin), marks bound pods Running/Ready, and finishes deleting pods that are
 * terminating. Returns how many pods it changed. Call it in a loop for a live cluster.
 */
export async function reconcilePods(cp: ControlPlane): Promise<number> {
  const c = internals(cp);
  const nodes = ((await apiOk(c, "GET", "/api/v1/nodes")).body as {
    items: { metadata: { name: string } }[];
  }).items.map((n) => n.metadata.name).sort();
  const pods = ((await apiOk(c, "GET", "/api/v1/pods")).body as { items: PodLike[] }).items;
  let changed = 0;
  let next = 0;
  for (const pod of pods) {
    const { namespace, name } = pod.metadata;
    try {
      if (pod.metadata.deletionTimestamp) {
        await apiOk(c, "DELETE", `${podPath(namespace, name)}?gracePeriodSeconds=0`, undefined, {
          allow: [404],
        });
        changed++;
        continue;
      }
      const phase = pod.status?.phase ?? "Pending";
      if (phase === "Succeeded" || phase === "Failed") continue;
      if (!pod.spec.nodeName) {
        if (nodes.length === 0) continue;
        const node = nodes[next++ % nodes.length];
        await apiOk(c, "POST", `${podPath(namespace, name)}/binding`, {
          apiVersion: "v1",
          kind: "Binding",
          metadata: { name, namespace },
          target: { apiVersion: "v1", kind: "Node", name: node },
        });
        pod.spec.nodeName = node;
      }
      const ready = pod.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True");
      if (phase !== "Running" || !ready) {
        await markRunning(c, pod);
        changed++;
      }
    } catch (err) {
      // The pod may have changed or gone meanwhile; the next pass sees it again.
      if (!(err instanceof Error && /-> (404|409)/.test(err.message))) throw err;
    }
  }
  return changed;
}
