// Polling metrics.k8s.io through the dashboard's proxy (as the person, on any cluster): a table's
// usage per row (one list per load and every TABLE_POLL_MS; the API has no watch) and a pod's
// bounded history of samples (every POD_POLL_MS). Discovery (GET /apis) is asked first, so a
// cluster without metrics costs no failing request; a cluster found serving them is remembered
// for the tab's session (SERVED_TTL_MS), so moving between its pages asks discovery once. A
// failure (404, 503, 403, …) forgets that, turns the state "unavailable", shown once and quietly,
// and the next try waits longer and longer (backoffMs). A hidden tab does not poll: the next
// request waits until the page is shown again. Nothing here logs: the page says it, once.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, isAbort, sleep } from "./api.ts";
import { proxyBase } from "../lib/k8s/paths.ts";
import {
  addReading,
  backoffMs,
  type History,
  type MetricsKind,
  metricsListPath,
  metricsServed,
  POD_POLL_MS,
  type PodMetrics,
  podMetricsPath,
  TABLE_POLL_MS,
  type Usage,
  usageByRow,
} from "../lib/k8s/metrics.ts";

/** unknown: not asked yet; available: values shown; unavailable: not served (or refused). */
export type MetricsState = "unknown" | "available" | "unavailable" | "missing";

class NotServed extends Error {}

/** How long a cluster found serving metrics.k8s.io is taken to serve them without asking again. */
const SERVED_TTL_MS = 5 * 60_000;
const servedKey = (clusterId: string) => `kd-metrics-served:${clusterId}`;

/** Whether this tab found the cluster serving metrics within SERVED_TTL_MS. */
function knownServed(clusterId: string): boolean {
  try {
    const at = Number(sessionStorage.getItem(servedKey(clusterId)));
    return at > 0 && Date.now() - at < SERVED_TTL_MS;
  } catch {
    return false; // storage refused (private mode, quota): ask discovery
  }
}

function rememberServed(clusterId: string, served: boolean): void {
  try {
    if (served) sessionStorage.setItem(servedKey(clusterId), String(Date.now()));
    else sessionStorage.removeItem(servedKey(clusterId));
  } catch { /* storage refused: discovery is asked next time */ }
}

/** Resolves at once on a visible page, else when it is shown again or `signal` aborts. */
function whenVisible(signal: AbortSignal): Promise<void> {
  if (!document.hidden) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      document.removeEventListener("visibilitychange", shown);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const shown = () => {
      if (!document.hidden) done();
    };
    document.addEventListener("visibilitychange", shown);
    signal.addEventListener("abort", done);
  });
}

/**
 * Calls `read` now and again every `intervalMs` until `signal` aborts: discovery first (and after
 * every failure), then `read(path)`. `onData` gets each answer; `onState` the state on a change.
 * A 404 for one object of a served API is "missing" (no sample yet), retried at the interval.
 * Nothing is asked while the page is hidden.
 */
async function poll(
  clusterId: string,
  path: string,
  intervalMs: number,
  signal: AbortSignal,
  onData: (body: unknown) => void,
  onState: (s: MetricsState) => void,
  single = false,
): Promise<void> {
  const base = proxyBase(clusterId);
  let served = knownServed(clusterId);
  let failures = 0;
  while (!signal.aborted) {
    await whenVisible(signal);
    if (signal.aborted) return;
    let wait = intervalMs;
    try {
      if (!served) {
        if (!metricsServed(await api(`${base}/apis`, { signal }))) throw new NotServed();
        served = true;
        rememberServed(clusterId, true);
      }
      onData(await api(`${base}${path}`, { signal }));
      failures = 0;
      onState("available");
    } catch (err) {
      if (isAbort(err) || signal.aborted) return;
      if (single && served && err instanceof ApiError && err.status === 404) {
        onState("missing");
      } else {
        served = false;
        rememberServed(clusterId, false);
        failures++;
        wait = backoffMs(failures);
        onState("unavailable");
      }
    }
    await sleep(wait, signal);
  }
}

/** Usage per row ("ns/name", nodes "/name") of a pods or nodes table; null kind: none. */
export function useTableMetrics(
  clusterId: string,
  kind: MetricsKind | null,
  namespace: string,
): { state: MetricsState; usage: Map<string, Usage> } {
  const [state, setState] = useState<MetricsState>("unknown");
  const [usage, setUsage] = useState<Map<string, Usage>>(() => new Map());
  useEffect(() => {
    if (!kind) return;
    const ctl = new AbortController();
    poll(
      clusterId,
      metricsListPath(kind, namespace),
      TABLE_POLL_MS,
      ctl.signal,
      (body) => setUsage(usageByRow(kind, body)),
      setState,
    );
    return () => ctl.abort();
  }, [clusterId, kind, namespace]);
  return { state, usage };
}

/** A pod's samples per container (and "" for the pod), newest last, polled while mounted. */
export function usePodMetrics(
  clusterId: string,
  namespace: string,
  name: string,
  intervalMs = POD_POLL_MS,
): { state: MetricsState; history: History } {
  const [state, setState] = useState<MetricsState>("unknown");
  const [history, setHistory] = useState<History>({});
  useEffect(() => {
    const ctl = new AbortController();
    poll(
      clusterId,
      podMetricsPath(namespace, name),
      intervalMs,
      ctl.signal,
      (body) => setHistory((h) => addReading(h, body as PodMetrics, Date.now())),
      setState,
      true,
    );
    return () => ctl.abort();
  }, [clusterId, namespace, name, intervalMs]);
  return { state, history };
}
