// The resource explorer's index: every kind the cluster serves (discovery, CRDs included), by
// API group.
import { PageHeader, Shell } from "../components/layout.tsx";
import { Alert, cardClass, linkClass } from "../components/ui.tsx";
import { listUrl, type ResourceRef } from "../lib/k8s/paths.ts";
import type { Cluster, UiUser } from "../lib/types.ts";
import { clusterCrumbs } from "./resource_nav.ts";

export function ResourcesIndexPage(
  { user, cluster, now, refs, error }: {
    user: UiUser;
    cluster: Cluster;
    now: number;
    refs: ResourceRef[];
    error: string | null;
  },
) {
  const groups = new Map<string, ResourceRef[]>();
  for (const r of refs) {
    const key = r.group || "core";
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return (
    <Shell
      user={user}
      cluster={cluster}
      active="all"
      now={now}
      crumbs={[...clusterCrumbs(cluster), { label: "All resources" }]}
    >
      <PageHeader
        title="All resources"
        description={`Every kind ${cluster.name} serves, from API discovery. Custom resources included.`}
      />
      {error && (
        <div class="mb-4">
          <Alert title="Discovery failed">{error}</Alert>
        </div>
      )}
      <div class="columns-1 gap-4 md:columns-2 2xl:columns-3">
        {[...groups.entries()].map(([group, items]) => (
          <section key={group} class={`${cardClass} mb-4 break-inside-avoid`}>
            <h2 class="border-b border-slate-200 px-4 py-2.5 font-mono text-xs font-semibold text-slate-600 dark:border-slate-800 dark:text-slate-300">
              {group}
              <span class="ml-2 font-normal text-slate-400">{items[0].version}</span>
            </h2>
            <ul class="divide-y divide-slate-100 dark:divide-slate-800">
              {items.map((r) => (
                <li
                  key={r.resource}
                  class="flex items-center justify-between gap-3 px-4 py-2 text-sm"
                >
                  <a href={listUrl(cluster.id, r)} class={linkClass}>{r.kind}</a>
                  <span class="flex items-center gap-2 text-xs text-slate-400">
                    {r.shortNames?.length
                      ? <span class="font-mono">{r.shortNames.join(",")}</span>
                      : null}
                    <span>{r.namespaced ? "namespaced" : "cluster"}</span>
                  </span>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </Shell>
  );
}
