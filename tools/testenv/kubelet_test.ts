// Tests of test-kubelet (tools/kube/kubelet, run by tools/testenv/kubelet.ts): the REAL kubectl
// against the real kube-apiserver, which streams exec, attach, cp and port-forward to it (SPDY
// toward the kubelet, whatever kubectl spoke). Run: deno test -A tools/testenv/kubelet_test.ts
//
// The tests that use the shared control plane turn the op/resource sanitizers off: its child
// processes, HTTP client and kubelet live across tests until the module unloads.

import assert from "node:assert/strict";
import {
  type ControlPlane,
  createNode,
  createRunningPod,
  sharedControlPlane,
  startControlPlane,
} from "./mod.ts";
import { internals } from "./control_plane.ts";
import { alive } from "./process.ts";
import { freePorts } from "../ports.ts";
import { eventually, withTimeout } from "../../testing/eventually.ts";

const shared = { sanitizeOps: false, sanitizeResources: false };
const NS = "kubelet-test";
const POD = "box";
const CHILD_TIMEOUT_MS = 60_000;
/**
 * How kubectl talks to the apiserver: WebSocket (kubectl 1.36's default; the apiserver translates
 * it to SPDY toward the kubelet) or SPDY (passed through to the kubelet as it is).
 */
const PROTOCOLS: { name: string; env: Record<string, string> }[] = [
  { name: "WebSocket", env: {} },
  {
    name: "SPDY",
    env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false", KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" },
  },
];

/** The shared control plane with pod kubelet-test/box (containers app and sidecar) Running. */
let ready: Promise<ControlPlane> | undefined;
function cluster(): Promise<ControlPlane> {
  ready ??= (async () => {
    const cp = await sharedControlPlane();
    await createRunningPod(cp, NS, POD, { containers: ["app", "sidecar"] });
    return cp;
  })();
  return ready;
}

/** A kubectl child process with the admin kubeconfig, a clean environment and a temp HOME. */
interface Kubectl {
  child: Deno.ChildProcess;
  out: Output;
  err: Output;
  /** Writes to its stdin (when piped). */
  write(data: string | Uint8Array): Promise<void>;
  closeStdin(): Promise<void>;
  /** Waits for it to exit (killing it after CHILD_TIMEOUT_MS); returns the exit code. */
  exit(): Promise<number>;
  /** Kills it (if running) and waits; for finally blocks. */
  kill(): Promise<void>;
}

/** A child's output stream, collected in the background; waitFor() polls it. */
class Output {
  bytes: Uint8Array[] = [];
  text = "";
  readonly done: Promise<void>;
  constructor(stream: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    this.done = stream.pipeTo(
      new WritableStream({
        write: (chunk) => {
          this.bytes.push(chunk);
          this.text += decoder.decode(chunk, { stream: true });
        },
      }),
    ).catch(() => {});
  }

  async waitFor(re: RegExp, what: string, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return await eventually(what, () => re.exec(this.text), {
      timeoutMs,
      intervalMs: 50,
      message: () => `output so far:\n${this.text.slice(-2000)}`,
    });
  }

  concat(): Uint8Array {
    const all = new Uint8Array(this.bytes.reduce((n, b) => n + b.length, 0));
    let off = 0;
    for (const b of this.bytes) {
      all.set(b, off);
      off += b.length;
    }
    return all;
  }
}

/** Options of a child process: a piped stdin, environment variables added. */
interface SpawnOptions {
  stdin?: boolean;
  env?: Record<string, string>;
}

