/**
 * testenv/metrics_server: a small test server speaking metrics.k8s.io/v1beta1 (PodMetrics,
 * NodeMetrics: list, get, per namespace), registered in the control plane's real kube-apiserver
 * through an APIService (v1beta1.metrics.k8s.io), as metrics-server is in a real cluster. The
 * values it serves are the test's: setPod() / setNode() change them at any time.
 *
 * The aggregator dials the Service's endpoint directly (--enable-aggregator-routing, no
 * kube-proxy here) and Endpoints may not hold a loopback address, so the server listens on a
 * non-loopback address of this machine (startMetricsServer() fails plainly when there is none).
 * It speaks HTTPS with a self-signed certificate (the APIService skips verification) and trusts
 * whatever the aggregator forwards; it is a test fixture, never for production. Opt-in per test:
 * unregister() removes the APIService, Service, Endpoints and EndpointSlice (the API is then not
 * served), stop() does that and closes the server.
 */

import { apiOk, type ControlPlane, internals, type LocalControlPlane } from "./control_plane.ts";
import { run } from "./process.ts";

const GROUP = "metrics.k8s.io";
const VERSION = "v1beta1";
const GV = `${GROUP}/${VERSION}`;
const NS = "kube-system";
const SERVICE = "testenv-metrics";
const APISERVICE = `${VERSION}.${GROUP}`;

/** A usage as Kubernetes writes it: quantities such as "250m" and "64Mi". */
export interface Usage {
  cpu: string;
  memory: string;
}

/** The test metrics server, registered or not. */
export interface MetricsServer {
  /** The address it listens on, e.g. 192.0.2.2:40123. */
  address: string;
  /** Serves these containers' usage for the pod (replaces what was served for it). */
  setPod(namespace: string, name: string, containers: Record<string, Usage>): void;
  /** Serves this usage for the node. */
  setNode(name: string, usage: Usage): void;
  /** Stops serving the pod's (or node's) metrics. */
  removePod(namespace: string, name: string): void;
  removeNode(name: string): void;
  /** How many requests it answered (the aggregator's availability checks included). */
  requests(): number;
  /** While true, every request is answered 503 (a registered but failing metrics server). */
  setFailing(failing: boolean): void;
  /** Creates the Service, Endpoints, EndpointSlice and APIService; resolves once available. */
  register(): Promise<void>;
  /** Deletes them; resolves once the apiserver's discovery no longer lists the group. */
  unregister(): Promise<void>;
  /** unregister(), then closes the server. Idempotent. */
  stop(): Promise<void>;
}

/** The first IPv4 address of this machine that is not loopback or link-local, or null. */
export function nonLoopbackAddress(): string | null {
  for (const i of Deno.networkInterfaces()) {
    if (i.family !== "IPv4") continue;
    if (i.address.startsWith("127.") || i.address.startsWith("169.254.")) continue;
    return i.address;
  }
  return null;
}

interface Stored {
  pods: Map<string, { namespace: string; name: string; containers: Record<string, Usage> }>;
  nodes: Map<string, Usage>;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

function podMetrics(p: { namespace: string; name: string; containers: Record<string, Usage> }) {
  return {
    kind: "PodMetrics",
    apiVersion: GV,
    metadata: { name: p.name, namespace: p.namespace, creationTimestamp: now() },
    timestamp: now(),
    window: "15s",
    containers: Object.entries(p.containers).map(([name, usage]) => ({ name, usage })),
  };
}

function nodeMetrics(name: string, usage: Usage) {
  return {
    kind: "NodeMetrics",
    apiVersion: GV,
    metadata: { name, creationTimestamp: now() },
    timestamp: now(),
    window: "15s",
    usage,
  };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });

const notFound = (what: string) =>
  json(404, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `${what} not found`,
    reason: "NotFound",
    code: 404,
  });

