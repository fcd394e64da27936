// The logs of every pod of a workload, the pure part: which resources have them (apps
// Deployments, StatefulSets, DaemonSets, ReplicaSets and batch Jobs), which of the pods its
// selector lists are read (at most MAX_PODS, the oldest first, so a view's streams do not churn
// as pods come), one stream per pod and container (or the chosen container), and, at each
// re-list, the streams to open (new pods, pods that started) and to close (pods gone). The island
// (web/islands/WorkloadLogs.tsx) lists, streams and renders; nothing here does I/O.
import type { ResourceRef } from "./paths.ts";

/** At most this many pods are read at once. */
export const MAX_PODS = 20;

const LOG_WORKLOADS: Record<string, readonly string[]> = {
  apps: ["deployments", "statefulsets", "daemonsets", "replicasets"],
  batch: ["jobs"],
};

/** Whether the resource is a workload whose pods' logs the Logs tab shows. */
export function hasWorkloadLogs(r: Pick<ResourceRef, "group" | "resource">): boolean {
  return Object.hasOwn(LOG_WORKLOADS, r.group) && LOG_WORKLOADS[r.group].includes(r.resource);
}

/** A pod as this module reads it. */
export interface LogPod {
  metadata: { name: string; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: { nodeName?: string; containers?: { name: string }[] };
  status?: { phase?: string };
}

/** One stream: a pod's container; its key (`pod/container`) is its prefix. */
export interface LogStream {
  key: string;
  pod: string;
  container: string;
}

const created = (p: LogPod) => Date.parse(p.metadata.creationTimestamp ?? "") || 0;

/** The pods read: the oldest `max` (then by name); `total` counts them all. */
export function pickPods<P extends LogPod>(
  pods: readonly P[],
  max = MAX_PODS,
): { shown: P[]; total: number } {
  const sorted = [...pods].sort((a, b) =>
    created(a) - created(b) ||
    a.metadata.name.localeCompare(b.metadata.name, undefined, { numeric: true })
  );
  return { shown: sorted.slice(0, max), total: pods.length };
}

/** A pod has logs to read once it is on a node and has started (or finished). */
export function hasLogs(p: LogPod): boolean {
  const phase = p.status?.phase;
  return !!p.spec?.nodeName && (phase === "Running" || phase === "Succeeded" || phase === "Failed");
}

/** The pod's streams: every container, or only `container` (none when the pod lacks it). */
export function podStreams(p: LogPod, container: string | null): LogStream[] {
  const names = (p.spec?.containers ?? []).map((c) => c.name)
    .filter((c) => container === null || c === container);
  return names.map((c) => ({ key: `${p.metadata.name}/${c}`, pod: p.metadata.name, container: c }));
}

/** What one re-list changes. */
export interface StreamPlan {
  /** Streams to open: not open or done yet, of pods that have logs. */
  start: LogStream[];
  /** Open streams whose pod is no longer listed (deleted, or not among the pods read). */
  stop: string[];
  /** Pods listed that have no logs yet (pending). */
  waiting: string[];
}

/**
 * The plan for the pods read now, given the streams `known` (open, or ended: an ended stream is
 * not opened again, its pod's container has finished) and those of them `open`.
 */
export function planStreams(
  shown: readonly LogPod[],
  container: string | null,
  known: ReadonlySet<string>,
  open: ReadonlySet<string>,
): StreamPlan {
  const start: LogStream[] = [];
  const waiting: string[] = [];
  const listed = new Set<string>();
  for (const p of shown) {
    const streams = podStreams(p, container);
    for (const s of streams) listed.add(s.key);
    if (!hasLogs(p) || p.metadata.deletionTimestamp) {
      if (!p.metadata.deletionTimestamp) waiting.push(p.metadata.name);
      continue;
    }
    start.push(...streams.filter((s) => !known.has(s.key)));
  }
  const stop = [...open].filter((k) => !listed.has(k));
  return { start, stop, waiting };
}