async function spawn(cp: ControlPlane, cmd: string, args: string[], opts: SpawnOptions = {}) {
  const stdin = opts.stdin ?? false;
  const home = await Deno.makeTempDir({ dir: internals(cp).dir, prefix: "home-" });
  const child = new Deno.Command(cmd, {
    args,
    clearEnv: true,
    env: {
      HOME: home,
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      SHELL: "/bin/sh",
      ...opts.env,
    },
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = stdin ? child.stdin.getWriter() : undefined;
  const out = new Output(child.stdout);
  const err = new Output(child.stderr);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const kubectl: Kubectl = {
    child,
    out,
    err,
    write: async (data) => {
      assert.ok(writer, "stdin is not piped");
      await writer.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
    },
    closeStdin: async () => {
      await writer?.close().catch(() => {});
    },
    exit: async () => {
      const timer = setTimeout(() => kubectl.kill(), CHILD_TIMEOUT_MS);
      try {
        const s = await status;
        await Promise.all([out.done, err.done]);
        return s.code;
      } finally {
        clearTimeout(timer);
      }
    },
    kill: async () => {
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch {
          // gone
        }
      }
      await writer?.close().catch(() => {});
      await status;
      await Promise.all([out.done, err.done]);
    },
  };
  return kubectl;
}

function kubectl(cp: ControlPlane, args: string[], opts: SpawnOptions = {}): Promise<Kubectl> {
  return spawn(cp, `${cp.binDir}/kubectl`, ["--kubeconfig", cp.kubeconfigPath, ...args], opts);
}

/** Runs kubectl to its end; stdin, when given, is written whole and then closed. */
async function run(
  cp: ControlPlane,
  args: string[],
  opts: { stdin?: Uint8Array; env?: Record<string, string> } = {},
) {
  const stdin = opts.stdin;
  const k = await kubectl(cp, args, { stdin: stdin !== undefined, env: opts.env });
  try {
    if (stdin !== undefined) {
      await k.write(stdin);
      await k.closeStdin();
    }
    const code = await k.exit();
    return { code, stdout: k.out.text, stderr: k.err.text, bytes: k.out.concat() };
  } finally {
    await k.kill();
  }
}

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(b.subarray(off, off + 65536));
  return b;
}

async function sha256(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}

Deno.test({
  name: "kubectl exec runs the command and reports its output and exit code",
  ...shared,
  async fn(t) {
    const cp = await cluster();
    const podDir = `${internals(cp).dir}/kubelet/pods/${NS}/${POD}`;
    const cases: { args: string[]; code: number; stdout: string | RegExp; stderr?: RegExp }[] = [
      { args: ["--", "echo", "hi"], code: 0, stdout: "hi\n" },
      { args: ["--", "sh", "-c", "exit 3"], code: 3, stdout: "" },
      {
        args: ["--", "sh", "-c", "echo out; echo err >&2"],
        code: 0,
        stdout: "out\n",
        stderr: /^err\n$/,
      },
      // Killed by SIGKILL: 128 + 9, as a shell and a container runtime report it.
      { args: ["--", "sh", "-c", "kill -9 $$"], code: 137, stdout: "" },
      // The working directory is the pod's own directory, for every container.
      { args: ["-c", "sidecar", "--", "pwd"], code: 0, stdout: `${podDir}\n` },
      {
        args: ["--", "sh", "-c", 'echo "$HOSTNAME"; test -t 0 || echo no-tty'],
        code: 0,
        stdout: `${POD}\nno-tty\n`,
      },
    ];
    for (const proto of PROTOCOLS) {
      for (const c of cases) {
        // Container app unless the case names one (else kubectl says which it defaulted to).
        const args = c.args[0] === "-c" ? c.args : ["-c", "app", ...c.args];
        const name = `${proto.name}: kubectl exec ${POD} ${args.join(" ")} -> ${c.code}`;
        await t.step(name, async () => {
          const r = await run(cp, ["exec", "-n", NS, POD, ...args], { env: proto.env });
          assert.equal(r.code, c.code, `exit code; stderr: ${r.stderr}`);
          if (typeof c.stdout === "string") assert.equal(r.stdout, c.stdout);
          else assert.match(r.stdout, c.stdout);
          if (c.stderr) assert.match(r.stderr, c.stderr);
        });
      }
    }
  },
});

Deno.test({
  name: "kubectl exec -i cat round-trips 10 MB of random bytes byte-exact",
  ...shared,
  async fn(t) {
    const cp = await cluster();
    const data = randomBytes(10 * 1024 * 1024);
    const want = await sha256(data);
    for (const proto of PROTOCOLS) {
      await t.step(proto.name, async () => {
        const t0 = performance.now();
        const r = await run(cp, ["exec", "-i", "-n", NS, POD, "-c", "app", "--", "cat"], {
          stdin: data,
          env: proto.env,
        });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.bytes.length, data.length, "byte count");
        assert.equal(await sha256(r.bytes), want);
        console.error(
          `${proto.name}: 10 MB through exec -i cat in ${Math.round(performance.now() - t0)} ms`,
        );
      });
    }
  },
});