const RESOURCES = {
  kind: "APIResourceList",
  apiVersion: "v1",
  groupVersion: GV,
  resources: [
    {
      name: "nodes",
      singularName: "",
      namespaced: false,
      kind: "NodeMetrics",
      verbs: ["get", "list"],
    },
    {
      name: "pods",
      singularName: "",
      namespaced: true,
      kind: "PodMetrics",
      verbs: ["get", "list"],
    },
  ],
};

const GROUP_DOC = {
  kind: "APIGroup",
  apiVersion: "v1",
  name: GROUP,
  versions: [{ groupVersion: GV, version: VERSION }],
  preferredVersion: { groupVersion: GV, version: VERSION },
};

/** The metrics.k8s.io handler over `stored` (exported for its own test). */
export function metricsHandler(stored: Stored): (req: Request) => Response {
  return (req) => {
    const url = new URL(req.url);
    if (req.method !== "GET") return json(405, { kind: "Status", code: 405 });
    const path = url.pathname.replace(/\/$/, "");
    if (path === "/apis") {
      return json(200, { kind: "APIGroupList", apiVersion: "v1", groups: [GROUP_DOC] });
    }
    if (path === `/apis/${GROUP}`) return json(200, GROUP_DOC);
    if (path === `/apis/${GV}`) return json(200, RESOURCES);
    const rest = path.startsWith(`/apis/${GV}/`)
      ? path.slice(`/apis/${GV}/`.length).split("/")
      : [];
    const list = (kind: string, items: unknown[]) =>
      json(200, { kind, apiVersion: GV, metadata: {}, items });
    const pods = [...stored.pods.values()];
    // nodes, nodes/{name}
    if (rest[0] === "nodes" && rest.length <= 2) {
      if (rest.length === 1) {
        return list(
          "NodeMetricsList",
          [...stored.nodes.entries()].map(([n, u]) => nodeMetrics(n, u)),
        );
      }
      const u = stored.nodes.get(rest[1]);
      return u ? json(200, nodeMetrics(rest[1], u)) : notFound(`nodemetrics "${rest[1]}"`);
    }
    // pods, namespaces/{ns}/pods, namespaces/{ns}/pods/{name}
    if (rest[0] === "pods" && rest.length === 1) {
      return list("PodMetricsList", pods.map(podMetrics));
    }
    if (rest[0] === "namespaces" && rest[2] === "pods" && rest.length <= 4) {
      const ns = rest[1];
      if (rest.length === 3) {
        return list("PodMetricsList", pods.filter((p) => p.namespace === ns).map(podMetrics));
      }
      const p = stored.pods.get(`${ns}/${rest[3]}`);
      return p ? json(200, podMetrics(p)) : notFound(`podmetrics "${rest[3]}"`);
    }
    return notFound(path);
  };
}

/** A self-signed serving certificate for `ip` (PEM), made by openssl in `dir`. */
async function servingCert(dir: string, ip: string): Promise<{ cert: string; key: string }> {
  const sub = await Deno.makeTempDir({ dir, prefix: "metrics-" });
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "7",
    "-subj",
    "/CN=testenv-metrics",
    "-addext",
    `subjectAltName=IP:${ip}`,
    "-keyout",
    "tls.key",
    "-out",
    "tls.crt",
  ], sub);
  return {
    cert: await Deno.readTextFile(`${sub}/tls.crt`),
    key: await Deno.readTextFile(`${sub}/tls.key`),
  };
}

