/**
 * testenv/fixtures: objects a test puts into a control plane: namespaces (with their default
 * ServiceAccount), ConfigMaps in bulk, Nodes backed by the test kubelet (test-kubelet: logs, exec,
 * attach, cp and port-forward), and Pods marked Running on them; reconcilePods() does once what a
 * scheduler and kubelets would do for these nodes.
 */

import { encodeBase64 } from "../../backend/crypto/encoding.ts";
import { apiOk, type ControlPlane, internals, type LocalControlPlane } from "./control_plane.ts";
import { TestKubelet } from "./kubelet.ts";

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

/** The control plane's test-kubelet, started on first use; resolves to its port. */
function kubeletPort(cp: LocalControlPlane): Promise<number> {
  cp.kubelet ??= new TestKubelet(cp.binDir, cp.dir, cp.certs.kubeletCert, cp.certs.kubeletKey);
  return cp.kubelet.port();
}

/**
 * Registers a Ready Node whose kubelet is the control plane's test-kubelet (127.0.0.1, its
 * port), so the apiserver sends container logs, exec, attach and port-forward of pods on it
 * there. Idempotent.
 */
export async function createNode(cp: ControlPlane, name: string): Promise<void> {
  const lcp = internals(cp);
  const port = await kubeletPort(lcp);
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
        cond("Ready", "True", "KubeletReady", "testenv test-kubelet is ready"),
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
 * Creates a Pod bound to a test-kubelet node (spec.nodeName) and sets its status to Running and
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
 * What a scheduler and kubelets would do, once, for the test nodes: binds unscheduled pods to
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
