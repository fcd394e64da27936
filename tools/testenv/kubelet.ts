/**
 * testenv/kubelet: the control plane's kubelet, test-kubelet (tools/kube/kubelet, a small Go
 * program that tools/kube/build.sh builds beside kubectl), run as a child process for the Nodes
 * made with createNode(). The apiserver reaches it on 127.0.0.1 for container logs (ten numbered
 * lines, honouring tailLines, timestamps and follow, which adds a line every 200 ms) and for the
 * streams of `kubectl exec`, `attach`, `cp` and `port-forward` (Kubernetes' own streaming server
 * code; a "container" is this machine: exec runs local processes in a per-pod directory). It
 * prints its port on stdout and exits when its stdin (kept open here) closes, so it never outlives
 * this process.
 */

import { tail } from "./process.ts";

const READY_TIMEOUT_MS = 15_000;
const STOP_WAIT_MS = 5_000;

/** A running test-kubelet; port() resolves once it listens, stop() ends it. */
export class TestKubelet {
  /** Its own log (stderr): requests it streamed and its errors. */
  readonly log: string;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #status: Promise<Deno.CommandStatus>;
  readonly #port: Promise<number>;
  #exited = false;
  #stopping?: Promise<void>;

  /**
   * Starts `${binDir}/test-kubelet` serving `cert`/`key` (PEM), with its files (the PEM files,
   * its log, the pods' working directories) under `dir`, which must exist.
   */
  constructor(binDir: string, dir: string, cert: string, key: string) {
    const home = `${dir}/kubelet`;
    Deno.mkdirSync(`${home}/pods`, { recursive: true });
    Deno.writeTextFileSync(`${home}/serving.crt`, cert);
    Deno.writeTextFileSync(`${home}/serving.key`, key, { mode: 0o600 });
    this.log = `${home}/kubelet.log`;
    this.#child = new Deno.Command(`${binDir}/test-kubelet`, {
      args: [
        "--listen=127.0.0.1:0",
        `--cert=${home}/serving.crt`,
        `--key=${home}/serving.key`,
        `--root=${home}/pods`,
        `--log=${this.log}`,
      ],
      stdin: "piped",
      stdout: "piped",
      // Only what it says before it opens its log (a bad flag, say); the rest goes to the log.
      stderr: "inherit",
    }).spawn();
    // It lives as long as its stdin is open; neither it nor its pipes keep this process alive.
    this.#stdin = this.#child.stdin.getWriter();
    this.#child.unref();
    this.#status = this.#child.status.then((s) => {
      this.#exited = true;
      return s;
    });
    this.#port = this.#readPort();
    // A failure surfaces through port(); don't let an unawaited one go unhandled.
    this.#port.catch(() => {});
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Its exit status, once it has exited. */
  status(): Promise<Deno.CommandStatus> {
    return this.#status;
  }

  /** The port it listens on (127.0.0.1), once it does; rejects with its log if it fails. */
  port(): Promise<number> {
    return this.#port;
  }

  async #readPort(): Promise<number> {
    const reader = this.#child.stdout.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      const t = setTimeout(() => resolve("timeout"), READY_TIMEOUT_MS);
      Deno.unrefTimer(t);
      timer = t;
    });
    try {
      while (!text.includes("\n")) {
        const r = await Promise.race([reader.read(), timeout]);
        if (r === "timeout") {
          throw new Error(`test-kubelet did not say its port in ${READY_TIMEOUT_MS} ms`);
        }
        if (r.done) break;
        text += decoder.decode(r.value, { stream: true });
      }
      const m = /^listening 127\.0\.0\.1:(\d+)\n/.exec(text);
      if (!m) throw new Error(`test-kubelet said ${JSON.stringify(text)}, not its port`);
      return Number(m[1]);
    } catch (err) {
      const status = this.#exited ? ` (exited: ${(await this.#status).code})` : "";
      throw new Error(
        `${(err as Error).message}${status}; its log:\n${await tail(this.log)}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
      // It writes nothing more to stdout; the pipe stays open (closing it could SIGPIPE it).
      reader.releaseLock();
    }
  }

  /** Kills it now (for exit handlers, which cannot wait). */
  stopSync(): void {
    if (this.#exited) return;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  /** Closes its stdin (it then kills what exec started and exits) and waits; idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), STOP_WAIT_MS);
    });
    try {
      if ((await Promise.race([this.#status, timeout])) === "timeout") {
        this.#child.kill("SIGKILL");
        await this.#status;
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
