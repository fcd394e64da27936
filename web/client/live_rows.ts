// The live rows of a resource list, through the dashboard's proxy: list (paged, Table format)
// then watch, applying watch events to the rows; relist on 410 Gone; reconnect with backoff
// (not on 403/404). Re-renders at most once an animation frame however fast events arrive.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, isAbort, openStream, readText, sleep } from "./api.ts";
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
import { LineSplitter } from "../../common/lines.ts";

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
    (async () => {
      let backoff = 1000;
      let rv = "";
      while (!signal.aborted) {
        try {
          if (!rv) {
            setState((s) => (s === "initial" ? "loading" : s));
            rv = await list();
          }
          const q = new URLSearchParams({
            watch: "true",
            allowWatchBookmarks: "true",
            resourceVersion: rv,
          });
          const opened = Date.now();
          const res = await openStream(`${base}?${q}`, signal, TABLE_ACCEPT);
          setState("live");
          setError(null);
          backoff = 1000;
          const lines = new LineSplitter();
          await readText(res, (text) => {
            for (const line of lines.push(text)) {
              const ev = JSON.parse(line) as WatchEvent;
              if (ev.type !== "ERROR" && ev.type !== "BOOKMARK") {
                ev.object = asTable(ev.object) as WatchEvent["object"];
              }
              const r = applyWatchEvent(rowsRef.current, ev);
              if (r.expired) rv = "";
              else if (r.error) throw new Error(r.error);
              else if (r.resourceVersion) rv = r.resourceVersion;
            }
            bump();
          });
          // The server ended the watch (timeout): resume from the last version, not in a hot loop.
          if (Date.now() - opened < 2000) await sleep(2000, signal);
        } catch (err) {
          if (isAbort(err) || signal.aborted) return;
          setError((err as Error).message);
          setState("retrying");
          const status = (err as { status?: number }).status;
          if (status === 403 || status === 404) return;
          await sleep(backoff, signal);
          backoff = Math.min(backoff * 2, 30_000);
          if (status === 410) rv = "";
        }
      }
    })();
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
