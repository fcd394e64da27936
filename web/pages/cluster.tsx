import { Island } from "../islands.tsx";
import ClusterOverview from "../islands/ClusterOverview.tsx";
import ClusterSettings from "../islands/ClusterSettings.tsx";
import { Shell } from "../components/layout.tsx";
import { Badge } from "../components/ui.tsx";
import { listUrl } from "../lib/k8s/paths.ts";
import { labelList } from "../lib/labels.ts";
import type { Cluster, UiUser } from "../lib/types.ts";

export function ClusterPage(
  { user, cluster, now, namespaces, crds }: {
    user: UiUser;
    cluster: Cluster;
    now: number;
    namespaces: string[] | null;
    crds: string[] | null;
  },
) {
  const isAdmin = user.role === "admin";
  return (
    <Shell
      user={user}
      cluster={cluster}
      active="overview"
      now={now}
      crumbs={[{ label: "Clusters", href: "/clusters" }, { label: cluster.name }]}
    >
      <div class="space-y-4">
        <ClusterMeta cluster={cluster} isAdmin={isAdmin} />
        <Island
          name="ClusterOverview"
          component={ClusterOverview}
          props={{
            cluster,
            now,
            isAdmin,
            namespaces,
            crds,
            podsUrl: listUrl(cluster.id, { group: "", version: "v1", resource: "pods" }),
          }}
        />
      </div>
    </Shell>
  );
}

/**
 * The cluster's labels (chips) and "Impersonates users" badge for everyone, and the Settings
 * button (islands/ClusterSettings.tsx: name, labels, impersonation) for admins.
 */
function ClusterMeta({ cluster, isAdmin }: { cluster: Cluster; isAdmin: boolean }) {
  const labels = labelList(cluster.labels);
  if (!labels.length && !cluster.impersonate && !isAdmin) return null;
  return (
    <div class="flex flex-wrap items-center justify-between gap-3" data-testid="cluster-meta">
      <div class="flex min-w-0 flex-wrap items-center gap-2 text-sm">
        <span class="text-slate-500 dark:text-slate-400" id="cluster-labels-title">Labels</span>
        {labels.length
          ? (
            <ul
              class="flex flex-wrap gap-1.5"
              aria-labelledby="cluster-labels-title"
              data-testid="cluster-labels"
            >
              {labels.map((l) => (
                <li
                  key={l}
                  class="rounded-md bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700 dark:bg-slate-800 dark:text-slate-300"
                >
                  {l}
                </li>
              ))}
            </ul>
          )
          : <span class="text-slate-400 dark:text-slate-500">none</span>}
        {cluster.impersonate && (
          <span data-testid="impersonates-badge">
            <Badge
              tone="blue"
              title="Requests for a person impersonate them (dashboard:<username>, their role and groups): the cluster's RBAC decides what they may do."
            >
              Impersonates users
            </Badge>
          </span>
        )}
      </div>
      {isAdmin && (
        <Island
          name="ClusterSettings"
          component={ClusterSettings}
          props={{
            cluster: {
              id: cluster.id,
              name: cluster.name,
              labels: cluster.labels ?? {},
              impersonate: cluster.impersonate ?? false,
            },
          }}
        />
      )}
    </div>
  );
}
