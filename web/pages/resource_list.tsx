// The resource explorer's list of one kind: the namespace picker and the live table (islands),
// with the first rows the server read. Each row's Delete follows `deletable`
// (web/routes/permissions.ts): disabled with the reason as its hover text where not allowed.
import { Island } from "../islands.tsx";
import ResourceTable from "../islands/ResourceTable.tsx";
import NamespacePicker from "../islands/NamespacePicker.tsx";
import { PageHeader, Shell } from "../components/layout.tsx";
import { groupVersion, listUrl, type ResourceRef } from "../lib/k8s/paths.ts";
import type { Column, Row } from "../lib/k8s/table.ts";
import type { Cluster, UiUser } from "../lib/types.ts";
import type { RowAccess } from "../lib/k8s/access_review.ts";
import { clusterCrumbs, navKey, navLabel } from "./resource_nav.ts";

export interface ListPageProps {
  user: UiUser;
  cluster: Cluster;
  now: number;
  resource: ResourceRef;
  namespace: string;
  namespaces: string[];
  columns: Column[];
  rows: Row[];
  partial: boolean;
  error: string | null;
  /** Whether the person may delete the rows; null when the resource cannot be deleted. */
  deletable: RowAccess | null;
}

export function ResourceListPage(p: ListPageProps) {
  const { cluster, resource, namespace } = p;
  const label = navLabel(resource);
  const action = listUrl(cluster.id, resource);
  return (
    <Shell
      user={p.user}
      cluster={cluster}
      active={navKey(resource)}
      now={p.now}
      crumbs={[...clusterCrumbs(cluster), { label }]}
    >
      <PageHeader
        title={
          <span class="flex items-center gap-2">
            {label}
            <span class="rounded-md bg-slate-100 px-1.5 py-0.5 font-mono text-xs font-normal text-slate-500 dark:bg-slate-800 dark:text-slate-400">
              {groupVersion(resource)}
            </span>
          </span>
        }
        description={resource.namespaced
          ? (namespace ? `In namespace ${namespace}.` : "In all namespaces.")
          : "Cluster-scoped."}
        actions={resource.namespaced
          ? (
            <Island
              name="NamespacePicker"
              component={NamespacePicker}
              props={{ namespaces: p.namespaces, current: namespace, action }}
            />
          )
          : null}
      />
      <Island
        name="ResourceTable"
        component={ResourceTable}
        props={{
          clusterId: cluster.id,
          resource,
          namespace,
          columns: p.columns,
          rows: p.rows,
          partial: p.partial,
          now: p.now,
          deletable: resource.verbs.includes("delete") ? p.deletable : null,
          error: p.error,
        }}
      />
    </Shell>
  );
}
