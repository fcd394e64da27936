// Acceptance tests for tools/testenv/ (through mod.ts): a real etcd + kube-apiserver +
// kube-controller-manager, kubectl and helm, RBAC with TokenRequest tokens, the audit log,
// container logs through test-kubelet (its streams: kubelet_test.ts), and no leaked processes. Run:
// deno test -A tools/testenv/
//
// The tests that use the shared control plane turn the op/resource sanitizers off: its child
// processes, HTTP client and kubelet live across tests until the module unloads.

import assert from "node:assert/strict";
import {
  type ControlPlane,
  createRunningPod,
  ensureNamespace,
  kubeRequest,
  reconcilePods,
  runBuildScript,
  sharedControlPlane,
  startControlPlane,
  tokenKubeconfig,
} from "./mod.ts";
import { eventually } from "../../testing/eventually.ts";
import { alive } from "./process.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(/\/$/, "");
const shared = { sanitizeOps: false, sanitizeResources: false };

async function pinnedKubernetesVersion(): Promise<string> {
  const gomod = await Deno.readTextFile(`${ROOT}/tools/kube/kubernetes/go.mod`);
  const m = /^require k8s\.io\/kubernetes (v\S+)/m.exec(gomod);
  assert.ok(m, "tools/kube/kubernetes/go.mod pins k8s.io/kubernetes");
  return m[1];
}

