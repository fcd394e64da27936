// The live rows of a resource list, through the dashboard's proxy: list (paged, Table format)
// then watch, applying watch events to the rows; relist on 410 Gone; reconnect with backoff
// (not on 403/404). Re-renders at most once an animation frame however fast events arrive.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api } from "./api.ts";
import { listThenWatch } from "./list_watch.ts";
import {
  applyWatchEvent,
  type Column,
  type KubeTable,
  listAsTable,
  type Row,
  TABLE_ACCEPT,
  tableColumns,
  tableRows,
  type WatchEvent,
} from "../lib/k8s/table.ts";

const PAGE = 500;

export type LiveState = "initial" | "loading" | "live" | "retrying";

export interface LiveRows {
  columns: Column[];
  /** Every row (unsorted), a new array whenever they change. */
  all: Row[];
  state: LiveState;
  error: string | null;
  /** Shows a row as being deleted until the watch says it is gone. */
  markDeleting(uid: string): void;
}

function asTable(obj: unknown): KubeTable {
  const o = obj as KubeTable & { items?: unknown[]; metadata?: { name?: string } };
  if (o?.kind === "Table") return o;
  if (Array.isArray(o?.items)) return listAsTable(o as never);
  return {
    kind: "Table",
    rows: [{ cells: [o?.metadata?.name ?? "", ""], object: { metadata: o?.metadata } }],
  } as KubeTable;
}

/**
 * `base` is the proxy URL of the collection; the server's first columns, rows and error seed the
 * state, so the first render matches the server's HTML.
 */
export function useLiveRows(
  { base, allNamespaces, columns: firstColumns, rows: firstRows, error: firstError }: {
    base: string;
    allNamespaces: boolean;
    columns: Column[];
    rows: Row[];
    error: string | null;
  },
): LiveRows {
  const [columns, setColumns] = useState<Column[]>(firstColumns);
  const rowsRef = useRef(new Map(firstRows.map((r) => [r.uid, r])));
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<LiveState>("initial");
  const [error, setError] = useState<string | null>(firstError);

  // List (paged) then watch; relist on 410 Gone; reconnect with backoff.
  useEffect(() => {
    const ctl = new AbortController();
    const { signal } = ctl;
    let frame = 0;
    const bump = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setVersion((v) => v + 1);
      });
    };
    const list = async (): Promise<string> => {
      const fresh = new Map<string, Row>();
      let cont = "";
      let rv = "";
      do {
        const q = new URLSearchParams({ limit: String(PAGE) });
        if (cont) q.set("continue", cont);
        const t = asTable(await api(`${base}?${q}`, { headers: { accept: TABLE_ACCEPT }, signal }));
        if (t.columnDefinitions?.length) {
          setColumns(tableColumns(t.columnDefinitions, allNamespaces));
        }
        for (const r of tableRows(t)) fresh.set(r.uid, r);
        cont = t.metadata?.continue ?? "";
        rv = t.metadata?.resourceVersion ?? rv;
      } while (cont && !signal.aborted);
      rowsRef.current = fresh;
      bump();
      return rv;
    };
    listThenWatch({
      base,
      signal,
      accept: TABLE_ACCEPT,
      list,
      apply: (line) => {
        const ev = JSON.parse(line) as WatchEvent;
        if (ev.type !== "ERROR" && ev.type !== "BOOKMARK") {
          ev.object = asTable(ev.object) as WatchEvent["object"];
        }
        return applyWatchEvent(rowsRef.current, ev);
      },
      changed: bump,
      // A table keeps showing its rows: refused (403/404) reads as not live, with the reason.
      state: (st) =>
        setState((cur) =>
          st === "loading"
            ? (cur === "initial" ? "loading" : cur)
            : st === "stopped"
            ? "retrying"
            : st
        ),
      error: setError,
    });
    return () => {
      ctl.abort();
      cancelAnimationFrame(frame);
    };
  }, [base]);

  const all = useMemo(() => [...rowsRef.current.values()], [version, rowsRef.current]);
  const markDeleting = (uid: string) => {
    const row = rowsRef.current.get(uid);
    if (row) {
      rowsRef.current.set(row.uid, { ...row, deleting: true });
      setVersion((v) => v + 1);
    }
  };
  return { columns, all, state, error, markDeleting };
}
