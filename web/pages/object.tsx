// The resource explorer's page of one object: overview (metadata, conditions, a pod's
// containers and live usage, events), YAML (editor island), a pod's logs (viewer island), a
// workload's Logs (all its pods' logs: islands/WorkloadLogs.tsx) and
// shell (terminal island). Its actions (Delete, Edit, Logs, the shell's Connect and Attach, a
// workload's Scale, Restart, Pause/Resume and Roll back) follow `permissions`
// (web/routes/permissions.ts): a denied one stays in its place, disabled, the reason its hover
// text; viewers get the Shell tab's notice instead of a terminal. The overview cards are
// object_cards.tsx, a workload's header actions workload_actions.tsx.
import { Island } from "../islands.tsx";
import YamlEditor from "../islands/YamlEditor.tsx";
import LogViewer from "../islands/LogViewer.tsx";
import WorkloadLogs from "../islands/WorkloadLogs.tsx";
import DeleteObject from "../islands/DeleteObject.tsx";
import PodMetrics from "../islands/PodMetrics.tsx";
import type { WorkloadTarget } from "../components/workload_action.tsx";
import { PodShell } from "../components/pod_shell.tsx";
import { PageHeader, Shell } from "../components/layout.tsx";
import { Icon } from "../components/icons.tsx";
import { Card, Chips, KeyValues, linkClass, PhaseText, TimeAgo } from "../components/ui.tsx";
import { groupVersion, listUrl, objectUrl, type ResourceRef } from "../lib/k8s/paths.ts";
import { kubeAge } from "../lib/format.ts";
import type { Cluster, UiUser } from "../lib/types.ts";
import {
  type Access,
  type Action,
  isWrite,
  type Permissions,
  roleOn,
  VIEWER_REASON,
} from "../lib/k8s/access_review.ts";
import { clusterCrumbs, navKey, navLabel } from "./resource_nav.ts";
import {
  Conditions,
  type ContainerStatus,
  Events,
  PodContainers,
  Replicas,
} from "./object_cards.tsx";
import { WorkloadActions } from "./workload_actions.tsx";
import { workloadResource } from "../lib/k8s/workloads.ts";
import { hasWorkloadLogs } from "../lib/k8s/workload_logs.ts";
import type { LabelSelector } from "../lib/k8s/label_selector.ts";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; apiVersion: string; controller?: boolean }[];
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
  tab: "overview" | "yaml" | "logs" | "shell";
  yaml: string;
  events: KubeEvent[];
  logs: { text: string; error: string | null } | null;
  /** What the person may do here (objectActions of the resource). */
  permissions: Permissions;
}

/** How many times each container of a pod has restarted (a previous instance has logs). */
function restartsOf(obj: KubeObject): Record<string, number> {
  const status = obj.status as
    | { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] }
    | undefined;
  return Object.fromEntries(
    [...(status?.containerStatuses ?? []), ...(status?.initContainerStatuses ?? [])]
      .map((c) => [c.name, c.restartCount ?? 0]),
  );
}

function containersOf(obj: KubeObject): string[] {
  const spec = obj.spec as
    | { containers?: { name: string }[]; initContainers?: { name: string }[] }
    | undefined;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].map((c) => c.name);
}

/** A workload's pod template's containers. */
function templateContainers(obj: KubeObject): string[] {
  const spec = obj.spec as
    | { template?: { spec?: { containers?: { name: string }[] } } }
    | undefined;
  return (spec?.template?.spec?.containers ?? []).map((c) => c.name);
}

