// Kubernetes API helpers for the resource explorer: discovery (aggregated and legacy), API and
// page paths, the Table format kubectl uses (server-side columns, CRDs included) and applying
// watch events to a table's rows.

export interface ResourceRef {
  /** "" for the core group. */
  group: string;
  version: string;
  /** The plural resource name used in paths, e.g. "pods". */
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
}

export const CORE = "core";

/** Path segment for a group in page URLs ("core" for ""). */
export const groupSegment = (group: string) => (group === "" ? CORE : group);
export const groupFromSegment = (seg: string) => (seg === CORE ? "" : seg);

export function groupVersion(ref: Pick<ResourceRef, "group" | "version">): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/** /api/v1 or /apis/apps/v1 */
export function apiBase(ref: Pick<ResourceRef, "group" | "version">): string {
  return ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
}

const enc = encodeURIComponent;

/** Kubernetes API path of a collection, in one namespace or across all (ns empty). */
export function listPath(
  ref: Pick<ResourceRef, "group" | "version" | "resource" | "namespaced">,
  ns?: string,
): string {
  return ref.namespaced && ns
    ? `${apiBase(ref)}/namespaces/${enc(ns)}/${ref.resource}`
    : `${apiBase(ref)}/${ref.resource}`;
}

export function objectPath(
  ref: Pick<ResourceRef, "group" | "version" | "resource" | "namespaced">,
  ns: string | null | undefined,
  name: string,
): string {
  return `${listPath(ref, ref.namespaced ? ns ?? "" : undefined)}/${enc(name)}`;
}

/** The dashboard's proxy prefix for a cluster. */
export const proxyBase = (clusterId: string) => `/api/clusters/${clusterId}/k8s`;

/** Page URL of a resource list: /clusters/{id}/r/apps/v1/deployments?ns=default */
export function listUrl(
  clusterId: string,
  ref: Pick<ResourceRef, "group" | "version" | "resource">,
  ns?: string,
): string {
  const q = ns ? `?ns=${enc(ns)}` : "";
  return `/clusters/${clusterId}/r/${groupSegment(ref.group)}/${ref.version}/${ref.resource}${q}`;
}

/** Page URL of one object; cluster-scoped objects use "_" as namespace. */
export function objectUrl(
  clusterId: string,
  ref: Pick<ResourceRef, "group" | "version" | "resource">,
  ns: string | null | undefined,
  name: string,
  tab?: string,
): string {
  return `/clusters/${clusterId}/r/${groupSegment(ref.group)}/${ref.version}/${ref.resource}/${
    ns ? enc(ns) : "_"
  }/${enc(name)}${tab ? `?tab=${tab}` : ""}`;
}

// ---------------------------------------------------------------------------------------------
// Discovery

export const AGGREGATED_DISCOVERY_ACCEPT =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

interface AggregatedList {
  kind?: string;
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      resources?: {
        resource: string;
        responseKind?: { kind?: string };
        scope?: string;
        verbs?: string[];
        shortNames?: string[];
      }[];
    }[];
  }[];
}

/** Resources from an aggregated discovery document (/api or /apis); preferred version only. */
export function parseAggregatedDiscovery(doc: unknown): ResourceRef[] | null {
  const list = doc as AggregatedList;
  if (!list || list.kind !== "APIGroupDiscoveryList" || !Array.isArray(list.items)) return null;
  const out: ResourceRef[] = [];
  for (const g of list.items) {
    const group = g.metadata?.name ?? "";
    const v = g.versions?.[0];
    if (!v) continue;
    for (const r of v.resources ?? []) {
      if (r.resource.includes("/")) continue;
      out.push({
        group,
        version: v.version,
        resource: r.resource,
        kind: r.responseKind?.kind ?? r.resource,
        namespaced: r.scope === "Namespaced",
        verbs: r.verbs ?? [],
        ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
      });
    }
  }
  return out;
}

interface LegacyResourceList {
  groupVersion?: string;
  resources?: {
    name: string;
    kind: string;
    namespaced: boolean;
    verbs?: string[];
    shortNames?: string[];
  }[];
}

/** Resources from one legacy APIResourceList (/api/v1, /apis/apps/v1). */
export function parseResourceList(doc: unknown): ResourceRef[] {
  const list = doc as LegacyResourceList;
  const gv = list?.groupVersion ?? "";
  const [group, version] = gv.includes("/") ? gv.split("/", 2) : ["", gv];
  return (list?.resources ?? []).filter((r) => !r.name.includes("/")).map((r) => ({
    group,
    version,
    resource: r.name,
    kind: r.kind,
    namespaced: r.namespaced,
    verbs: r.verbs ?? [],
    ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
  }));
}

export const canList = (r: ResourceRef) => r.verbs.includes("list");

/** Sorts for the "all resources" page: group (core first), then kind. */
export function sortRefs(refs: ResourceRef[]): ResourceRef[] {
  return [...refs].sort((a, b) =>
    (a.group === "" ? -1 : 0) - (b.group === "" ? -1 : 0) || a.group.localeCompare(b.group) ||
    a.kind.localeCompare(b.kind)
  );
}

