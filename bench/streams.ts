// Upgraded streams (exec, cp) against direct access, with the same clients and alternating rounds:
//   (a) the admin kubeconfig straight to the kube-apiserver,
//   (b) through the dashboard to a kubeconfig cluster,
//   (c) through the dashboard to an agent cluster.
// The pod is the control plane's test-kubelet's (tools/kube/kubelet): exec runs a local process,
// so what is measured is the path, not a container runtime.
// @ts-types="@types/ws"
import WebSocket from "ws";
import type { ControlPlane } from "../tools/testenv/mod.ts";
import { createRunningPod } from "../tools/testenv/mod.ts";
import { parseKubeconfig } from "../backend/cluster/kubeconfig.ts";
import { sha256Hex } from "../backend/crypto/encoding.ts";
import type { DashboardProcess } from "./dashboard_process.ts";
import { type Target, timedGet } from "./targets.ts";
import { percentile } from "./stats.ts";

/** One way to the pod: kubectl's kubeconfig, an in-process WebSocket, and small GETs. */
export interface StreamTarget {
  name: "a" | "b" | "c";
  label: string;
  /** A kubeconfig file for kubectl. */
  kubeconfig: string;
  /** The base of API paths for a WebSocket (wss://...), without the trailing slash. */
  wsBase: string;
  wsOptions: { ca: string; cert?: string; key?: string; headers: Record<string, string> };
  /** Small GETs (the tunnel bench's target). */
  http: Target;
  /** The dashboard's cluster id (b and c), for the deletion scenario. */
  clusterId?: string;
}

/** (a): the admin kubeconfig (client certificate) to the API server. */
export function directStreamTarget(cp: ControlPlane, http: Target): StreamTarget {
  const t = parseKubeconfig(Deno.readTextFileSync(cp.kubeconfigPath));
  return {
    name: "a",
    label: "direct",
    kubeconfig: cp.kubeconfigPath,
    wsBase: cp.url.replace(/^https:/, "wss:"),
    wsOptions: { ca: t.caPem!, cert: t.certPem!, key: t.keyPem!, headers: {} },
    http,
  };
}

/** (b) or (c): a kubeconfig downloaded from the dashboard, and the proxy's URL with a token. */
export async function proxyStreamTarget(
  name: "b" | "c",
  label: string,
  dash: DashboardProcess,
  clusterId: string,
  http: Target,
): Promise<StreamTarget> {
  const res = await dash.api("GET", `/api/clusters/${clusterId}/kubeconfig`);
  if (!res.ok) throw new Error(`kubeconfig of ${clusterId}: ${res.status} ${await res.text()}`);
  const kubeconfig = await Deno.makeTempFile({ prefix: "bench-streams-", suffix: ".kubeconfig" });
  await Deno.writeTextFile(kubeconfig, await res.text());
  return {
    name,
    label,
    kubeconfig,
    wsBase: `${dash.url.replace(/^https:/, "wss:")}/api/clusters/${clusterId}/k8s`,
    wsOptions: { ca: dash.caPem, headers: { authorization: `Bearer ${dash.token}` } },
    http,
    clusterId,
  };
}

export interface StreamSizes {
  /** `kubectl exec -- true` runs per target (in rounds of 5). */
  execRuns: number;
  /** Echo round trips on one `cat` stream per target (in rounds of 10). */
  echoRoundTrips: number;
  /** The size of the file `kubectl cp` copies, in MiB, and how many rounds (each way). */
  cpMiB: number;
  cpRounds: number;
  /** Small GETs per condition (idle, during a cp) and target, in alternating slices. */
  holGets: number;
  holSlices: number;
}

export const fullStreamSizes: StreamSizes = {
  execRuns: 30,
  echoRoundTrips: 100,
  cpMiB: 50,
  cpRounds: 2,
  holGets: 300,
  holSlices: 3,
};

export const smokeStreamSizes: StreamSizes = {
  execRuns: 2,
  echoRoundTrips: 10,
  cpMiB: 1,
  cpRounds: 1,
  holGets: 10,
  holSlices: 1,
};

export type StreamResults = Record<string, Record<string, number>>;

const NS = "bench-streams";
const POD = "shell";
/** The echo message: small, well inside one WebSocket frame and one pipe write. */
const ECHO_BYTES = 64;
/** How long a stream's end may take after the cluster's deletion before it counts as not ended. */
const DELETION_WAIT_MS = 30_000;