export function ObjectPage(p: ObjectPageProps) {
  const { cluster, resource, obj, tab, now } = p;
  const ns = obj.metadata.namespace ?? null;
  const name = obj.metadata.name;
  const isPod = resource.group === "" && resource.resource === "pods";
  // A workload's Logs tab: the logs of all its pods (islands/WorkloadLogs.tsx).
  const podsLogs = hasWorkloadLogs(resource);
  const label = navLabel(resource);
  const role = roleOn(cluster, p.user);
  /** An action's answer; one not asked follows the dashboard's own rule alone. */
  const access = (action: Action): Access =>
    p.permissions[action] ??
      (role === "viewer" && isWrite(action)
        ? { allowed: false, reason: VIEWER_REASON }
        : { allowed: true });
  const logAccess = isPod ? access("log") : null;
  const list = listUrl(cluster.id, resource, ns ?? undefined);
  const tabs: {
    id: ObjectPageProps["tab"];
    label: string;
    icon: "info" | "code" | "logs" | "terminal";
  }[] = [
    { id: "overview", label: "Overview", icon: "info" },
    { id: "yaml", label: "YAML", icon: "code" },
    ...(isPod
      ? [
        { id: "logs" as const, label: "Logs", icon: "logs" as const },
        { id: "shell" as const, label: "Shell", icon: "terminal" as const },
      ]
      : podsLogs
      ? [{ id: "logs" as const, label: "Logs", icon: "logs" as const }]
      : []),
  ];
  const meta = obj.metadata;
  const nodeName = isPod ? (obj.spec as { nodeName?: string })?.nodeName : undefined;
  const phase = (obj.status as { phase?: string })?.phase;
  const workload = workloadResource(resource);
  const target: WorkloadTarget | null = workload
    ? { clusterId: cluster.id, resource, namespace: ns, name, kind: workload }
    : null;
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
        actions={target || resource.verbs.includes("delete")
          ? (
            <>
              {target && <WorkloadActions target={target} obj={obj} access={access} />}
              {resource.verbs.includes("delete") && (
                <Island
                  name="DeleteObject"
                  component={DeleteObject}
                  props={{
                    clusterId: cluster.id,
                    resource,
                    namespace: ns,
                    name,
                    listHref: list,
                    access: access("delete"),
                  }}
                />
              )}
            </>
          )
          : null}
      />
      <nav aria-label="Object views" class="mb-6 border-b border-slate-200 dark:border-slate-800">
        <ul class="-mb-px flex gap-6">
          {tabs.map((t) => (
            <li key={t.id}>
              {t.id === "logs" && logAccess && !logAccess.allowed && tab !== "logs"
                ? (
                  <span
                    class="flex cursor-not-allowed items-center gap-2 border-b-2 border-transparent px-1 pb-2.5 text-sm font-medium text-slate-400 dark:text-slate-600"
                    aria-disabled="true"
                    title={logAccess.reason}
                    data-testid="tab-logs-disabled"
                  >
                    <Icon name={t.icon} />
                    {t.label}
                  </span>
                )
                : (
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
                )}
            </li>
          ))}
        </ul>
      </nav>
      {tab === "overview" && (
        <div class="grid grid-cols-1 gap-6 xl:grid-cols-2">
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
            {isPod && (
              <Island
                name="PodMetrics"
                component={PodMetrics}
                class="block"
                props={{
                  clusterId: cluster.id,
                  namespace: ns ?? "default",
                  pod: name,
                  containers: containersOf(obj),
                }}
              />
            )}
            {workload && <Replicas kind={workload} obj={obj} />}
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
            edit: resource.verbs.includes("update") ? access("update") : null,
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
            restarts: restartsOf(obj),
            initial: p.logs?.text ?? "",
            initialError: p.logs?.error ?? null,
          }}
        />
      )}
      {tab === "logs" && podsLogs && (
        <Island
          name="WorkloadLogs"
          component={WorkloadLogs}
          props={{
            clusterId: cluster.id,
            namespace: ns ?? "default",
            kind: resource.kind,
            name,
            selector: (obj.spec as { selector?: LabelSelector } | undefined)?.selector ?? null,
            containers: templateContainers(obj),
          }}
        />
      )}
      {tab === "shell" && isPod && (
        <PodShell
          clusterId={cluster.id}
          pod={obj}
          role={role}
          exec={access("exec")}
          attach={access("attach")}
        />
      )}
    </Shell>
  );
}
