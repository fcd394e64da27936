// The resource explorer's pages: every kind the cluster serves (discovery, CRDs included), a
// live list of one kind, and one object (overview, YAML, logs).
import { Island } from "../islands.tsx";
import ResourceTable from "../islands/ResourceTable.tsx";
import NamespacePicker from "../islands/NamespacePicker.tsx";
import YamlEditor from "../islands/YamlEditor.tsx";
import LogViewer from "../islands/LogViewer.tsx";
import DeleteObject from "../islands/DeleteObject.tsx";
import { type Crumb, PageHeader, Shell } from "../components/layout.tsx";
import { Icon } from "../components/icons.tsx";
import {
  Alert,
  Badge,
  Card,
  cardClass,
  Chips,
  KeyValues,
  linkClass,
  PhaseText,
  TimeAgo,
} from "../components/ui.tsx";
import {
  type Column,
  groupVersion,
  listUrl,
  NAV_SECTIONS,
  objectUrl,
  type ResourceRef,
  type Row,
} from "../lib/k8s.ts";
import { kubeAge } from "../lib/format.ts";
import type { Cluster, UiUser } from "../lib/types.ts";

function navKey(ref: Pick<ResourceRef, "group" | "resource">): string {
  return `${ref.group}/${ref.resource}`;
}

function navLabel(ref: ResourceRef): string {
  for (const s of NAV_SECTIONS) {
    const item = s.items.find((i) => i.group === ref.group && i.resource === ref.resource);
    if (item) return item.label;
  }
  return ref.kind;
}

function clusterCrumbs(cluster: Cluster): Crumb[] {
  return [{ label: "Clusters", href: "/clusters" }, {
    label: cluster.name,
    href: `/clusters/${cluster.id}`,
  }];
}

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
          canEdit: p.user.role !== "viewer" && resource.verbs.includes("delete"),
          error: p.error,
        }}
      />
    </Shell>
  );
}

// ---------------------------------------------------------------------------------------------

interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; apiVersion: string }[];
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  metadata?: { creationTimestamp?: string; uid?: string };
}

export interface ObjectPageProps {
  user: UiUser;
  cluster: Cluster;
  now: number;
  resource: ResourceRef;
  obj: KubeObject;
  tab: "overview" | "yaml" | "logs";
  yaml: string;
  events: KubeEvent[];
  logs: { text: string; error: string | null } | null;
}

interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  image?: string;
  state?: Record<string, { reason?: string }>;
}

function containersOf(obj: KubeObject): string[] {
  const spec = obj.spec as
    | { containers?: { name: string }[]; initContainers?: { name: string }[] }
    | undefined;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].map((c) => c.name);
}

