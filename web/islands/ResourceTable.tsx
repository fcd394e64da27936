// A live table of any Kubernetes resource, through the dashboard's proxy: the server's Table
// format gives kubectl's columns (CRDs' printer columns too); a watch keeps rows current. Rows
// are virtualized (fixed height, only the visible window is in the DOM), so 5,000 pods scroll
// smoothly. Keyboard: "/" filters, ↑/↓/PgUp/PgDn/Home/End move between rows, Enter opens. The
// list-then-watch state is client/live_rows.ts. Each row's Delete is disabled, its reason the
// hover text, where the person may not delete (web/routes/permissions.ts). Pods and nodes get CPU
// and memory columns while the cluster serves metrics.k8s.io (client/metrics.ts), else a quiet
// "Metrics unavailable" once.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { ConfirmDialog } from "../components/dialog.tsx";
import { Alert, btn, cardClass, inputClass, LiveStatus, PhaseText } from "../components/ui.tsx";
import { useNow } from "../client/live.ts";
import { api } from "../client/api.ts";
import { useLiveRows } from "../client/live_rows.ts";
import { listPath, objectPath, objectUrl, proxyBase, type ResourceRef } from "../lib/k8s/paths.ts";
import { cellValue, type Column, type Row, sortRows, type SortSpec } from "../lib/k8s/table.ts";
import { kubeAge } from "../lib/format.ts";
import { controlProps, type RowAccess, rowAccess } from "../lib/k8s/access_review.ts";
import { useTableMetrics } from "../client/metrics.ts";
import { MetricsCells, MetricsHeaders, MetricsNote } from "../components/metrics.tsx";
import { metricsKindOf, usageKey } from "../lib/k8s/metrics.ts";

export interface ResourceTableProps {
  clusterId: string;
  resource: ResourceRef;
  /** "" lists across all namespaces. */
  namespace: string;
  columns: Column[];
  rows: Row[];
  /** True when the server rendered only the first page. */
  partial: boolean;
  now: number;
  /** Whether the person may delete the rows; null: the resource cannot be deleted (no button). */
  deletable: RowAccess | null;
  error?: string | null;
}

const ROW_HEIGHT = 37;
const FIRST_WINDOW = 50;
const OVERSCAN = 10;

const widthFor: Record<Column["kind"], string> = {
  name: "w-[22rem] min-w-[14rem]",
  namespace: "w-44",
  age: "w-20",
  status: "w-32",
  number: "w-24",
  text: "",
};