Deno.test({
  name: "kubectl exec -it gives a terminal of the client's size and follows its resizes",
  ...shared,
  async fn() {
    const cp = await cluster();
    const trigger = `${internals(cp).dir}/resize-now`;
    // script(1) gives kubectl a terminal of 33x111; a background job resizes it to 40x120 once
    // the trigger file exists (SIGWINCH to kubectl, which sends a resize event).
    const inner = [
      "stty rows 33 cols 111",
      // (A background job's stdin is /dev/null: it names the terminal.)
      `(while [ ! -e ${trigger} ]; do sleep 0.1; done; stty rows 40 cols 120 </dev/tty) &`,
      `exec ${cp.binDir}/kubectl --kubeconfig ${cp.kubeconfigPath} exec -it -n ${NS} ${POD} -- sh`,
    ].join("\n");
    const s = await spawn(cp, "script", ["-qec", inner, "/dev/null"], { stdin: true });
    try {
      // The typed line's echo shows `size=$(stty size)`, never `size=<digits>`.
      const sizes = () =>
        [...s.out.text.matchAll(/size=(\d+) (\d+)/g)].map((m) => `${m[1]} ${m[2]}`);
      // Typed at once, before the shell runs: the process starts with the client's size.
      await s.write('echo "size=$(stty size)"\r');
      await s.out.waitFor(/size=\d+ \d+/, "stty size in the pod");
      assert.deepEqual(sizes(), ["33 111"]);
      // Resized while it runs (SIGWINCH to kubectl, a resize event, then TIOCSWINSZ here).
      await Deno.writeTextFile(trigger, "");
      await eventually("stty size in the pod = 40 120 after the resize", async () => {
        await s.write('echo "size=$(stty size)"\r');
        await new Promise((r) => setTimeout(r, 300));
        return sizes().at(-1) === "40 120";
      }, { timeoutMs: 20_000, intervalMs: 200, message: () => s.out.text.slice(-2000) });
      await s.write('test -t 0 && echo "tty=yes-$TERM"\r');
      await s.out.waitFor(/tty=yes-xterm/, "a terminal in the pod");
      await s.write("exit 4\r");
      assert.equal(await s.exit(), 4, `script/kubectl exit code; stderr: ${s.err.text}`);
    } finally {
      await s.kill();
    }
  },
});

Deno.test({
  name: "kubectl cp copies a 5 MB file into the pod and back byte-exact",
  ...shared,
  async fn(t) {
    const cp = await cluster();
    const dir = await Deno.makeTempDir({ dir: internals(cp).dir, prefix: "cp-" });
    const data = randomBytes(5 * 1024 * 1024);
    const want = await sha256(data);
    await Deno.writeFile(`${dir}/blob.bin`, data);
    // The "container" is this machine: an absolute path is the host's, a relative one is in the
    // pod's working directory.
    await Deno.mkdir(`${dir}/remote`);
    const cases = [
      { name: "absolute path", remote: `${dir}/remote/copy.bin`, host: `${dir}/remote/copy.bin` },
      {
        name: "relative path",
        remote: "copy.bin",
        host: `${internals(cp).dir}/kubelet/pods/${NS}/${POD}/copy.bin`,
      },
    ];
    for (const [i, c] of cases.entries()) {
      await t.step(c.name, async () => {
        const into = await run(cp, ["cp", "-n", NS, `${dir}/blob.bin`, `${POD}:${c.remote}`]);
        assert.equal(into.code, 0, into.stderr);
        assert.equal(await sha256(await Deno.readFile(c.host)), want, "the copy in the pod");
        const back = `${dir}/back-${i}.bin`;
        const out = await run(cp, ["cp", "-n", NS, `${POD}:${c.remote}`, back]);
        assert.equal(out.code, 0, out.stderr);
        const got = await Deno.readFile(back);
        assert.equal(got.length, data.length);
        assert.equal(await sha256(got), want, "the copy back");
      });
    }
  },
});

Deno.test({
  name: "kubectl port-forward reaches a local server: 20 sequential requests, 20 connections",
  ...shared,
  async fn(t) {
    const cp = await cluster();
    for (const proto of PROTOCOLS) {
      await t.step(proto.name, async () => {
        const peers = new Set<number>();
        const server = Deno.serve(
          { hostname: "127.0.0.1", port: 0, onListen: () => {} },
          (req, info) => {
            peers.add(info.remoteAddr.port);
            return new Response(`hello from ${new URL(req.url).pathname}`);
          },
        );
        const [local] = freePorts(1);
        const pf = await kubectl(
          cp,
          ["port-forward", "-n", NS, `pod/${POD}`, `${local}:${server.addr.port}`],
          { env: proto.env },
        );
        try {
          await pf.out.waitFor(
            new RegExp(`Forwarding from 127\\.0\\.0\\.1:${local}`),
            "forwarding",
          );
          for (let i = 0; i < 20; i++) {
            // A client of its own per request: a new connection, so a new forwarded stream.
            const client = Deno.createHttpClient({});
            try {
              const init: RequestInit & { client: Deno.HttpClient } = { client };
              const res = await withTimeout(
                fetch(`http://127.0.0.1:${local}/req-${i}`, init),
                15_000,
                `request ${i}`,
              );
              assert.equal(res.status, 200);
              assert.equal(await res.text(), `hello from /req-${i}`);
            } finally {
              client.close();
            }
          }
          assert.equal(peers.size, 20, "each request came on a new connection from the kubelet");
        } finally {
          await pf.kill();
          await server.shutdown();
        }
      });
    }
  },
});

