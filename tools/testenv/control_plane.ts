/**
 * testenv/control_plane: a running local control plane. startControlPlane() runs etcd,
 * kube-apiserver and (by default) kube-controller-manager on free loopback ports and resolves
 * once /readyz is ok (and, with the controller manager, once it made the default
 * ServiceAccount); sharedControlPlane() keeps one per test module. The ControlPlane runs kubectl
 * and helm with its admin kubeconfig in a clean environment, asks TokenRequest for
 * ServiceAccount tokens and stops everything (the 'unload' event and, for the shared one,
 * SIGINT/SIGTERM too). kubeRequest() and tokenKubeconfig() are the raw API helpers the fixtures
 * build on. The apiserver writes an audit log (every request at level Metadata, JSON lines) that
 * auditEvents() reads: who asked, as whom (impersonation), what and with which answer.
 */

import { freePorts } from "../ports.ts";
import { kubeTools } from "./binaries.ts";
import { type Certs, kubeconfigYaml, makeCerts } from "./certs.ts";
import type { TestKubelet } from "./kubelet.ts";
import { Proc, sweepStaleDirs, waitForReady } from "./process.ts";

const READY_TIMEOUT_MS = 90_000;

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

/**
 * One entry of the apiserver's audit log (audit.k8s.io/v1 Event at level Metadata; the fields the
 * tests read). Stages: ResponseComplete for every request; ResponseStarted too for long-running
 * ones (watch, exec, port-forward); Panic on a crash. RequestReceived is omitted.
 */
export interface AuditEvent {
  auditID: string;
  stage: "ResponseStarted" | "ResponseComplete" | "Panic";
  requestURI: string;
  verb: string;
  /** Who authenticated: for an impersonated request, the impersonator. */
  user: { username: string; groups?: string[] };
  /** Whom the request acted as, when it carried Impersonate-* headers. */
  impersonatedUser?: { username: string; groups?: string[] };
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    apiVersion?: string;
    subresource?: string;
  };
  responseStatus?: { code: number; reason?: string; message?: string };
  userAgent?: string;
  annotations?: Record<string, string>;
}

/** The apiserver's audit policy: everything at level Metadata (no bodies), no RequestReceived. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
`;

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
  /**
   * The apiserver's audit log so far, oldest first. An event is written as its request completes,
   * so one made a moment ago may not be there yet: poll (testing/eventually.ts).
   */
  auditEvents(): Promise<AuditEvent[]>;
  /** Kills every process, stops the test kubelet, removes temp dirs. Idempotent. */
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

const live = new Set<LocalControlPlane>();
let unloadHooked = false;

function stopAllSync(): void {
  for (const cp of [...live]) cp.stopSync();
}

/** The one ControlPlane implementation; fixtures reach its internals through internals(). */
export class LocalControlPlane implements ControlPlane {
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
  /** test-kubelet, started by the first createNode(). */
  kubelet?: TestKubelet;
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

  async auditEvents(): Promise<AuditEvent[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(`${this.dir}/audit.log`);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return [];
      throw err;
    }
    // A last line without its newline is still being written: it is read next time.
    const lines = text.split("\n");
    lines.pop();
    return lines.filter((l) => l !== "").map((l) => JSON.parse(l) as AuditEvent);
  }

  stopSync(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    live.delete(this);
    this.kubelet?.stopSync();
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

/** The LocalControlPlane behind `cp`; throws when it is foreign or stopped. */
export function internals(cp: ControlPlane): LocalControlPlane {
  if (!(cp instanceof LocalControlPlane)) {
    throw new Error("testenv: this ControlPlane was not made by startControlPlane()");
  }
  if (cp.stopped) throw new Error("testenv: the control plane is stopped");
  return cp;
}

/** A request as admin that throws unless the status is 2xx or in `allow`. */
export async function apiOk(
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
    await waitForReady(
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

    await Deno.writeTextFile(`${dir}/audit-policy.yaml`, AUDIT_POLICY);
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
      // test-kubelet: reached on the node's InternalIP (127.0.0.1); with no
      // --kubelet-certificate-authority the apiserver does not verify its certificate.
      "--kubelet-preferred-address-types=InternalIP",
      "--allow-privileged=true",
      // The aggregation layer (an APIService such as metrics_server.ts's): the client cert it
      // presents to extension API servers, the CA and names they trust for X-Remote-* headers,
      // and the Service's endpoint dialled directly (there is no kube-proxy).
      `--requestheader-client-ca-file=${dir}/front-proxy-ca.crt`,
      "--requestheader-allowed-names=front-proxy-client",
      "--requestheader-username-headers=X-Remote-User",
      "--requestheader-group-headers=X-Remote-Group",
      "--requestheader-extra-headers-prefix=X-Remote-Extra-",
      `--proxy-client-cert-file=${dir}/front-proxy-client.crt`,
      `--proxy-client-key-file=${dir}/front-proxy-client.key`,
      "--enable-aggregator-routing=true",
      // Who did what as whom (auditEvents()). Blocking mode: each event is written as its request
      // completes, not batched.
      `--audit-policy-file=${dir}/audit-policy.yaml`,
      `--audit-log-path=${dir}/audit.log`,
      "--audit-log-format=json",
      "--audit-log-mode=blocking",
      "--profiling=false",
      "--v=0",
    ], `${dir}/kube-apiserver.log`);
    cp.procs.push(apiserver);
    await waitForReady("kube-apiserver /readyz", READY_TIMEOUT_MS, async () => {
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
      await waitForReady(
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