/** Rotates the order of targets each round so no target always goes first. */
function rotated<T>(items: T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

interface KubectlRun {
  code: number;
  ms: number;
  stderr: string;
}

async function kubectl(cp: ControlPlane, t: StreamTarget, args: string[]): Promise<KubectlRun> {
  const start = performance.now();
  const out = await new Deno.Command(`${cp.binDir}/kubectl`, {
    args: ["--kubeconfig", t.kubeconfig, "-n", NS, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    ms: performance.now() - start,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

async function kubectlOk(cp: ControlPlane, t: StreamTarget, args: string[]): Promise<number> {
  const r = await kubectl(cp, t, args);
  if (r.code !== 0) throw new Error(`${t.label}: kubectl ${args.join(" ")}: ${r.code} ${r.stderr}`);
  return r.ms;
}

/**
 * One `exec -- cat` stream (v5.channel.k8s.io): roundTrip() sends a message on stdin (channel 0)
 * and resolves when as many bytes came back on stdout (channel 1).
 */
async function openEcho(t: StreamTarget): Promise<{
  roundTrip(msg: Uint8Array): Promise<number>;
  close(): Promise<void>;
}> {
  const url =
    `${t.wsBase}/api/v1/namespaces/${NS}/pods/${POD}/exec?command=cat&stdin=true&stdout=true`;
  const ws = new WebSocket(url, ["v5.channel.k8s.io"], {
    ...t.wsOptions,
    perMessageDeflate: false,
  });
  let waiting: { need: number; resolve: () => void } | undefined;
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    const w = waiting;
    waiting = undefined;
    w?.resolve();
  };
  ws.on("message", (data: Buffer) => {
    const bytes = new Uint8Array(data);
    if (bytes.length < 2) return; // an empty message on a channel (the server's hello)
    if (bytes[0] === 3) {
      fail(new Error(`${t.label}: exec status: ${new TextDecoder().decode(bytes.subarray(1))}`));
    } else if (bytes[0] === 1 && waiting) {
      waiting.need -= bytes.length - 1;
      if (waiting.need <= 0) {
        const w = waiting;
        waiting = undefined;
        w.resolve();
      }
    }
  });
  ws.on("error", (err: Error) => fail(err));
  ws.on(
    "close",
    (code: number, reason: Buffer) => fail(new Error(`${t.label}: closed ${code} ${reason}`)),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
    ws.once(
      "unexpected-response",
      (_req: unknown, res: { statusCode: number }) =>
        reject(new Error(`${t.label}: exec WebSocket: HTTP ${res.statusCode}`)),
    );
  });
  if (ws.protocol !== "v5.channel.k8s.io") {
    throw new Error(`${t.label}: subprotocol "${ws.protocol}", not v5.channel.k8s.io`);
  }
  return {
    async roundTrip(msg) {
      if (failure) throw failure;
      const frame = new Uint8Array(msg.length + 1);
      frame.set(msg, 1); // channel 0: stdin
      const start = performance.now();
      await new Promise<void>((resolve) => {
        waiting = { need: msg.length, resolve };
        ws.send(frame);
      });
      if (failure) throw failure;
      return performance.now() - start;
    },
    async close() {
      failure ??= new Error("closed");
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((r) => ws.once("close", r));
      ws.send(new Uint8Array([255, 0])); // v5: close stdin, so cat ends
      const timer = setTimeout(() => ws.terminate(), 2000);
      ws.close(1000);
      await closed;
      clearTimeout(timer);
    },
  };
}

function randomFile(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let off = 0; off < bytes; off += 65536) {
    crypto.getRandomValues(out.subarray(off, off + 65536));
  }
  return out;
}

/**
 * Runs the streams scenarios; the last one deletes the (b) and (c) clusters from the dashboard,
 * so this must come after everything else that uses them.
 */
export async function runStreamsBench(
  cp: ControlPlane,
  dash: DashboardProcess,
  targets: StreamTarget[],
  sizes: StreamSizes,
): Promise<StreamResults> {
  const out: StreamResults = {};
  const put = (scenario: string, key: string, v: number) => (out[scenario] ??= {})[key] = v;
  await createRunningPod(cp, NS, POD);
  const podPath = `/api/v1/namespaces/${NS}/pods/${POD}`;

  // Exec round trip with kubectl: process start to exit, kubectl's own start-up included.
  for (const t of targets) await kubectlOk(cp, t, ["exec", POD, "--", "true"]); // warm
  const execMs: Record<string, number[]> = {};
  const execRounds = Math.ceil(sizes.execRuns / 5);
  for (let r = 0; r < execRounds; r++) {
    for (const t of rotated(targets, r)) {
      for (let i = 0; i < Math.min(5, sizes.execRuns); i++) {
        (execMs[t.name] ??= []).push(await kubectlOk(cp, t, ["exec", POD, "--", "true"]));
      }
    }
  }
  for (const t of targets) {
    put("kubectl_exec_p50_ms", t.name, percentile(execMs[t.name], 50));
    put("kubectl_exec_p99_ms", t.name, percentile(execMs[t.name], 99));
  }

  // Echo round trip on one open `cat` stream per target, in-process.
  const echoes = new Map<string, Awaited<ReturnType<typeof openEcho>>>();
  try {
    for (const t of targets) echoes.set(t.name, await openEcho(t));
    const msg = new TextEncoder().encode("x".repeat(ECHO_BYTES));
    for (const t of targets) {
      for (let i = 0; i < 10; i++) await echoes.get(t.name)!.roundTrip(msg); // warm
    }
    const echoMs: Record<string, number[]> = {};
    const echoRounds = Math.ceil(sizes.echoRoundTrips / 10);
    for (let r = 0; r < echoRounds; r++) {
      for (const t of rotated(targets, r)) {
        for (let i = 0; i < Math.min(10, sizes.echoRoundTrips); i++) {
          (echoMs[t.name] ??= []).push(await echoes.get(t.name)!.roundTrip(msg));
        }
      }
    }
    for (const t of targets) {
      put("ws_echo_p50_ms", t.name, percentile(echoMs[t.name], 50));
      put("ws_echo_p99_ms", t.name, percentile(echoMs[t.name], 99));
    }
  } finally {
    for (const e of echoes.values()) await e.close();
  }

  // kubectl cp into the pod and back, byte-exact. MB/s are 10^6 bytes per second of kubectl's
  // whole run (its start-up, the tar in the pod and the stream's set-up included).
  const dir = await Deno.makeTempDir({ prefix: "bench-streams-" });
  const bytes = sizes.cpMiB * 1024 * 1024;
  const local = `${dir}/in.bin`;
  const data = randomFile(bytes);
  await Deno.writeFile(local, data);
  const digest = sha256Hex(data);
  const remote = (t: StreamTarget) => `/tmp/bench-streams-${t.name}-${crypto.randomUUID()}.bin`;
  const remotes: string[] = [];
  try {
    const inMbps: Record<string, number[]> = {};
    const outMbps: Record<string, number[]> = {};
    for (let r = 0; r < sizes.cpRounds; r++) {
      for (const t of rotated(targets, r)) {
        const path = remote(t);
        remotes.push(path);
        const inMs = await kubectlOk(cp, t, ["cp", local, `${POD}:${path}`]);
        (inMbps[t.name] ??= []).push(bytes / 1e6 / (inMs / 1000));
        const back = `${dir}/out-${t.name}.bin`;
        const outMs = await kubectlOk(cp, t, ["cp", `${POD}:${path}`, back]);
        (outMbps[t.name] ??= []).push(bytes / 1e6 / (outMs / 1000));
        if (sha256Hex(await Deno.readFile(back)) !== digest) {
          throw new Error(`${t.label}: kubectl cp out of the pod did not return the same bytes`);
        }
        await Deno.remove(back);
        await Deno.remove(path).catch(() => {});
      }
    }
    for (const t of targets) {
      put("cp_in_mb_per_s", t.name, percentile(inMbps[t.name], 50));
      put("cp_out_mb_per_s", t.name, percentile(outMbps[t.name], 50));
    }

    // Head-of-line: small GETs of the pod, sequential, idle and while kubectl cp runs to the same
    // cluster: into the pod for half of a slice's loaded samples, out of it for the other half
    // (the same 50 MB file again and again). A loaded sample counts only when one and the same cp
    // ran from its start to its end.
    const cpPath = remote(targets[0]);
    remotes.push(cpPath, ...targets.map((t) => `${cpPath}.${t.name}`));
    await kubectlOk(cp, targets[0], ["cp", local, `${POD}:${cpPath}`]);
    for (const t of targets) await timedGet(t.http, podPath); // warm
    const idle: Record<string, number[]> = {};
    const loadedIn: Record<string, number[]> = {};
    const loadedOut: Record<string, number[]> = {};
    const cps: Record<string, number> = {};
    /** n loaded samples of t into `into`, while cps in one direction run back to back. */
    const whileCopying = async (t: StreamTarget, into: boolean, n: number, samples: number[]) => {
      const args = into
        ? ["cp", local, `${POD}:${cpPath}.${t.name}`]
        : ["cp", `${POD}:${cpPath}`, `${dir}/hol-${t.name}.bin`];
      let stop = false;
      let running = 0; // the number of the cp running now, 0 for none
      let seq = 0;
      let failed: unknown;
      const loop = (async () => {
        while (!stop) {
          running = ++seq;
          try {
            await kubectlOk(cp, t, args);
          } finally {
            running = 0;
          }
          cps[t.name] = (cps[t.name] ?? 0) + 1;
        }
      })().catch((err) => failed = err);
      try {
        let taken = 0;
        while (taken < n && !failed) {
          const during = running;
          const ms = await timedGet(t.http, podPath);
          if (during !== 0 && running === during) {
            samples.push(ms);
            taken++;
          } else {
            await new Promise((r) => setTimeout(r, 10)); // between two cps: wait for the next
          }
        }
      } finally {
        stop = true;
        await loop;
      }
      if (failed) throw failed;
    };
    const perSlice = Math.ceil(sizes.holGets / sizes.holSlices);
    for (let r = 0; r < sizes.holSlices; r++) {
      for (const t of rotated(targets, r)) {
        const idleSamples = idle[t.name] ??= [];
        for (let i = 0; i < perSlice; i++) idleSamples.push(await timedGet(t.http, podPath));
        await whileCopying(t, true, Math.ceil(perSlice / 2), loadedIn[t.name] ??= []);
        await whileCopying(t, false, Math.ceil(perSlice / 2), loadedOut[t.name] ??= []);
      }
    }
    for (const t of targets) {
      const loaded = [...loadedIn[t.name], ...loadedOut[t.name]];
      put("hol_cp_idle_p50_ms", t.name, percentile(idle[t.name], 50));
      put("hol_cp_idle_p99_ms", t.name, percentile(idle[t.name], 99));
      put("hol_cp_loaded_p50_ms", t.name, percentile(loaded, 50));
      put("hol_cp_loaded_p99_ms", t.name, percentile(loaded, 99));
      // The same samples by the direction of the cp they ran beside.
      put("hol_cp_in_loaded_p99_ms", t.name, percentile(loadedIn[t.name], 99));
      put("hol_cp_out_loaded_p99_ms", t.name, percentile(loadedOut[t.name], 99));
      put("hol_cp_runs", t.name, cps[t.name] ?? 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    for (const p of remotes) await Deno.remove(p).catch(() => {});
  }

  // Deleting the cluster closes an open exec: time from sending the DELETE until kubectl exits.
  for (const t of targets) {
    if (!t.clusterId) continue;
    const child = new Deno.Command(`${cp.binDir}/kubectl`, {
      args: ["--kubeconfig", t.kubeconfig, "-n", NS, "exec", POD, "--"].concat(
        ["sh", "-c", "echo ready; exec sleep 600"],
      ),
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${t.label}: the exec ended before it was open: ${seen}`);
      seen += value;
    }
    const start = performance.now();
    const res = await dash.api("DELETE", `/api/clusters/${t.clusterId}`);
    await res.body?.cancel();
    if (res.status !== 204) throw new Error(`${t.label}: DELETE cluster: HTTP ${res.status}`);
    const deleteMs = performance.now() - start;
    const timer = setTimeout(() => child.kill(), DELETION_WAIT_MS);
    const status = await child.status;
    const ms = performance.now() - start;
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
    put("deletion_delete_ms", t.name, deleteMs);
    // NaN when the exec had to be killed (it did not end by itself).
    put("deletion_exec_closed_ms", t.name, ms < DELETION_WAIT_MS ? ms : NaN);
    put("deletion_exec_exit_code", t.name, status.code);
  }
  return out;
}