async function waitFor(what: string, timeoutMs: number, ok: () => Promise<boolean>) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await ok()) return;
    if (Date.now() > end) throw new Error(`testenv: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Whether the apiserver's (legacy) discovery lists metrics.k8s.io. */
async function groupListed(cp: LocalControlPlane): Promise<boolean> {
  const r = await cp.request("GET", "/apis");
  const groups = (r.body as { groups?: { name: string }[] }).groups ?? [];
  return groups.some((g) => g.name === GROUP);
}

/**
 * Starts the test metrics server on a non-loopback address of this machine and (unless
 * `register` is false) registers it with the control plane; resolves once the apiserver serves
 * metrics.k8s.io through it. One per control plane at a time (the objects have fixed names).
 */
export async function startMetricsServer(
  cp: ControlPlane,
  opts: { register?: boolean } = {},
): Promise<MetricsServer> {
  const lcp = internals(cp);
  const ip = nonLoopbackAddress();
  if (!ip) {
    throw new Error(
      "testenv: the metrics server needs a non-loopback IPv4 address on this machine (the " +
        "aggregator dials the Service's endpoint, and Endpoints refuse loopback); none found",
    );
  }
  const stored: Stored = { pods: new Map(), nodes: new Map() };
  const handler = metricsHandler(stored);
  let count = 0;
  let failing = false;
  const { cert, key } = await servingCert(lcp.dir, ip);
  const server = Deno.serve({
    hostname: ip,
    port: 0,
    cert,
    key,
    onListen: () => {},
    onError: () => new Response("internal error", { status: 500 }),
  }, (req) => {
    count++;
    if (failing) return json(503, { kind: "Status", code: 503, message: "failing on purpose" });
    return handler(req);
  });
  const port = server.addr.port;
  let registered = false;
  let stopped = false;

  const register = async () => {
    registered = true;
    await apiOk(lcp, "POST", `/api/v1/namespaces/${NS}/services`, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: SERVICE },
      spec: { ports: [{ name: "https", port: 443, targetPort: port, protocol: "TCP" }] },
    }, { allow: [409] });
    await apiOk(lcp, "POST", `/api/v1/namespaces/${NS}/endpoints`, {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: SERVICE, labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
      subsets: [{ addresses: [{ ip }], ports: [{ name: "https", port, protocol: "TCP" }] }],
    }, { allow: [409] });
    await apiOk(lcp, "POST", `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: SERVICE,
        labels: {
          "kubernetes.io/service-name": SERVICE,
          "endpointslice.kubernetes.io/managed-by": "testenv",
        },
      },
      addressType: "IPv4",
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      ports: [{ name: "https", port, protocol: "TCP" }],
    }, { allow: [409] });
    await apiOk(lcp, "POST", "/apis/apiregistration.k8s.io/v1/apiservices", {
      apiVersion: "apiregistration.k8s.io/v1",
      kind: "APIService",
      metadata: { name: APISERVICE },
      spec: {
        service: { namespace: NS, name: SERVICE, port: 443 },
        group: GROUP,
        version: VERSION,
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    }, { allow: [409] });
    await waitFor("the metrics.k8s.io APIService to be served", 60_000, async () => {
      const r = await lcp.request("GET", `/apis/${GV}/nodes`);
      return r.status === 200 && (r.body as { kind?: string }).kind === "NodeMetricsList";
    });
  };

  const unregister = async () => {
    if (!registered || lcp.stopped) return;
    registered = false;
    const del = (path: string) => apiOk(lcp, "DELETE", path, undefined, { allow: [404] });
    await del(`/apis/apiregistration.k8s.io/v1/apiservices/${APISERVICE}`);
    await del(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices/${SERVICE}`);
    await del(`/api/v1/namespaces/${NS}/endpoints/${SERVICE}`);
    await del(`/api/v1/namespaces/${NS}/services/${SERVICE}`);
    await waitFor("metrics.k8s.io to leave discovery", 30_000, async () => !await groupListed(lcp));
  };

  const ms: MetricsServer = {
    address: `${ip}:${port}`,
    setPod: (namespace, name, containers) =>
      void stored.pods.set(`${namespace}/${name}`, { namespace, name, containers }),
    setNode: (name, usage) => void stored.nodes.set(name, usage),
    removePod: (namespace, name) => void stored.pods.delete(`${namespace}/${name}`),
    removeNode: (name) => void stored.nodes.delete(name),
    requests: () => count,
    setFailing: (on) => void (failing = on),
    register,
    unregister,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await unregister();
      } finally {
        await server.shutdown();
      }
    },
  };
  if (opts.register ?? true) {
    try {
      await register();
    } catch (err) {
      await ms.stop().catch(() => {});
      throw err;
    }
  }
  return ms;
}
