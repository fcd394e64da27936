// The Table format kubectl uses (server-side columns, CRDs included): columns and rows as the
// table island shows them, sorting, a Table from a plain list, and applying watch events
// (Table-format objects) to rows (the watch stream's lines: common/lines.ts).

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