/** The sidebar's well-known kinds, by section. */
export const NAV_SECTIONS: {
  title: string;
  items: { label: string; group: string; version: string; resource: string; namespaced: boolean }[];
}[] = [
  {
    title: "Workloads",
    items: [
      { label: "Pods", group: "", version: "v1", resource: "pods", namespaced: true },
      {
        label: "Deployments",
        group: "apps",
        version: "v1",
        resource: "deployments",
        namespaced: true,
      },
      {
        label: "StatefulSets",
        group: "apps",
        version: "v1",
        resource: "statefulsets",
        namespaced: true,
      },
      {
        label: "DaemonSets",
        group: "apps",
        version: "v1",
        resource: "daemonsets",
        namespaced: true,
      },
      {
        label: "ReplicaSets",
        group: "apps",
        version: "v1",
        resource: "replicasets",
        namespaced: true,
      },
      { label: "Jobs", group: "batch", version: "v1", resource: "jobs", namespaced: true },
      { label: "CronJobs", group: "batch", version: "v1", resource: "cronjobs", namespaced: true },
    ],
  },
  {
    title: "Network",
    items: [
      { label: "Services", group: "", version: "v1", resource: "services", namespaced: true },
      {
        label: "Ingresses",
        group: "networking.k8s.io",
        version: "v1",
        resource: "ingresses",
        namespaced: true,
      },
      {
        label: "Network Policies",
        group: "networking.k8s.io",
        version: "v1",
        resource: "networkpolicies",
        namespaced: true,
      },
    ],
  },
  {
    title: "Config & Storage",
    items: [
      { label: "ConfigMaps", group: "", version: "v1", resource: "configmaps", namespaced: true },
      { label: "Secrets", group: "", version: "v1", resource: "secrets", namespaced: true },
      {
        label: "PersistentVolumeClaims",
        group: "",
        version: "v1",
        resource: "persistentvolumeclaims",
        namespaced: true,
      },
      {
        label: "PersistentVolumes",
        group: "",
        version: "v1",
        resource: "persistentvolumes",
        namespaced: false,
      },
      {
        label: "StorageClasses",
        group: "storage.k8s.io",
        version: "v1",
        resource: "storageclasses",
        namespaced: false,
      },
    ],
  },
  {
    title: "Cluster",
    items: [
      { label: "Nodes", group: "", version: "v1", resource: "nodes", namespaced: false },
      { label: "Namespaces", group: "", version: "v1", resource: "namespaces", namespaced: false },
      { label: "Events", group: "", version: "v1", resource: "events", namespaced: true },
      {
        label: "Service Accounts",
        group: "",
        version: "v1",
        resource: "serviceaccounts",
        namespaced: true,
      },
      {
        label: "Roles",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "roles",
        namespaced: true,
      },
      {
        label: "Role Bindings",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "rolebindings",
        namespaced: true,
      },
      {
        label: "Cluster Roles",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "clusterroles",
        namespaced: false,
      },
      {
        label: "CRDs",
        group: "apiextensions.k8s.io",
        version: "v1",
        resource: "customresourcedefinitions",
        namespaced: false,
      },
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// Tables

export const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

export interface TableColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface KubeTable {
  kind: "Table";
  metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions?: TableColumn[];
  rows?: { cells: unknown[]; object?: { metadata?: ObjectMeta } }[];
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  deletionTimestamp?: string;
}

/** A column as the table island shows it. kind "age" is recomputed live from creation time. */
export interface Column {
  name: string;
  kind: "name" | "namespace" | "age" | "text" | "number" | "status";
  /** Index into a row's cells. */
  index: number;
  description?: string;
}

export interface Row {
  uid: string;
  name: string;
  namespace: string;
  created: string;
  deleting: boolean;
  cells: string[];
}

export interface TableModel {
  columns: Column[];
  rows: Row[];
  resourceVersion: string;
  continue: string;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return v.map(cellText).join(", ");
  return JSON.stringify(v);
}

const STATUS_COLUMNS = new Set(["status", "phase", "type", "ready"]);

/**
 * Turns a Table into columns (priority 0 only, like `kubectl get`) and rows. When listing a
 * namespaced kind across namespaces, a Namespace column is added after the name.
 */
export function tableColumns(defs: TableColumn[], allNamespaces: boolean): Column[] {
  const cols: Column[] = [];
  defs.forEach((d, index) => {
    if ((d.priority ?? 0) > 0) return;
    const lower = d.name.toLowerCase();
    const kind: Column["kind"] = index === 0 && d.format === "name"
      ? "name"
      : lower === "age" || lower === "created at"
      ? "age"
      : d.type === "integer" || d.type === "number"
      ? "number"
      : STATUS_COLUMNS.has(lower)
      ? "status"
      : "text";
    cols.push({ name: d.name, kind, index, description: d.description });
  });
  if (!cols.some((c) => c.kind === "name")) cols.unshift({ name: "Name", kind: "name", index: -1 });
  if (allNamespaces) {
    const at = cols.findIndex((c) => c.kind === "name");
    cols.splice(at + 1, 0, { name: "Namespace", kind: "namespace", index: -2 });
  }
  return cols;
}

export function tableRows(table: KubeTable): Row[] {
  return (table.rows ?? []).map((r) => {
    const m = r.object?.metadata ?? {};
    return {
      uid: m.uid ?? `${m.namespace ?? ""}/${m.name ?? cellText(r.cells[0])}`,
      name: m.name ?? cellText(r.cells[0]),
      namespace: m.namespace ?? "",
      created: m.creationTimestamp ?? "",
      deleting: !!m.deletionTimestamp,
      cells: r.cells.map(cellText),
    };
  });
}

/** A table from a plain list (for APIs that do not serve the Table format). */
export function listAsTable(
  list: {
    metadata?: { resourceVersion?: string; continue?: string };
    items?: { metadata?: ObjectMeta }[];
  },
): KubeTable {
  return {
    kind: "Table",
    metadata: list.metadata,
    columnDefinitions: [
      { name: "Name", type: "string", format: "name" },
      { name: "Age", type: "string" },
    ],
    rows: (list.items ?? []).map((o) => ({
      cells: [o.metadata?.name ?? "", ""],
      object: { metadata: o.metadata },
    })),
  };
}

/** The value shown in a cell (Age is computed by the caller). */
export function cellValue(row: Row, col: Column): string {
  if (col.kind === "name") return row.name;
  if (col.kind === "namespace") return row.namespace;
  return row.cells[col.index] ?? "";
}

export function compareRows(a: Row, b: Row): number {
  return a.namespace.localeCompare(b.namespace) ||
    a.name.localeCompare(b.name, undefined, { numeric: true });
}

export interface SortSpec {
  column: number;
  desc: boolean;
}

/** Sorts rows by a column: ages by time, numbers numerically, text naturally. */
export function sortRows(rows: Row[], cols: Column[], sort: SortSpec | null): Row[] {
  if (!sort || !cols[sort.column]) return [...rows].sort(compareRows);
  const col = cols[sort.column];
  const dir = sort.desc ? -1 : 1;
  const key = (r: Row) => cellValue(r, col);
  return [...rows].sort((a, b) => {
    let c: number;
    if (col.kind === "age") c = Date.parse(b.created || "0") - Date.parse(a.created || "0");
    else if (col.kind === "number") c = (Number(key(a)) || 0) - (Number(key(b)) || 0);
    else c = key(a).localeCompare(key(b), undefined, { numeric: true });
    return c * dir || compareRows(a, b);
  });
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeTable & { code?: number; message?: string; metadata?: { resourceVersion?: string } };
}

/**
 * Applies a watch event (Table-format objects) to rows keyed by uid. Returns the new resource
 * version, and `expired` when the watch must restart with a fresh list (410 Gone).
 */
export function applyWatchEvent(
  rows: Map<string, Row>,
  ev: WatchEvent,
): { resourceVersion?: string; expired?: boolean; error?: string } {
  if (ev.type === "ERROR") {
    const code = ev.object?.code;
    return code === 410 ? { expired: true } : { error: ev.object?.message ?? "watch error" };
  }
  if (ev.type === "BOOKMARK") return { resourceVersion: ev.object?.metadata?.resourceVersion };
  let rv: string | undefined;
  for (const row of tableRows(ev.object)) {
    if (ev.type === "DELETED") rows.delete(row.uid);
    else rows.set(row.uid, row);
  }
  const last = ev.object?.rows?.at(-1)?.object?.metadata?.resourceVersion;
  if (last) rv = last;
  return { resourceVersion: rv ?? ev.object?.metadata?.resourceVersion };
}

/** Splits a newline-delimited JSON stream into complete lines, keeping the partial tail. */
export class LineSplitter {
  #buf = "";
  push(chunk: string): string[] {
    this.#buf += chunk;
    const parts = this.#buf.split("\n");
    this.#buf = parts.pop() ?? "";
    return parts.filter((l) => l.trim() !== "");
  }
  flush(): string[] {
    const rest = this.#buf;
    this.#buf = "";
    return rest.trim() ? [rest] : [];
  }
}

/** The message of a Kubernetes Status or dashboard error body, else the HTTP status. */
export function errorMessage(body: unknown, status: number): string {
  const b = body as { message?: string; error?: { message?: string }; kind?: string } | null;
  if (b && typeof b === "object") {
    if (typeof b.error?.message === "string") return b.error.message;
    if (typeof b.message === "string" && b.message) return b.message;
  }
  if (typeof body === "string" && body.trim()) return body.trim().slice(0, 500);
  return `HTTP ${status}`;
}

/** Strips noise before showing or editing YAML. */
export function cleanForEdit(
  obj: Record<string, unknown>,
  keepManagedFields = false,
): Record<string, unknown> {
  const copy = structuredClone(obj) as
    & { metadata?: Record<string, unknown> }
    & Record<string, unknown>;
  if (copy.metadata && !keepManagedFields) delete copy.metadata.managedFields;
  return copy;
}