async function ok(cp: ControlPlane, args: string[], stdin?: string): Promise<string> {
  const r = await cp.kubectl(args, { stdin });
  assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

Deno.test("kubeTools: without Go it fails plainly, in CI too (never skips)", async (t) => {
  for (const ci of ["true", "false"]) {
    await t.step(`CI=${ci}`, async () => {
      const empty = await Deno.makeTempDir({ prefix: "testenv-nogo-" });
      try {
        await assert.rejects(
          runBuildScript({ PATH: "/usr/bin:/bin", KUBE_TOOLS_DIR: empty, CI: ci }),
          /^Error: Go is needed for the tests: /,
        );
      } finally {
        await Deno.remove(empty, { recursive: true });
      }
    });
  }
});

Deno.test({
  name: "kubectl version reports the pinned server version",
  ...shared,
  async fn() {
    const cp = await sharedControlPlane();
    const want = await pinnedKubernetesVersion();
    assert.equal(want, "v1.36.3");
    const v = JSON.parse(await ok(cp, ["version", "-o", "json"]));
    assert.equal(v.serverVersion.gitVersion, want);
    assert.equal(v.clientVersion.gitVersion, want);
    assert.equal(cp.version, want);
    assert.ok(cp.startupSeconds > 0 && cp.startupSeconds < 60, `${cp.startupSeconds} s`);
  },
});

Deno.test({
  name: "kubectl api-resources lists the core kinds",
  ...shared,
  async fn(t) {
    const cp = await sharedControlPlane();
    const names = (await ok(cp, ["api-resources", "-o", "name"])).trim().split("\n");
    for (
      const want of [
        "pods",
        "deployments.apps",
        "configmaps",
        "customresourcedefinitions.apiextensions.k8s.io",
      ]
    ) {
      await t.step(want, () => assert.ok(names.includes(want), names.join(", ")));
    }
  },
});

Deno.test({
  name: "a read-only ServiceAccount token can list pods but is forbidden to delete them",
  ...shared,
  async fn(t) {
    const cp = await sharedControlPlane();
    const ns = "rbac-test";
    await createRunningPod(cp, ns, "victim");
    await ok(
      cp,
      ["apply", "-f", "-"],
      `
apiVersion: v1
kind: ServiceAccount
metadata: { name: reader, namespace: ${ns} }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: testenv-pod-reader }
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: testenv-pod-reader }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: testenv-pod-reader }
subjects:
- { kind: ServiceAccount, name: reader, namespace: ${ns} }
`,
    );
    const token = await cp.serviceAccountToken(ns, "reader", 600);
    assert.equal(token.split(".").length, 3, "a JWT");
    const kubeconfig = await tokenKubeconfig(cp, token, ns);
    const kc = await Deno.readTextFile(kubeconfig);
    assert.ok(kc.includes("token:") && !kc.includes("client-key-data"), "token-only kubeconfig");

    const cases: { args: string[]; code: 0 | 1; out: RegExp }[] = [
      {
        args: ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"],
        code: 0,
        out: /^system:serviceaccount:rbac-test:reader$/,
      },
      { args: ["get", "pods", "-o", "name"], code: 0, out: /^pod\/victim$/m },
      { args: ["get", "pods", "--all-namespaces", "-o", "name"], code: 0, out: /^pod\/victim$/m },
      {
        args: ["delete", "pod", "victim"],
        code: 1,
        out: /Forbidden.*cannot delete resource "pods"/,
      },
      { args: ["get", "secrets"], code: 1, out: /Forbidden.*cannot list resource "secrets"/ },
    ];
    for (const c of cases) {
      await t.step(`kubectl ${c.args.join(" ")}`, async () => {
        const r = await cp.kubectl(c.args, { kubeconfig });
        assert.equal(r.code, c.code, r.stderr);
        assert.match(c.code === 0 ? r.stdout : r.stderr, c.out);
      });
    }

    await t.step("plain HTTPS with only the bearer token and the CA", async () => {
      const client = Deno.createHttpClient({ caCerts: [cp.caPem] });
      try {
        const call = async (method: string, path: string) => {
          const init: RequestInit & { client: Deno.HttpClient } = {
            method,
            client,
            headers: { authorization: `Bearer ${token}` },
          };
          const res = await fetch(`${cp.url}${path}`, init);
          return { status: res.status, body: await res.json() };
        };
        const list = await call("GET", `/api/v1/namespaces/${ns}/pods`);
        assert.equal(list.status, 200);
        assert.deepEqual(
          list.body.items.map((p: { metadata: { name: string } }) => p.metadata.name),
          ["victim"],
        );
        const del = await call("DELETE", `/api/v1/namespaces/${ns}/pods/victim`);
        assert.equal(del.status, 403);
        assert.equal(del.body.reason, "Forbidden");
      } finally {
        client.close();
      }
    });

    await t.step("the pod survived", async () => {
      assert.equal(
        (await kubeRequest(cp, "GET", `/api/v1/namespaces/${ns}/pods/victim`)).status,
        200,
      );
    });
  },
});

Deno.test({
  name: "the audit log records who asked, as whom, what, and the answer",
  ...shared,
  async fn() {
    const cp = await sharedControlPlane();
    const ns = `audit-${crypto.randomUUID().slice(0, 8)}`;
    // As admin (system:masters may impersonate anyone), acting as a user RBAC knows nothing of.
    const r = await cp.kubectl([
      "get",
      "configmaps",
      "-n",
      ns,
      "--as",
      "audit-user",
      "--as-group",
      "audit-g1",
      "--as-group",
      "audit-g2",
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /User "audit-user" cannot list resource "configmaps"/);
    const ok = await cp.kubectl(["get", "configmaps", "-n", ns]);
    assert.equal(ok.code, 0, ok.stderr);
    const mine = async () =>
      (await cp.auditEvents()).filter((e) =>
        e.objectRef?.namespace === ns && e.stage === "ResponseComplete"
      );
    await eventually("both requests in the audit log", async () => (await mine()).length >= 2);
    const events = await mine();
    assert.deepEqual(
      events.map((e) => ({
        user: e.user.username,
        as: e.impersonatedUser?.username,
        groups: e.impersonatedUser?.groups,
        verb: e.verb,
        resource: e.objectRef?.resource,
        code: e.responseStatus?.code,
      })),
      [
        {
          user: "admin",
          as: "audit-user",
          // The API server adds system:authenticated to whoever is impersonated.
          groups: ["audit-g1", "audit-g2", "system:authenticated"],
          verb: "list",
          resource: "configmaps",
          code: 403,
        },
        {
          user: "admin",
          as: undefined,
          groups: undefined,
          verb: "list",
          resource: "configmaps",
          code: 200,
        },
      ],
    );
    assert.ok(events.every((e) => e.requestURI.startsWith(`/api/v1/namespaces/${ns}/configmaps`)));
  },
});

Deno.test({
  name: "helm template and helm install of a tiny chart",
  ...shared,
  async fn(t) {
    const cp = await sharedControlPlane();
    const chart = await Deno.makeTempDir({ prefix: "testenv-chart-" });
    try {
      await Deno.mkdir(`${chart}/templates`);
      await Deno.writeTextFile(
        `${chart}/Chart.yaml`,
        'apiVersion: v2\nname: tiny\nversion: 0.1.0\nappVersion: "1.0"\n',
      );
      await Deno.writeTextFile(`${chart}/values.yaml`, "greeting: hello\n");
      await Deno.writeTextFile(
        `${chart}/templates/configmap.yaml`,
        `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  greeting: {{ .Values.greeting | quote }}
`,
      );

      await t.step("helm template renders the ConfigMap", async () => {
        const r = await cp.helm(["template", "demo", chart, "--set", "greeting=hi"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /kind: ConfigMap/);
        assert.match(r.stdout, /name: demo-config/);
        assert.match(r.stdout, /greeting: "hi"/);
      });

      await t.step("helm install creates it in the cluster", async () => {
        const r = await cp.helm([
          "install",
          "demo",
          chart,
          "-n",
          "helm-test",
          "--create-namespace",
        ]);
        assert.equal(r.code, 0, r.stderr);
        const got = await ok(cp, [
          "get",
          "configmap",
          "demo-config",
          "-n",
          "helm-test",
          "-o",
          "jsonpath={.data.greeting}",
        ]);
        assert.equal(got, "hello");
        const list = await cp.helm(["list", "-n", "helm-test", "-o", "json"]);
        assert.equal(list.code, 0, list.stderr);
        assert.equal(JSON.parse(list.stdout)[0].status, "deployed");
      });
    } finally {
      await Deno.remove(chart, { recursive: true });
    }
  },
});

Deno.test({
  name: "kubectl logs reads the test kubelet through the apiserver",
  ...shared,
  async fn(t) {
    const cp = await sharedControlPlane();
    const ns = "logs-test";
    await createRunningPod(cp, ns, "talker", { containers: ["app", "sidecar"] });
    const pod = await kubeRequest(cp, "GET", `/api/v1/namespaces/${ns}/pods/talker`);
    const status = (pod.body as { status: { phase: string } }).status;
    assert.equal(status.phase, "Running");

    const lines = (c: string, from: number, to: number, instance = "") =>
      Array.from(
        { length: to - from + 1 },
        (_, i) => `${instance}log line ${from + i} from talker/${c}\n`,
      ).join("");
    const cases = [
      { args: ["-c", "app"], want: lines("app", 1, 10) },
      { args: ["-c", "sidecar"], want: lines("sidecar", 1, 10) },
      { args: ["-c", "app", "--tail=3"], want: lines("app", 8, 10) },
      { args: ["-c", "app", "--tail=0"], want: "" },
      { args: ["-c", "app", "--previous"], want: lines("app", 1, 10, "previous ") },
      {
        args: ["-c", "app", "--previous", "-f", "--tail=2"],
        want: lines("app", 9, 10, "previous "),
      },
      {
        args: ["-c", "sidecar", "--tail=2", "--timestamps"],
        want: "2026-01-01T00:00:09.000Z log line 9 from talker/sidecar\n" +
          "2026-01-01T00:00:10.000Z log line 10 from talker/sidecar\n",
      },
    ];
    for (const c of cases) {
      await t.step(`kubectl logs talker ${c.args.join(" ")}`, async () => {
        assert.equal(await ok(cp, ["logs", "-n", ns, "talker", ...c.args]), c.want);
      });
    }

    await t.step("kubectl logs -f shows lines written after it started", async () => {
      const home = await Deno.makeTempDir({ prefix: "testenv-home-" });
      const child = new Deno.Command(`${cp.binDir}/kubectl`, {
        args: ["--kubeconfig", cp.kubeconfigPath, "logs", "-f", "-n", ns, "talker", "-c", "app"],
        env: { HOME: home },
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const started = Date.now();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const timeout = setTimeout(() => child.kill("SIGKILL"), 20_000);
      let text = "";
      let lastInitialAt = 0;
      try {
        while (!text.includes("log line 13 from talker/app\n")) {
          const { value, done } = await reader.read();
          assert.ok(!done, `kubectl logs -f ended early:\n${text}`);
          text += value;
          if (!lastInitialAt && text.includes("log line 10 from")) lastInitialAt = Date.now();
        }
      } finally {
        clearTimeout(timeout);
        child.kill("SIGTERM");
        await reader.cancel().catch(() => {});
        await child.status;
        await Deno.remove(home, { recursive: true });
      }
      assert.ok(text.startsWith(lines("app", 1, 13)), text);
      // Lines 11.. exist only once the stream is open: one every 200 ms after the 10 old ones.
      assert.ok(Date.now() - lastInitialAt >= 400, "new lines arrived over time");
      assert.ok(Date.now() - started >= 600);
    });
  },
});

Deno.test({
  name: "the controller manager runs Deployments; reconcilePods runs their pods",
  ...shared,
  async fn() {
    const cp = await sharedControlPlane();
    assert.equal(cp.controllerManager, true, "on by default");
    const ns = "deploy-test";
    await ensureNamespace(cp, ns);
    await ok(
      cp,
      ["apply", "-n", ns, "-f", "-"],
      `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 0
      containers: [{ name: web, image: registry.example/web:1 }]
`,
    );
    await eventually("pods from the ReplicaSet", async () => {
      await reconcilePods(cp);
      const r = await kubeRequest(cp, "GET", `/apis/apps/v1/namespaces/${ns}/deployments/web`);
      return (r.body as { status?: { readyReplicas?: number } }).status?.readyReplicas === 2;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const logs = await ok(cp, ["logs", "-n", ns, "deployment/web", "--tail=1"]);
    assert.match(logs, /^log line 10 from web-[a-z0-9]+-[a-z0-9]+\/web\n$/);
    await ok(cp, ["delete", "namespace", ns, "--wait=false"]);
  },
});

Deno.test({
  name: "stop() kills etcd, kube-apiserver and kube-controller-manager and removes the temp dir",
  // Starts and awaits its own child processes; the kubelet is not started here (kubelet_test.ts
  // stops one).
  async fn() {
    const cp = await startControlPlane();
    const dir = cp.kubeconfigPath.replace(/\/[^/]+$/, "");
    let pids: { name: string; pid: number }[] = [];
    try {
      pids = [...cp.processes];
      assert.deepEqual(pids.map((p) => p.name), [
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
      ]);
      for (const p of pids) assert.ok(alive(p.pid), `${p.name} runs`);
      assert.equal(
        (await cp.kubectl(["get", "ns", "default", "-o", "name"])).stdout,
        "namespace/default\n",
      );
    } finally {
      await cp.stop();
    }
    await cp.stop(); // idempotent
    for (const p of pids) assert.ok(!alive(p.pid), `${p.name} (pid ${p.pid}) is gone`);
    await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
  },
});