export default function ResourceTable(props: ResourceTableProps) {
  const { clusterId, resource, namespace, deletable } = props;
  const now = useNow(props.now);
  const [filter, setFilter] = useState("");
  const [sort, setSort] = useState<SortSpec | null>(null);
  const [mounted, setMounted] = useState(false);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [focusIndex, setFocusIndex] = useState(-1);
  const [toDelete, setToDelete] = useState<Row | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const filterInput = useRef<HTMLInputElement>(null);
  const base = proxyBase(clusterId) + listPath(resource, namespace);
  const allNamespaces = resource.namespaced && !namespace;
  const isPods = resource.group === "" && resource.resource === "pods";
  const metrics = useTableMetrics(clusterId, metricsKindOf(resource), namespace);
  const metricsShown = metrics.state === "available";
  const { columns, all, state, error, markDeleting } = useLiveRows({
    base,
    allNamespaces,
    columns: props.columns,
    rows: props.rows,
    error: props.error ?? null,
  });

  useEffect(() => setMounted(true), []);

  // Track the scroller's height.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewport(el.clientHeight));
    ro.observe(el);
    setViewport(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  // "/" focuses the filter.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) && !t.isContentEditable) {
        e.preventDefault();
        filterInput.current?.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const rows = f
      ? all.filter((r) => r.name.toLowerCase().includes(f) || r.namespace.toLowerCase().includes(f))
      : all;
    return sortRows(rows, columns, sort);
  }, [all, filter, sort, columns]);

  // The rendered window. Before mount (server HTML and hydration) it is the first rows, unstyled.
  const start = mounted ? Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN) : 0;
  const end = mounted
    ? Math.min(shown.length, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN)
    : Math.min(shown.length, FIRST_WINDOW);
  const windowRows = shown.slice(start, end);

  // Keep keyboard focus on the row it moved to once that row is rendered.
  useEffect(() => {
    if (focusIndex < 0) return;
    scroller.current?.querySelector<HTMLElement>(`[data-index="${focusIndex}"] a[data-row-link]`)
      ?.focus({ preventScroll: true });
  }, [focusIndex, start, end]);

  const moveFocus = (to: number) => {
    const i = Math.max(0, Math.min(shown.length - 1, to));
    const el = scroller.current;
    if (el) {
      const top = i * ROW_HEIGHT;
      const header = ROW_HEIGHT;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight - header) {
        el.scrollTop = top + ROW_HEIGHT * 2 - el.clientHeight;
      }
      setScrollTop(el.scrollTop);
    }
    setFocusIndex(i);
    // Focus at once when the row is already rendered; otherwise the effect above does after render.
    scroller.current?.querySelector<HTMLElement>(`[data-index="${i}"] a[data-row-link]`)?.focus({
      preventScroll: true,
    });
  };

  const onRowsKey = (e: KeyboardEvent) => {
    const current = Number(
      (document.activeElement?.closest("[data-index]") as HTMLElement | null)?.dataset.index ?? -1,
    );
    const page = Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = {
      ArrowDown: current + 1,
      ArrowUp: current - 1,
      PageDown: current + page,
      PageUp: current - page,
      Home: 0,
      End: shown.length - 1,
    };
    if (e.key in moves && shown.length) {
      e.preventDefault();
      moveFocus(moves[e.key]);
    }
  };

  const toggleSort = (i: number) =>
    setSort((
      s,
    ) => (s?.column === i
      ? (s.desc ? null : { column: i, desc: true })
      : { column: i, desc: false })
    );

  const deleteRow = async () => {
    if (!toDelete) return;
    await api(proxyBase(clusterId) + objectPath(resource, toDelete.namespace, toDelete.name), {
      method: "DELETE",
    });
    markDeleting(toDelete.uid);
  };

  const total = all.length;
  const label = resource.resource;
  const colCount = columns.length + 1 + (metricsShown ? 2 : 0);

  return (
    <div class={`${cardClass} flex min-h-0 flex-col`}>
      <div class="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 px-4 py-3 dark:border-slate-800">
        <div class="relative w-full max-w-xs">
          <Icon
            name="search"
            class="pointer-events-none absolute left-2.5 top-1/2 size-4 -translate-y-1/2 text-slate-400"
          />
          <input
            ref={filterInput}
            type="search"
            aria-label={`Filter ${label} by name${allNamespaces ? " or namespace" : ""}`}
            placeholder={`Filter ${label}…`}
            class={`${inputClass} pl-8 pr-8`}
            value={filter}
            onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
            onKeyDown={(e) => {
              if (e.key === "ArrowDown") {
                e.preventDefault();
                moveFocus(0);
              }
            }}
          />
          <kbd class="pointer-events-none absolute right-2 top-1/2 -translate-y-1/2 rounded border border-slate-200 px-1 font-mono text-[10px] text-slate-400 dark:border-slate-700">
            /
          </kbd>
        </div>
        <LiveStatus state={state} testId="table-state">
          <span data-testid="row-count">
            {filter
              ? `${shown.length} of ${total}`
              : `${total}${props.partial && state === "initial" ? "+" : ""}`} {label}
          </span>
          <MetricsNote state={metrics.state} />
        </LiveStatus>
      </div>
      {error && (
        <div class="border-b border-slate-200 p-3 dark:border-slate-800">
          <Alert tone={state === "retrying" ? "amber" : "red"}>{error}</Alert>
        </div>
      )}
      <div
        ref={scroller}
        class="relative h-[calc(100vh-15rem)] min-h-80 overflow-auto"
        onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}
      >
        <table
          class="w-full table-fixed text-sm"
          aria-rowcount={shown.length + 1}
          data-testid="resource-table"
        >
          <thead class="sticky top-0 z-10 bg-slate-50/95 backdrop-blur dark:bg-slate-900/95">
            <tr class="h-[37px] text-left text-xs font-medium uppercase tracking-wide text-slate-500 shadow-[inset_0_-1px_0] shadow-slate-200 dark:text-slate-400 dark:shadow-slate-800">
              {columns.map((c, i) => (
                <th
                  key={c.name + i}
                  scope="col"
                  class={`px-3 font-medium first:pl-4 ${widthFor[c.kind]}`}
                  aria-sort={sort?.column === i
                    ? (sort.desc ? "descending" : "ascending")
                    : undefined}
                  title={c.description}
                >
                  <button
                    type="button"
                    class="inline-flex items-center gap-1 uppercase hover:text-slate-900 dark:hover:text-white cursor-pointer"
                    onClick={() => toggleSort(i)}
                  >
                    {c.name}
                    {sort?.column === i && (
                      <Icon name="chevronDown" class={`size-3 ${sort.desc ? "" : "rotate-180"}`} />
                    )}
                  </button>
                </th>
              ))}
              {metricsShown && <MetricsHeaders />}
              <th scope="col" class={`${isPods || deletable ? "w-24" : "w-4"} pr-4`}>
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody class="divide-y divide-slate-100 dark:divide-slate-800/80" onKeyDown={onRowsKey}>
            {mounted && start > 0 && (
              <tr aria-hidden="true">
                <td colSpan={colCount} style={{ height: `${start * ROW_HEIGHT}px`, padding: 0 }} />
              </tr>
            )}
            {windowRows.map((r, k) => {
              const index = start + k;
              const href = objectUrl(clusterId, resource, r.namespace || null, r.name);
              return (
                <tr
                  key={r.uid}
                  data-index={index}
                  aria-rowindex={index + 2}
                  data-name={r.name}
                  class={`h-[37px] hover:bg-slate-50 dark:hover:bg-slate-800/50 ${
                    r.deleting ? "opacity-50" : ""
                  }`}
                >
                  {columns.map((c, i) => {
                    const v = c.kind === "age" ? kubeAge(r.created, now) : cellValue(r, c);
                    return (
                      <td
                        key={i}
                        class={`truncate px-3 first:pl-4 ${
                          c.kind === "number" ? "tabular-nums" : ""
                        } text-slate-700 dark:text-slate-300`}
                        title={v}
                      >
                        {c.kind === "name"
                          ? (
                            <a
                              href={href}
                              data-row-link
                              class="font-medium text-slate-900 hover:text-indigo-600 focus:outline-none focus-visible:rounded focus-visible:ring-2 focus-visible:ring-indigo-500 dark:text-white dark:hover:text-indigo-400"
                            >
                              {v}
                            </a>
                          )
                          : c.kind === "namespace"
                          ? <span class="font-mono text-xs">{v}</span>
                          : c.kind === "status"
                          ? <PhaseText value={r.deleting ? "Terminating" : v} />
                          : v}
                      </td>
                    );
                  })}
                  {metricsShown && (
                    <MetricsCells usage={metrics.usage.get(usageKey(r.namespace, r.name))} />
                  )}
                  <td class="pr-4 text-right">
                    <span class="inline-flex gap-0.5">
                      {isPods && (
                        <a
                          href={objectUrl(clusterId, resource, r.namespace, r.name, "logs")}
                          class={`${btn.icon} size-7`}
                          aria-label={`Logs of ${r.name}`}
                          title="Logs"
                        >
                          <Icon name="logs" class="size-3.5" />
                        </a>
                      )}
                      {deletable && (() => {
                        const access = rowAccess(deletable, r.namespace);
                        const control = controlProps(access);
                        return (
                          <button
                            type="button"
                            class={`${btn.icon} size-7 ${
                              access.allowed
                                ? "hover:!text-red-600"
                                : "cursor-not-allowed opacity-40 hover:bg-transparent"
                            }`}
                            aria-label={`Delete ${r.name}`}
                            data-action="delete"
                            onClick={() => access.allowed && setToDelete(r)}
                            {...control}
                            title={control.title ?? "Delete"}
                          >
                            <Icon name="trash" class="size-3.5" />
                          </button>
                        );
                      })()}
                    </span>
                  </td>
                </tr>
              );
            })}
            {mounted && end < shown.length && (
              <tr aria-hidden="true">
                <td
                  colSpan={colCount}
                  style={{ height: `${(shown.length - end) * ROW_HEIGHT}px`, padding: 0 }}
                />
              </tr>
            )}
            {shown.length === 0 && (
              <tr>
                <td
                  colSpan={colCount}
                  class="px-4 py-12 text-center text-sm text-slate-500 dark:text-slate-400"
                >
                  {filter
                    ? `No ${label} match “${filter}”.`
                    : state === "initial" || state === "loading"
                    ? "Loading…"
                    : `No ${label}${namespace ? ` in namespace ${namespace}` : ""}.`}
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {!mounted && shown.length > FIRST_WINDOW && (
          <p class="px-4 py-3 text-xs text-slate-500">
            Showing the first {FIRST_WINDOW} of {shown.length}
            {props.partial ? "+" : ""}; the rest loads with the page's script.
          </p>
        )}
      </div>
      {deletable && (
        <ConfirmDialog
          open={toDelete !== null}
          onClose={() => setToDelete(null)}
          title={`Delete ${resource.kind} ${toDelete?.name ?? ""}?`}
          confirmLabel="Delete"
          onConfirm={deleteRow}
          labelId="delete-row-title"
        >
          <p>
            This deletes{" "}
            <span class="font-mono font-semibold">
              {toDelete?.namespace ? `${toDelete.namespace}/` : ""}
              {toDelete?.name}
            </span>{" "}
            from the cluster. Controllers may recreate it (a Deployment's pods, for example).
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
