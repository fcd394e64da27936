// The clusters table: connection type, live status, version, nodes and last heartbeat/check.
// Kept live by the cluster event stream (client/live.ts); the empty state opens Add Cluster.
import { useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import {
  btn,
  cardClass,
  ClusterStatusBadge,
  ConnectionIcon,
  EmptyState,
  inputClass,
  TimeAgo,
} from "../components/ui.tsx";
import {
  addClusterDialog,
  clusters,
  liveMode,
  seedClusters,
  useClusterEvents,
  useNow,
} from "../client/live.ts";
import type { Cluster } from "../lib/types.ts";
import { lastSeen } from "../lib/status.ts";

export default function ClusterList(
  { initial, now: serverNow, isAdmin }: { initial: Cluster[]; now: number; isAdmin: boolean },
) {
  seedClusters(initial);
  useClusterEvents();
  const now = useNow(serverNow);
  const [filter, setFilter] = useState("");
  const list = clusters.value;
  const shown = filter ? list.filter((c) => c.name.includes(filter.toLowerCase().trim())) : list;

  if (list.length === 0) {
    return (
      <div class={cardClass}>
        <EmptyState
          icon="cluster"
          title="No clusters yet"
          action={isAdmin
            ? (
              <div class="flex flex-wrap justify-center gap-3">
                <button
                  type="button"
                  class={btn.primary}
                  onClick={() => (addClusterDialog.value = "kubeconfig")}
                >
                  <Icon name="upload" />
                  Add with a kubeconfig
                </button>
                <button
                  type="button"
                  class={btn.secondary}
                  onClick={() => (addClusterDialog.value = "agent")}
                >
                  <Icon name="agent" />
                  Deploy an agent
                </button>
              </div>
            )
            : null}
        >
          {isAdmin
            ? "Connect a cluster by uploading its kubeconfig, or deploy the agent inside it: the agent dials out, so the cluster needs no inbound access."
            : "An admin has not added any cluster yet. Ask them to connect one."}
        </EmptyState>
      </div>
    );
  }

  const live = liveMode.value;
  return (
    <div class={cardClass}>
      <div class="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 px-4 py-3 dark:border-slate-800">
        <div class="relative w-full max-w-xs">
          <Icon
            name="search"
            class="pointer-events-none absolute left-2.5 top-1/2 size-4 -translate-y-1/2 text-slate-400"
          />
          <input
            type="search"
            aria-label="Filter clusters by name"
            placeholder="Filter clusters…"
            class={`${inputClass} pl-8`}
            value={filter}
            onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
          />
        </div>
        <p
          class="flex items-center gap-2 text-xs text-slate-500 dark:text-slate-400"
          aria-live="polite"
        >
          <span
            class={`size-2 rounded-full ${
              live === "live"
                ? "animate-pulse bg-emerald-500"
                : live === "offline"
                ? "bg-red-500"
                : "bg-slate-400"
            }`}
            aria-hidden="true"
          />
          {live === "live"
            ? "Live"
            : live === "polling"
            ? "Refreshing every 5 s"
            : live === "offline"
            ? "Reconnecting…"
            : "Connecting…"}
          <span class="text-slate-300 dark:text-slate-600">·</span>
          {list.length} {list.length === 1 ? "cluster" : "clusters"}
        </p>
      </div>
      <div class="relative overflow-x-auto">
        <table class="min-w-full text-sm" data-testid="cluster-table">
          <thead>
            <tr class="text-left text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
              <th scope="col" class="py-2.5 pl-4 pr-3 font-medium">Cluster</th>
              <th scope="col" class="px-3 py-2.5 font-medium">Status</th>
              <th scope="col" class="px-3 py-2.5 font-medium">Kubernetes</th>
              <th scope="col" class="px-3 py-2.5 text-right font-medium">Nodes</th>
              <th scope="col" class="px-3 py-2.5 font-medium">Last seen</th>
              <th scope="col" class="py-2.5 pl-3 pr-4">
                <span class="sr-only">Open</span>
              </th>
            </tr>
          </thead>
          <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
            {shown.map((c) => {
              const seen = lastSeen(c, now);
              const version = c.cluster_info?.kubernetes_version ?? c.kubernetes_version;
              const nodes = c.cluster_info?.node_count ?? c.node_count;
              const platform = c.cluster_info?.platform ?? c.platform;
              return (
                <tr
                  key={c.id}
                  class="group hover:bg-slate-50 dark:hover:bg-slate-800/50"
                  data-cluster={c.name}
                >
                  <td class="py-3 pl-4 pr-3">
                    <div class="flex items-center gap-3">
                      <ConnectionIcon type={c.connection_type} id={c.id} />
                      <div class="min-w-0">
                        <a
                          href={`/clusters/${c.id}`}
                          class="font-semibold text-slate-900 hover:text-indigo-600 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-white dark:hover:text-indigo-400"
                        >
                          {c.name}
                        </a>
                        <p class="truncate text-xs text-slate-500 dark:text-slate-400">
                          {c.connection_type === "agent"
                            ? `Agent${c.agent_version ? ` ${c.agent_version}` : ""}`
                            : (c.server ?? "Kubeconfig")}
                        </p>
                      </div>
                    </div>
                  </td>
                  <td class="px-3 py-3">
                    <ClusterStatusBadge cluster={c} now={now} />
                  </td>
                  <td class="px-3 py-3 text-slate-700 dark:text-slate-300">
                    {version
                      ? <span class="font-mono text-xs">{version}</span>
                      : <span class="text-slate-400">—</span>}
                    {platform && (
                      <p class="text-xs text-slate-400 dark:text-slate-500">{platform}</p>
                    )}
                  </td>
                  <td class="px-3 py-3 text-right tabular-nums text-slate-700 dark:text-slate-300">
                    {nodes ?? "—"}
                  </td>
                  <td class="px-3 py-3 text-slate-600 dark:text-slate-400">
                    <span class="sr-only">{seen.label}:</span>
                    <TimeAgo at={seen.at} now={now} />
                  </td>
                  <td class="py-3 pl-3 pr-4 text-right">
                    <a
                      href={`/clusters/${c.id}`}
                      class={btn.icon}
                      aria-label={`Open ${c.name}`}
                      tabIndex={-1}
                    >
                      <Icon name="chevronRight" />
                    </a>
                  </td>
                </tr>
              );
            })}
            {shown.length === 0 && (
              <tr>
                <td colSpan={6} class="px-4 py-8 text-center text-sm text-slate-500">
                  No cluster matches “{filter}”.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
