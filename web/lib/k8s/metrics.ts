// metrics.k8s.io (metrics-server's API), the pure part: its paths through the proxy, whether
// discovery lists it, a PodMetrics/NodeMetrics list as usage per row ("ns/name"), a pod's usage
// per container, which failures mean "not served" (quietly shown once), the backoff between
// tries, and the bounded history of samples behind the pod page's sparklines.
import { parseQuantity } from "./quantity.ts";

export const METRICS_GROUP = "metrics.k8s.io";
export const METRICS_VERSION = "v1beta1";
const BASE = `/apis/${METRICS_GROUP}/${METRICS_VERSION}`;

/** How often a table's metrics are listed again (metrics.k8s.io has no watch). */
export const TABLE_POLL_MS = 15_000;
/** How often the pod page samples its pod. */
export const POD_POLL_MS = 10_000;
/** Samples kept per series on the pod page. */
export const MAX_SAMPLES = 30;

export interface UsageQuantities {
  cpu?: string;
  memory?: string;
}

export interface PodMetrics {
  metadata: { name: string; namespace?: string };
  timestamp?: string;
  window?: string;
  containers?: { name: string; usage?: UsageQuantities }[];
}

export interface NodeMetrics {
  metadata: { name: string };
  timestamp?: string;
  window?: string;
  usage?: UsageQuantities;
}

export interface MetricsList<T> {
  kind?: string;
  items?: T[];
}

/** A usage in base units: cores and bytes (null when the server gave none or a malformed one). */
export interface Usage {
  cpu: number | null;
  memory: number | null;
}

export type MetricsKind = "pods" | "nodes";

/** The list path for a table: pods across all namespaces or in one; nodes. */
export function metricsListPath(kind: MetricsKind, namespace = ""): string {
  return kind === "pods" && namespace
    ? `${BASE}/namespaces/${encodeURIComponent(namespace)}/pods`
    : `${BASE}/${kind}`;
}

/** The path of one pod's metrics. */
export function podMetricsPath(namespace: string, name: string): string {
  return `${BASE}/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
}

/** Whether an APIGroupList (GET /apis) lists metrics.k8s.io with v1beta1. */
export function metricsServed(groupList: unknown): boolean {
  const groups = (groupList as { groups?: { name?: string; versions?: { version?: string }[] }[] })
    ?.groups;
  if (!Array.isArray(groups)) return false;
  return groups.some((g) =>
    g?.name === METRICS_GROUP && (g.versions ?? []).some((v) => v?.version === METRICS_VERSION)
  );
}

/**
 * Whether a failed request's status means the API is not served to this person: 404 (no such
 * group), 503 (an APIService whose server is down), 403 (not allowed), 401 from the backend.
 */
export function isUnavailableStatus(status: number): boolean {
  return status === 404 || status === 503 || status === 403 || status === 401;
}

/** The usage of one set of quantities. */
export function usageOf(q: UsageQuantities | undefined): Usage {
  return { cpu: parseQuantity(q?.cpu), memory: parseQuantity(q?.memory) };
}

/** A reading's containers, whatever the API sent in their place (only named ones count). */
function containersOf(pm: PodMetrics): { name: string; usage?: UsageQuantities }[] {
  const list: unknown = pm?.containers;
  return Array.isArray(list) ? list.filter((c) => typeof c?.name === "string") : [];
}

/** A pod's usage: the sum over its containers (null when no container gave that value). */
export function podUsage(pm: PodMetrics): Usage {
  let cpu: number | null = null;
  let memory: number | null = null;
  for (const c of containersOf(pm)) {
    const u = usageOf(c.usage);
    if (u.cpu !== null) cpu = (cpu ?? 0) + u.cpu;
    if (u.memory !== null) memory = (memory ?? 0) + u.memory;
  }
  return { cpu, memory };
}

/** The table key of a row: "ns/name" for a pod, "/name" for a node. */
export const usageKey = (namespace: string, name: string) => `${namespace}/${name}`;

/** A metrics list as usage per row key. */
export function usageByRow(kind: MetricsKind, list: unknown): Map<string, Usage> {
  const out = new Map<string, Usage>();
  const items = (list as MetricsList<PodMetrics & NodeMetrics>)?.items;
  if (!Array.isArray(items)) return out;
  for (const it of items) {
    const name = it?.metadata?.name;
    if (typeof name !== "string" || !name) continue;
    const namespace = typeof it.metadata.namespace === "string" ? it.metadata.namespace : "";
    if (kind === "pods") out.set(usageKey(namespace, name), podUsage(it));
    else out.set(usageKey("", name), usageOf(it.usage));
  }
  return out;
}

/** One sample of a container's (or the pod's) usage. */
export interface Sample {
  at: number;
  cpu: number | null;
  memory: number | null;
}

/** Per series name (a container, or "" for the whole pod), the newest MAX_SAMPLES samples. */
export type History = Record<string, Sample[]>;

/**
 * Adds one PodMetrics reading to the history: a sample per container and one for the pod ("").
 * A reading whose timestamp equals the series' last one is not added twice. Bounded to `max`.
 */
export function addReading(
  history: History,
  pm: PodMetrics,
  now: number,
  max = MAX_SAMPLES,
): History {
  const at = typeof pm?.timestamp === "string" ? Date.parse(pm.timestamp) || now : now;
  const next: History = {};
  const push = (key: string, u: Usage) => {
    const prev = history[key] ?? [];
    const last = prev[prev.length - 1];
    const s = { at, ...u };
    const list = last && last.at === at && last.cpu === s.cpu && last.memory === s.memory
      ? prev
      : [...prev, s];
    next[key] = list.slice(-max);
  };
  for (const c of containersOf(pm)) push(c.name, usageOf(c.usage));
  push("", podUsage(pm));
  return next;
}

/** Milliseconds before the next try after `failures` failures in a row: 1, 2, 4… up to 10 min. */
export function backoffMs(failures: number, baseMs = 60_000, maxMs = 600_000): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** (failures - 1));
}

/** The metrics a table of `resource` shows: core pods and nodes only. */
export function metricsKindOf(resource: { group: string; resource: string }): MetricsKind | null {
  if (resource.group !== "") return null;
  return resource.resource === "pods" ? "pods" : resource.resource === "nodes" ? "nodes" : null;
}
