/**
 * `deno task dev-cluster`: a local Kubernetes control plane to develop the dashboard against.
 *
 * Starts etcd, kube-apiserver and kube-controller-manager through tools/testenv/ and seeds:
 * namespaces `demo` and `staging`, two test-kubelet nodes, Deployments whose pods are bound and
 * marked Running (with logs), a ConfigMap, a Secret, the CRD `widgets.example.com` and one
 * Widget. Writes the admin kubeconfig to .cache/dev-cluster/kubeconfig and, once ready, prints
 * exactly one line on stdout:
 *
 *   export KUBECONFIG=/abs/path/.cache/dev-cluster/kubeconfig
 *
 * to paste into another shell (progress goes to stderr). It keeps scheduling new pods onto the
 * fake nodes until SIGINT/SIGTERM, then stops everything and removes the kubeconfig.
 */

import {
  type ControlPlane,
  createNode,
  ensureNamespace,
  kubeRequest,
  reconcilePods,
  startControlPlane,
} from "./testenv/mod.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");
const OUT_DIR = `${ROOT}/.cache/dev-cluster`;
const KUBECONFIG = `${OUT_DIR}/kubeconfig`;
const NODES = ["dev-node-1", "dev-node-2"];

const SEED = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: demo, labels: { app: web } }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: web
        image: nginx:1.27
        ports: [{ containerPort: 80 }]
        envFrom: [{ configMapRef: { name: app-config } }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: staging, labels: { app: api } }
spec:
  replicas: 1
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - { name: api, image: "registry.example/api:2.3.1" }
      - { name: proxy, image: "registry.example/proxy:1.0" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: app-config, namespace: demo }
data:
  GREETING: hello
  LOG_LEVEL: debug
---
apiVersion: v1
kind: Secret
metadata: { name: app-secret, namespace: demo }
type: Opaque
stringData:
  username: demo
  password: not-a-real-password
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
spec:
  group: example.com
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget, shortNames: [wg] }
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: { type: integer }
              color: { type: string }
    additionalPrinterColumns:
    - { name: Size, type: integer, jsonPath: .spec.size }
    - { name: Color, type: string, jsonPath: .spec.color }
`;

const WIDGET = `
apiVersion: example.com/v1
kind: Widget
metadata: { name: sprocket, namespace: demo }
spec: { size: 3, color: blue }
`;

async function kubectl(cp: ControlPlane, args: string[], stdin?: string): Promise<void> {
  const r = await cp.kubectl(args, { stdin });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${r.stderr}`);
  if (r.stdout.trim()) console.error(r.stdout.trimEnd());
}

async function readyReplicas(cp: ControlPlane, ns: string, name: string): Promise<number> {
  const r = await kubeRequest(cp, "GET", `/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
  return (r.body as { status?: { readyReplicas?: number } }).status?.readyReplicas ?? 0;
}

async function seed(cp: ControlPlane): Promise<void> {
  for (const ns of ["demo", "staging"]) await ensureNamespace(cp, ns);
  for (const node of NODES) await createNode(cp, node);
  await kubectl(cp, ["apply", "-f", "-"], SEED);
  await kubectl(cp, [
    "wait",
    "--for=condition=Established",
    "crd/widgets.example.com",
    "--timeout=60s",
  ]);
  await kubectl(cp, ["apply", "-f", "-"], WIDGET);
  const deadline = Date.now() + 60_000;
  while (
    (await readyReplicas(cp, "demo", "web")) < 2 || (await readyReplicas(cp, "staging", "api")) < 1
  ) {
    if (Date.now() > deadline) throw new Error("the seeded Deployments did not become ready");
    await reconcilePods(cp);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  const cp = await startControlPlane({ controllerManager: true });
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.error("dev-cluster: stopping");
    await cp.stop().catch((e) => console.error(e));
    // Leave the file alone if another dev cluster has written its own since.
    const written = await Deno.readTextFile(KUBECONFIG).catch(() => "");
    if (written.includes(`server: ${cp.url}\n`)) await Deno.remove(KUBECONFIG).catch(() => {});
    Deno.exit(code);
  };
  Deno.addSignalListener("SIGINT", () => shutdown(0));
  Deno.addSignalListener("SIGTERM", () => shutdown(0));
  try {
    await seed(cp);
    await Deno.mkdir(OUT_DIR, { recursive: true });
    await Deno.writeTextFile(KUBECONFIG, await Deno.readTextFile(cp.kubeconfigPath), {
      mode: 0o600,
    });
  } catch (err) {
    console.error("dev-cluster: seeding failed:", err);
    await shutdown(1);
    return;
  }
  console.error(
    `dev-cluster: ${cp.version} at ${cp.url} (ready in ${cp.startupSeconds} s); ` +
      `nodes ${NODES.join(", ")}; Ctrl-C to stop`,
  );
  console.log(`export KUBECONFIG=${KUBECONFIG}`);
  // Act as scheduler and kubelet for pods made later (scaling, rollouts, deletions).
  while (!stopping) {
    try {
      await reconcilePods(cp);
    } catch (err) {
      if (!stopping) console.error("dev-cluster: reconcile:", err);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

if (import.meta.main) await main();
