// A pod's live CPU and memory on its object page: the latest usage per container and for the
// whole pod, each with a sparkline of the last MAX_SAMPLES samples, polled from metrics.k8s.io
// every POD_POLL_MS while the page is open (client/metrics.ts). A cluster without metrics says
// "Metrics unavailable" once, quietly; a pod without a sample yet says so.
import { Card } from "../components/ui.tsx";
import { MetricsNote, Sparkline } from "../components/metrics.tsx";
import { usePodMetrics } from "../client/metrics.ts";
import { MAX_SAMPLES, POD_POLL_MS, type Sample } from "../lib/k8s/metrics.ts";
import { formatCpu, formatMemory } from "../lib/k8s/quantity.ts";

export interface PodMetricsProps {
  clusterId: string;
  namespace: string;
  pod: string;
  /** The pod's containers, in spec order. */
  containers: string[];
  /** Milliseconds between samples (tests shorten it); default POD_POLL_MS. */
  intervalMs?: number;
}

export default function PodMetrics(p: PodMetricsProps) {
  const { state, history } = usePodMetrics(
    p.clusterId,
    p.namespace,
    p.pod,
    p.intervalMs ?? POD_POLL_MS,
  );
  const names = [
    ...p.containers.filter((c) => history[c]),
    ...Object.keys(history).filter((c) => c && !p.containers.includes(c)),
  ];
  const row = (key: string, label: string, samples: Sample[]) => {
    const last = samples[samples.length - 1];
    return (
      <tr key={key} data-testid="pod-metrics-row" data-container={key}>
        <td class="max-w-32 truncate py-2 pl-4 pr-2 font-medium" title={label}>
          {label}
        </td>
        <td class="whitespace-nowrap px-2 py-2 text-right tabular-nums" data-testid="metrics-cpu">
          {formatCpu(last?.cpu)}
        </td>
        <td class="px-2 py-2">
          <Sparkline
            values={samples.map((s) => s.cpu)}
            label={`CPU of ${label}, last ${samples.length} samples`}
            testId="sparkline-cpu"
          />
        </td>
        <td
          class="whitespace-nowrap px-2 py-2 text-right tabular-nums"
          data-testid="metrics-memory"
        >
          {formatMemory(last?.memory)}
        </td>
        <td class="py-2 pl-2 pr-4">
          <Sparkline
            values={samples.map((s) => s.memory)}
            label={`Memory of ${label}, last ${samples.length} samples`}
            testId="sparkline-memory"
          />
        </td>
      </tr>
    );
  };
  return (
    <Card
      title="Usage"
      actions={state === "available" && (
        <span class="text-xs text-slate-400">
          every {Math.round((p.intervalMs ?? POD_POLL_MS) / 1000)} s, last {MAX_SAMPLES}
        </span>
      )}
    >
      <div data-testid="pod-metrics" data-state={state}>
        {state === "unavailable" && (
          <p class="px-4 py-3">
            <MetricsNote state={state} />
          </p>
        )}
        {state === "unknown" && <p class="px-4 py-3 text-xs text-slate-400">Loading metrics…</p>}
        {state === "missing" && names.length === 0 && (
          <p class="px-4 py-3 text-xs text-slate-400" data-testid="metrics-missing">
            No metrics for this pod yet.
          </p>
        )}
        {(state === "available" || state === "missing") && names.length > 0 && (
          <div class="relative overflow-x-auto">
            <table class="min-w-full text-sm">
              <thead>
                <tr class="text-left text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
                  <th scope="col" class="py-2 pl-4 pr-2 font-medium">Container</th>
                  <th scope="col" class="px-2 py-2 text-right font-medium">CPU</th>
                  <th scope="col" class="px-2 py-2 font-medium">
                    <span class="sr-only">CPU history</span>
                  </th>
                  <th scope="col" class="px-2 py-2 text-right font-medium">Memory</th>
                  <th scope="col" class="py-2 pl-2 pr-4 font-medium">
                    <span class="sr-only">Memory history</span>
                  </th>
                </tr>
              </thead>
              <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
                {names.map((c) => row(c, c, history[c]))}
                {names.length > 1 && history[""] && row("", "Pod total", history[""])}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </Card>
  );
}
