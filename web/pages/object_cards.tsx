// The overview cards of an object's page: a pod's containers, the object's conditions, its
// events, and a workload's replicas (its rollout's progress and its template's images).
import { ProgressView, type WorkloadTarget } from "../components/workload_action.tsx";
import { Badge, Card, PhaseText, TimeAgo } from "../components/ui.tsx";
import { rolloutProgress } from "../lib/k8s/rollout_progress.ts";
import type { WorkloadObject } from "../lib/k8s/workloads.ts";
import type { KubeEvent, KubeObject } from "./object.tsx";

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  image?: string;
  state?: Record<string, { reason?: string }>;
}

export function PodContainers({ obj }: { obj: KubeObject }) {
  const spec = obj.spec as { containers?: { name: string; image?: string }[] } | undefined;
  const statuses = (obj.status as { containerStatuses?: ContainerStatus[] })?.containerStatuses ??
    [];
  return (
    <Card title="Containers" class="overflow-x-auto">
      <table class="min-w-full text-sm">
        <thead>
          <tr class="text-left text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
            <th scope="col" class="py-2 pl-4 pr-3 font-medium">Name</th>
            <th scope="col" class="px-3 py-2 font-medium">Image</th>
            <th scope="col" class="px-3 py-2 font-medium">State</th>
            <th scope="col" class="px-3 py-2 text-right font-medium">Restarts</th>
          </tr>
        </thead>
        <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
          {(spec?.containers ?? []).map((c) => {
            const s = statuses.find((x) => x.name === c.name);
            const stateName = s?.state ? Object.keys(s.state)[0] : "unknown";
            const reason = s?.state?.[stateName]?.reason;
            return (
              <tr key={c.name}>
                <td class="py-2 pl-4 pr-3 font-medium">{c.name}</td>
                <td
                  class="max-w-xs truncate px-3 py-2 font-mono text-xs text-slate-600 dark:text-slate-400"
                  title={c.image}
                >
                  {c.image}
                </td>
                <td class="px-3 py-2">
                  <PhaseText
                    value={reason ?? (stateName === "running"
                      ? "Running"
                      : stateName[0]?.toUpperCase() + stateName.slice(1))}
                  />
                </td>
                <td class="px-3 py-2 text-right tabular-nums">{s?.restartCount ?? 0}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Card>
  );
}

export function Conditions({ obj }: { obj: KubeObject }) {
  const conditions = (obj.status as {
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }[];
  })
    ?.conditions;
  if (!Array.isArray(conditions) || conditions.length === 0) return null;
  return (
    <Card title="Conditions">
      <ul class="divide-y divide-slate-100 dark:divide-slate-800">
        {conditions.map((c) => (
          <li key={c.type} class="flex items-start justify-between gap-3 px-4 py-2.5 text-sm">
            <div class="min-w-0">
              <p class="font-medium">{c.type}</p>
              {(c.reason || c.message) && (
                <p class="text-xs text-slate-500 dark:text-slate-400">
                  {[c.reason, c.message].filter(Boolean).join(": ")}
                </p>
              )}
            </div>
            <Badge tone={c.status === "True" ? "green" : c.status === "False" ? "gray" : "amber"}>
              {c.status}
            </Badge>
          </li>
        ))}
      </ul>
    </Card>
  );
}

export function Events({ events, now }: { events: KubeEvent[]; now: number }) {
  return (
    <Card title={`Events (${events.length})`}>
      {events.length === 0
        ? <p class="px-4 py-3 text-sm text-slate-500 dark:text-slate-400">No recent events.</p>
        : (
          <ul class="divide-y divide-slate-100 dark:divide-slate-800">
            {events.map((e, i) => (
              <li key={e.metadata?.uid ?? i} class="flex gap-3 px-4 py-2.5 text-sm">
                <Badge tone={e.type === "Warning" ? "amber" : "gray"}>
                  {e.reason ?? e.type ?? "Event"}
                </Badge>
                <p class="min-w-0 flex-1 break-words text-slate-700 dark:text-slate-300">
                  {e.message}
                </p>
                <span class="shrink-0 text-xs text-slate-400">
                  {e.count && e.count > 1 ? `×${e.count} · ` : ""}
                  <TimeAgo
                    at={e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp}
                    now={now}
                  />
                </span>
              </li>
            ))}
          </ul>
        )}
    </Card>
  );
}

/** A workload's replica counts and rollout state, and its pod template's images. */
export function Replicas({ kind, obj }: { kind: WorkloadTarget["kind"]; obj: KubeObject }) {
  const w = obj as unknown as WorkloadObject;
  const containers = w.spec?.template?.spec?.containers ?? [];
  return (
    <Card
      title="Replicas"
      actions={w.spec?.paused ? <Badge tone="amber">Rollout paused</Badge> : undefined}
    >
      <div class="space-y-3 px-4 py-3">
        <ProgressView kind={kind} progress={rolloutProgress(kind, w)} />
        {containers.length > 0 && (
          <p class="text-xs text-slate-500 dark:text-slate-400" data-testid="template-images">
            {containers.map((c) => (
              <span key={c.name} class="mr-3 inline-block">
                {c.name}:{" "}
                <span class="font-mono text-slate-700 dark:text-slate-300">{c.image}</span>
              </span>
            ))}
          </p>
        )}
      </div>
    </Card>
  );
}