function PodContainers({ obj }: { obj: KubeObject }) {
  const spec = obj.spec as { containers?: { name: string; image?: string }[] } | undefined;
  const statuses = (obj.status as { containerStatuses?: ContainerStatus[] })?.containerStatuses ??
    [];
  return (
    <Card title="Containers">
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

function Conditions({ obj }: { obj: KubeObject }) {
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

function Events({ events, now }: { events: KubeEvent[]; now: number }) {
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

export function ObjectPage(p: ObjectPageProps) {
  const { cluster, resource, obj, tab, now } = p;
  const ns = obj.metadata.namespace ?? null;
  const name = obj.metadata.name;
  const isPod = resource.group === "" && resource.resource === "pods";
  const label = navLabel(resource);
  const canEdit = p.user.role !== "viewer";
  const list = listUrl(cluster.id, resource, ns ?? undefined);
  const tabs: { id: ObjectPageProps["tab"]; label: string; icon: "info" | "code" | "logs" }[] = [
    { id: "overview", label: "Overview", icon: "info" },
    { id: "yaml", label: "YAML", icon: "code" },
    ...(isPod ? [{ id: "logs" as const, label: "Logs", icon: "logs" as const }] : []),
  ];
  const meta = obj.metadata;
  const nodeName = isPod ? (obj.spec as { nodeName?: string })?.nodeName : undefined;
  const phase = (obj.status as { phase?: string })?.phase;
  /** A link to a cluster-scoped core object (a namespace, a node) of this cluster. */
  const coreLink = (resource: "namespaces" | "nodes", target: string) => (
    <a
      key={resource}
      class={linkClass}
      href={objectUrl(cluster.id, { group: "", version: "v1", resource }, null, target)}
    >
      {target}
    </a>
  );
  return (
    <Shell
      user={p.user}
      cluster={cluster}
      active={navKey(resource)}
      now={now}
      crumbs={[...clusterCrumbs(cluster), { label, href: list }, { label: name }]}
    >
      <PageHeader
        title={
          <span class="flex flex-wrap items-center gap-2">
            <span class="font-mono">{name}</span>
            {phase && <PhaseText value={meta.deletionTimestamp ? "Terminating" : phase} />}
          </span>
        }
        description={`${resource.kind}${ns ? ` in namespace ${ns}` : ""} · created ${
          kubeAge(meta.creationTimestamp, now)
        } ago`}
        actions={canEdit && resource.verbs.includes("delete")
          ? (
            <Island
              name="DeleteObject"
              component={DeleteObject}
              props={{ clusterId: cluster.id, resource, namespace: ns, name, listHref: list }}
            />
          )
          : null}
      />
      <nav aria-label="Object views" class="mb-6 border-b border-slate-200 dark:border-slate-800">
        <ul class="-mb-px flex gap-6">
          {tabs.map((t) => (
            <li key={t.id}>
              <a
                href={objectUrl(
                  cluster.id,
                  resource,
                  ns,
                  name,
                  t.id === "overview" ? undefined : t.id,
                )}
                aria-current={tab === t.id ? "page" : undefined}
                class={`flex items-center gap-2 border-b-2 px-1 pb-2.5 text-sm font-medium ${
                  tab === t.id
                    ? "border-indigo-600 text-indigo-600 dark:border-indigo-400 dark:text-indigo-400"
                    : "border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-700 dark:text-slate-400 dark:hover:text-slate-200"
                }`}
              >
                <Icon name={t.icon} />
                {t.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {tab === "overview" && (
        <div class="grid gap-6 xl:grid-cols-2">
          <div class="space-y-6">
            <Card title="Metadata">
              <KeyValues
                items={[
                  ["Kind", `${resource.kind} (${groupVersion(resource)})`],
                  ["Name", <span key="name" class="font-mono text-xs">{name}</span>],
                  ...(ns ? [["Namespace", coreLink("namespaces", ns)]] as [string, unknown][] : []),
                  ["Created", <TimeAgo key="created" at={meta.creationTimestamp} now={now} />],
                  ["UID", <span key="uid" class="font-mono text-xs">{meta.uid}</span>],
                  ...(nodeName
                    ? [["Node", coreLink("nodes", nodeName)]] as [string, unknown][]
                    : []),
                  ...(meta.ownerReferences?.length
                    ? [[
                      "Owned by",
                      meta.ownerReferences.map((o) => `${o.kind}/${o.name}`).join(", "),
                    ]] as [string, unknown][]
                    : []),
                  [
                    "Labels",
                    <Chips
                      key="labels"
                      items={Object.entries(meta.labels ?? {}).map(([k, v]) => `${k}=${v}`)}
                    />,
                  ],
                  [
                    "Annotations",
                    <Chips
                      key="annotations"
                      items={Object.keys(meta.annotations ?? {})}
                      max={20}
                    />,
                  ],
                ] as never}
              />
            </Card>
            <Conditions obj={obj} />
          </div>
          <div class="space-y-6">
            {isPod && <PodContainers obj={obj} />}
            <Events events={p.events} now={now} />
          </div>
        </div>
      )}
      {tab === "yaml" && (
        <Island
          name="YamlEditor"
          component={YamlEditor}
          props={{
            clusterId: cluster.id,
            resource,
            namespace: ns,
            name,
            yaml: p.yaml,
            canEdit: canEdit && resource.verbs.includes("update"),
          }}
        />
      )}
      {tab === "logs" && isPod && (
        <Island
          name="LogViewer"
          component={LogViewer}
          props={{
            clusterId: cluster.id,
            namespace: ns ?? "default",
            pod: name,
            containers: containersOf(obj),
            initial: p.logs?.text ?? "",
            initialError: p.logs?.error ?? null,
          }}
        />
      )}
    </Shell>
  );
}
