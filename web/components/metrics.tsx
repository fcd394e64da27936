// The metrics pieces the pods and nodes tables and the pod page share: the quiet "Metrics
// unavailable" note (shown once per view), the CPU and memory header and cells of a table row,
// and a small SVG sparkline (attributes only: the CSP allows no inline style).
import type { MetricsState } from "../client/metrics.ts";
import type { Usage } from "../lib/k8s/metrics.ts";
import { formatCpu, formatMemory } from "../lib/k8s/quantity.ts";
import { sparklinePoints } from "../lib/sparkline.ts";

/** "Metrics unavailable", muted, when the cluster does not serve metrics.k8s.io; else nothing. */
export function MetricsNote({ state }: { state: MetricsState }) {
  if (state !== "unavailable") return null;
  return (
    <span
      class="text-xs text-slate-400 dark:text-slate-500"
      data-testid="metrics-unavailable"
      title="This cluster does not serve metrics.k8s.io (metrics-server), or it is not reachable now"
    >
      Metrics unavailable
    </span>
  );
}

/** The CPU and Memory column headers. */
export function MetricsHeaders() {
  return (
    <>
      <th
        scope="col"
        class="w-24 px-3 font-medium"
        title="CPU usage (millicores), from metrics.k8s.io"
        data-testid="metrics-header"
      >
        CPU
      </th>
      <th
        scope="col"
        class="w-24 px-3 font-medium"
        title="Memory usage, from metrics.k8s.io"
        data-testid="metrics-header"
      >
        Memory
      </th>
    </>
  );
}

/** A row's CPU and memory cells ("—" when the row has no metrics). */
export function MetricsCells({ usage }: { usage: Usage | undefined }) {
  const cls = "truncate px-3 tabular-nums text-slate-700 dark:text-slate-300";
  return (
    <>
      <td class={cls} data-testid="metrics-cpu">{formatCpu(usage?.cpu)}</td>
      <td class={cls} data-testid="metrics-memory">{formatMemory(usage?.memory)}</td>
    </>
  );
}

const W = 64;
const H = 20;

/** A sparkline of `values` (oldest first), `label` for screen readers. */
export function Sparkline(
  { values, label, testId }: { values: (number | null)[]; label: string; testId?: string },
) {
  const points = sparklinePoints(values, W, H, 2);
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      class="text-indigo-500 dark:text-indigo-400"
      role="img"
      aria-label={label}
      data-testid={testId}
      data-points={points}
    >
      {points && (
        <polyline
          points={points}
          fill="none"
          stroke="currentColor"
          stroke-width="1.5"
          stroke-linejoin="round"
          stroke-linecap="round"
        />
      )}
    </svg>
  );
}