Deno.test({
  name: "kubectl attach watches the container's main process and feeds it input",
  ...shared,
  async fn(t) {
    const cp = await cluster();
    await t.step("kubectl attach sees the numbered lines as they come", async () => {
      const a = await kubectl(cp, ["attach", "-n", NS, POD, "-c", "app"]);
      try {
        const m = await a.out.waitFor(/attach line (\d+) from box\/app\n/, "an attach line");
        const n = Number(m[1]);
        await a.out.waitFor(
          new RegExp(`attach line ${n + 2} from box/app\\n`),
          "two more lines, 200 ms apart",
        );
      } finally {
        await a.kill();
      }
    });

    await t.step(
      "kubectl attach -i: the input comes back as echo lines, to every watcher",
      async () => {
        const watcher = await kubectl(cp, ["attach", "-n", NS, POD, "-c", "sidecar"]);
        const typist = await kubectl(cp, ["attach", "-i", "-n", NS, POD, "-c", "sidecar"], {
          stdin: true,
        });
        try {
          await watcher.out.waitFor(/attach line \d+ from box\/sidecar\n/, "the watcher attached");
          await typist.out.waitFor(/attach line \d+ from box\/sidecar\n/, "the typist attached");
          await typist.write("hello kubelet\n");
          await typist.out.waitFor(/^echo: hello kubelet$/m, "the echo, to the typist");
          await watcher.out.waitFor(/^echo: hello kubelet$/m, "the echo, to the other watcher");
        } finally {
          await Promise.all([watcher.kill(), typist.kill()]);
        }
      },
    );
  },
});

Deno.test({
  name: "the kubelet answers 404 to what it does not serve",
  ...shared,
  async fn(t) {
    const cp = await cluster();
    const port = await internals(cp).kubelet!.port();
    const client = Deno.createHttpClient({ caCerts: [cp.caPem] });
    try {
      for (
        const [method, path] of [["GET", "/pods"], ["GET", "/stats/summary"], [
          "PUT",
          "/exec/a/b/c",
        ]]
      ) {
        await t.step(`${method} ${path}`, async () => {
          const init: RequestInit & { client: Deno.HttpClient } = { method, client };
          const res = await fetch(`https://127.0.0.1:${port}${path}`, init);
          assert.equal(res.status, 404);
          assert.match(
            await res.text(),
            new RegExp(`^test-kubelet: ${method} ${path} is not supported`),
          );
        });
      }
    } finally {
      client.close();
    }
  },
});

Deno.test({
  name: "stop() ends the kubelet (its stdin closes) and what kubectl exec started",
  // Its own control plane, whose processes it starts and awaits.
  async fn() {
    const cp = await startControlPlane({ controllerManager: false });
    let exec: Kubectl | undefined;
    let kubeletPid = 0;
    let sleepPid = 0;
    try {
      await createNode(cp, "node-a");
      await createRunningPod(cp, "stop-test", "sleeper", { nodeName: "node-a" });
      const kubelet = internals(cp).kubelet!;
      kubeletPid = kubelet.pid;
      assert.ok(alive(kubeletPid), "the kubelet runs");
      exec = await kubectl(cp, [
        "exec",
        "-n",
        "stop-test",
        "sleeper",
        "--",
        "sh",
        "-c",
        "echo pid=$$; exec sleep 300",
      ]);
      sleepPid = Number((await exec.out.waitFor(/pid=(\d+)\n/, "the exec's pid"))[1]);
      assert.ok(alive(sleepPid), "the exec'd process runs");
      await cp.stop();
      // It exited by itself, code 0, when stop() closed its stdin: not SIGKILLed after the wait.
      const status = await kubelet.status();
      assert.deepEqual([status.code, status.signal], [0, null]);
      assert.ok(!alive(kubeletPid), `the kubelet (pid ${kubeletPid}) is gone`);
      await eventually(`the exec'd sleep (pid ${sleepPid}) is gone`, () => !alive(sleepPid), {
        timeoutMs: 5_000,
      });
    } finally {
      await exec?.kill();
      await cp.stop();
    }
  },
});
