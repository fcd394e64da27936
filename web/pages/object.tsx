// The resource explorer's page of one object: overview (metadata, conditions, a pod's
// containers, events), YAML (editor island), a pod's logs (viewer island) and shell (terminal
// island). Its actions (Delete, Edit, Logs, the shell's Connect and Attach, a workload's Scale,
// Restart, Pause/Resume and Roll back) follow `permissions` (web/routes/permissions.ts): a denied
// one stays in its place, disabled, the reason its hover text; viewers get the Shell tab's notice
// instead of a terminal. A workload's overview has a Replicas card (lib/k8s/workloads.ts).
import { Island } from "../islands.tsx";
import YamlEditor from "../islands/YamlEditor.tsx";
import LogViewer from "../islands/LogViewer.tsx";
import DeleteObject from "../islands/DeleteObject.tsx";
import ScaleWorkload from "../islands/ScaleWorkload.tsx";
import RestartWorkload from "../islands/RestartWorkload.tsx";
import PauseDeployment from "../islands/PauseDeployment.tsx";
import RollbackDeployment from "../islands/RollbackDeployment.tsx";
import { ProgressView, type WorkloadTarget } from "../components/workload_action.tsx";
import { PodShell } from "../components/pod_shell.tsx";
import { PageHeader, Shell } from "../components/layout.tsx";
import { Icon } from "../components/icons.tsx";
import { Badge, Card, Chips, KeyValues, linkClass, PhaseText, TimeAgo } from "../components/ui.tsx";
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
import { rolloutProgress } from "../lib/k8s/rollout_progress.ts";
import {
  blockedReason,
  type WorkloadAction,
  workloadActions,
  type WorkloadObject,
  workloadResource,
} from "../lib/k8s/workloads.ts";

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

interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  image?: string;
  state?: Record<string, { reason?: string }>;
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

/** A workload's replica counts and rollout state, and its pod template's images. */
function Replicas({ kind, obj }: { kind: WorkloadTarget["kind"]; obj: KubeObject }) {
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

/** The object's controlling owner ("Deployment web"), if any. */
function controllerOf(obj: KubeObject): string | null {
  const o = obj.metadata.ownerReferences?.find((r) => r.controller);
  return o ? `${o.kind} ${o.name}` : null;
}

/** A workload's action islands (Scale, Restart, Pause/Resume, Roll back) where they apply. */
function WorkloadActions(
  { target, obj, access }: {
    target: WorkloadTarget;
    obj: KubeObject;
    access: (action: Action) => Access;
  },
) {
  const offered = workloadActions(target.resource);
  const w = obj as unknown as WorkloadObject;
  /** The permission first; then whether the object's state allows it (a paused Deployment). */
  const accessOf = (action: WorkloadAction): Access => {
    const a = access(action === "scale" ? "scale" : "patch");
    const blocked = a.allowed ? blockedReason(target.kind, action, w) : null;
    return blocked ? { allowed: false, reason: blocked } : a;
  };
  return (
    <>
      {offered.includes("scale") && (
        <Island
          name="ScaleWorkload"
          component={ScaleWorkload}
          props={{
            ...target,
            access: accessOf("scale"),
            replicas: w.spec?.replicas ?? 1,
            controller: controllerOf(obj),
          }}
        />
      )}
      {offered.includes("restart") && (
        <Island
          name="RestartWorkload"
          component={RestartWorkload}
          props={{ ...target, access: accessOf("restart") }}
        />
      )}
      {offered.includes("pause") && (
        <Island
          name="PauseDeployment"
          component={PauseDeployment}
          props={{ ...target, access: accessOf("pause"), paused: !!w.spec?.paused }}
        />
      )}
      {offered.includes("rollback") && (
        <Island
          name="RollbackDeployment"
          component={RollbackDeployment}
          props={{ ...target, access: accessOf("rollback") }}
        />
      )}
    </>
  );
}

export function ObjectPage(p: ObjectPageProps) {
  const { cluster, resource, obj, tab, now } = p;
  const ns = obj.metadata.namespace ?? null;
  const name = obj.metadata.name;
  const isPod = resource.group === "" && resource.resource === "pods";
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
