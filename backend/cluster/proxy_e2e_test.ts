// End-to-end: the Kubernetes-compatible proxy with REAL kubectl and helm against a REAL
// kube-apiserver, table-driven over both connection types (kubeconfig and agent) and both
// stores (PGlite and PostgreSQL). The same assertions must hold for every combination.
import assert from "node:assert/strict";
import {
  createConfigMaps,
  createRunningPod,
  ensureNamespace,
  kubeRequest,
  sharedControlPlane,
} from "../../tools/testenv/mod.ts";
import { startTestDashboard, type StoreKind } from "../../testing/harness.ts";
import {
  connectCluster,
  type ConnectionKind,
  downloadKubeconfig,
  getCluster,
} from "../../testing/clusters.ts";

const combos: Array<{ store: StoreKind; kind: ConnectionKind }> = [
  { store: "pglite", kind: "kubeconfig" },
  { store: "pglite", kind: "agent" },
  { store: "postgres", kind: "kubeconfig" },
  { store: "postgres", kind: "agent" },
];

/** Reads a running command's stdout line by line; next(re) waits for a line matching re. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const lines = stream.pipeThrough(
    new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>,
  )
    .getReader();
  let buf = "";
  const seen: string[] = [];
  return {
    async next(re: RegExp, timeoutMs = 15_000): Promise<string> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const nl = buf.indexOf("\n");
        if (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          seen.push(line);
          if (re.test(line)) return line;
          continue;
        }
        const left = until - Date.now();
        if (left <= 0) {
          throw new Error(`no line matched ${re} in time; saw: ${seen.slice(-5).join(" | ")}`);
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const r = await Promise.race([
          lines.read(),
          new Promise<{ done: true; value: undefined }>((res) =>
            timer = setTimeout(() => res({ done: true, value: undefined }), left)
          ),
        ]);
        clearTimeout(timer);
        if (r.done && Date.now() < until) {
          throw new Error(
            `output ended before a line matched ${re}; saw: ${seen.slice(-5).join(" | ")}`,
          );
        }
        if (r.value) buf += r.value;
      }
    },
    cancel: () => lines.cancel().catch(() => {}),
  };
}

/** Runs kubectl with streaming output (watch, logs -f) until stopped. */
function streamingKubectl(binDir: string, kubeconfig: string, args: string[]) {
  const child = new Deno.Command(`${binDir}/kubectl`, {
    args: ["--kubeconfig", kubeconfig, ...args],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const out = lineReader(child.stdout);
  return {
    next: out.next,
    async stop() {
      child.kill();
      await out.cancel();
      await child.status;
    },
  };
}

for (const { store, kind } of combos) {
  Deno.test({
    name: `proxy e2e [${kind} cluster, ${store}]: kubectl, watch, logs, helm, RBAC, large list`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const cp = await sharedControlPlane();
      const dash = await startTestDashboard({ store });
      const ns = `e2e-${kind}-${store}`;
      await ensureNamespace(cp, ns);
      await createRunningPod(cp, ns, "web-0");
      const cluster = await connectCluster(dash, cp, kind, `c-${kind}-${store}`);
      const kubectl = (args: string[], kubeconfig: string, stdin?: string) =>
        cp.kubectl(args, { kubeconfig, stdin });
      try {
        await t.step("the cluster is connected with the server's version", async () => {
          const c = await getCluster(dash, cluster.id);
          assert.equal(c.status, "connected");
          assert.equal(c.kubernetes_version, cp.version);
          if (kind === "agent") {
            assert.equal(c.cluster_info?.kubernetes_version, cp.version);
            assert(c.cluster_info?.namespaces.includes(ns), "ClusterInfo lists the namespaces");
          }
        });

        const adminKc = await downloadKubeconfig(dash, cluster.id, dash.adminToken);

        await t.step("kubectl get pods -A through the dashboard", async () => {
          const r = await kubectl(["get", "pods", "-A", "-o", "name"], adminKc);
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, /pod\/web-0/);
        });

        await t.step("kubectl apply -f creates objects", async () => {
          const manifest = JSON.stringify({
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "applied", namespace: ns },
            data: { hello: "world" },
          });
          const r = await kubectl(["apply", "-f", "-"], adminKc, manifest);
          assert.equal(r.code, 0, r.stderr);
          const got = await kubectl([
            "get",
            "configmap",
            "applied",
            "-n",
            ns,
            "-o",
            "jsonpath={.data.hello}",
          ], adminKc);
          assert.equal(got.stdout, "world");
        });

        await t.step("kubectl get -w streams events while the watch is open", async () => {
          const watch = streamingKubectl(cp.binDir, adminKc, [
            "get",
            "configmaps",
            "-n",
            ns,
            "-w",
            "-o",
            "name",
          ]);
          try {
            await watch.next(/configmap\/applied/);
            await kubeRequest(cp, "POST", `/api/v1/namespaces/${ns}/configmaps`, {
              apiVersion: "v1",
              kind: "ConfigMap",
              metadata: { name: "watched-later" },
            });
            await watch.next(/configmap\/watched-later/);
          } finally {
            await watch.stop();
          }
        });

        await t.step("kubectl logs and logs -f", async () => {
          const r = await kubectl(["logs", "-n", ns, "web-0"], adminKc);
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, /log line \d+ from web-0\/main/);
          const follow = streamingKubectl(cp.binDir, adminKc, [
            "logs",
            "-f",
            "--tail=1",
            "-n",
            ns,
            "web-0",
          ]);
          try {
            const first = await follow.next(/log line (\d+)/);
            const n = Number(/log line (\d+)/.exec(first)![1]);
            await follow.next(new RegExp(`log line (${n + 1}|${n + 2}|${n + 3}) `));
          } finally {
            await follow.stop();
          }
        });

        await t.step("kubectl delete works; a viewer gets a clear 403", async () => {
          const created = await dash.api("POST", "/api/users", {
            username: "viewer1",
            password: "viewer-password-1",
            role: "viewer",
          }, dash.adminToken);
          assert.equal(created.status, 201, created.text);
          const viewerKc = await downloadKubeconfig(
            dash,
            cluster.id,
            await dash.login("viewer1", "viewer-password-1"),
          );
          const denied = await kubectl(["delete", "configmap", "applied", "-n", ns], viewerKc);
          assert(denied.code !== 0);
          assert.match(denied.stderr, /viewers may only read/);
          const readable = await kubectl(
            ["get", "configmap", "applied", "-n", ns, "-o", "name"],
            viewerKc,
          );
          assert.equal(readable.code, 0, readable.stderr);
          const r = await kubectl(["delete", "configmap", "applied", "-n", ns], adminKc);
          assert.equal(r.code, 0, r.stderr);
        });

        await t.step("helm install of a small chart", async () => {
          const dir = await Deno.makeTempDir();
          await Deno.mkdir(`${dir}/templates`);
          await Deno.writeTextFile(
            `${dir}/Chart.yaml`,
            "apiVersion: v2\nname: tiny\nversion: 0.1.0\n",
          );
          await Deno.writeTextFile(
            `${dir}/templates/cm.yaml`,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  from: helm\n",
          );
          const r = await cp.helm(
            ["install", "tiny", dir, "-n", ns, "--wait", "--timeout", "60s"],
            { kubeconfig: adminKc },
          );
          assert.equal(r.code, 0, r.stderr);
          const got = await kubectl([
            "get",
            "configmap",
            "tiny-cm",
            "-n",
            ns,
            "-o",
            "jsonpath={.data.from}",
          ], adminKc);
          assert.equal(got.stdout, "helm");
        });

        await t.step("a 20 MB list streams through with bounded dashboard memory", async () => {
          const bulk = `${ns}-bulk`;
          await createConfigMaps(cp, bulk, 200, 100 * 1024, { name: (i) => `bulk-${i}` });
          // Retained memory, not garbage: force a GC and read heap + external buffers while a
          // deliberately slow client holds the stream open after its first chunk.
          const gc = (globalThis as { gc?: () => void }).gc;
          assert(gc, "run the tests with --v8-flags=--expose-gc (deno task test does)");
          const retained = async () => {
            for (let i = 0; i < 3; i++) {
              gc();
              await new Promise((r) => setTimeout(r, 50));
            }
            const m = Deno.memoryUsage();
            return m.heapUsed + m.external;
          };
          const before = await retained();
          const res = await dash.fetch(
            `/api/clusters/${cluster.id}/k8s/api/v1/namespaces/${bulk}/configmaps`,
            {
              // identity: all 20 MB cross the dashboard (gzip would shrink these values ~1000x).
              headers: {
                authorization: `Bearer ${dash.adminToken}`,
                "accept-encoding": "identity",
              },
            },
          );
          assert.equal(res.status, 200);
          const reader = res.body!.getReader();
          let bytes = (await reader.read()).value?.length ?? 0;
          await new Promise((r) => setTimeout(r, 1500));
          const held = await retained() - before;
          for (let r = await reader.read(); !r.done; r = await reader.read()) {
            bytes += r.value.length;
          }
          assert(bytes > 20_000_000, `the list is over 20 MB (${bytes})`);
          console.log(
            `[${kind}, ${store}] 20 MB list: ${(bytes / 1e6).toFixed(1)} MB; dashboard retained ${
              (held / 1e6).toFixed(1)
            } MB while the client paused`,
          );
          assert(
            held < 8_000_000,
            `the dashboard held ${held} bytes of a ${bytes}-byte list for a paused client`,
          );
        });
      } finally {
        await cluster.close();
        await dash.stop();
        await dash.dropDb?.();
      }
    },
  });
}
