// The cluster's (or a namespace's) Events, live: the server's first list (newest first, at most
// MAX_EVENTS) seeds the rows, then a watch from its resourceVersion applies each change through
// lib/k8s/events.ts (new on top, updated ones move, the oldest dropped past the bound); relist on
// 410 Gone, reconnect with backoff (not on 403/404). The warnings-only filter is a link (works
// without script) that the island turns into a toggle.
import { useEffect, useRef, useState } from "preact/hooks";
import {
  Alert,
  Badge,
  cardClass,
  EmptyState,
  linkClass,
  LiveStatus,
  TimeAgo,
} from "../components/ui.tsx";
import { useNow } from "../client/live.ts";
import { api } from "../client/api.ts";
import { listThenWatch } from "../client/list_watch.ts";
import {
  applyEventWatch,
  type ClusterEvent,
  eventCount,
  eventSource,
  eventTimestamp,
  type EventWatch,
  filterEvents,
  involvedObjectLabel,
  involvedObjectUrl,
  type KindResources,
  MAX_EVENTS,
  newestEvents,
} from "../lib/k8s/events.ts";
import { proxyBase } from "../lib/k8s/paths.ts";

export interface EventListProps {
  clusterId: string;
  /** "" for every namespace. */
  namespace: string;
  /** Newest first, at most MAX_EVENTS. */
  events: ClusterEvent[];
  trimmed: boolean;
  resourceVersion: string;
  error: string | null;
  now: number;
  kinds: KindResources;
  warningsOnly: boolean;
  /** The page's URL without the filter (the filter links add `type=Warning`). */
  action: string;
}

type State = "initial" | "loading" | "live" | "retrying" | "stopped";

export function filterHref(action: string, namespace: string, warnings: boolean): string {
  const q = new URLSearchParams();
  if (namespace) q.set("ns", namespace);
  if (warnings) q.set("type", "Warning");
  const s = q.toString();
  return s ? `${action}?${s}` : action;
}

export default function EventList(p: EventListProps) {
  const now = useNow(p.now);
  const [rows, setRows] = useState({ events: p.events, trimmed: p.trimmed });
  const [state, setState] = useState<State>("initial");
  const [error, setError] = useState<string | null>(p.error);
  const [warningsOnly, setWarningsOnly] = useState(p.warningsOnly);
  const cur = useRef(rows);
  cur.current = rows;

  useEffect(() => {
    const base = `${proxyBase(p.clusterId)}/api/v1${
      p.namespace ? `/namespaces/${encodeURIComponent(p.namespace)}` : ""
    }/events`;
    const ctl = new AbortController();
    const { signal } = ctl;
    let frame = 0;
    let pending = cur.current;
    const flush = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setRows(pending);
      });
    };
    const list = async (): Promise<string> => {
      const l = await api<
        { items?: ClusterEvent[]; metadata?: { resourceVersion?: string; continue?: string } }
      >(
        `${base}?limit=${MAX_EVENTS}`,
        { signal },
      );
      const n = newestEvents(l.items ?? []);
      pending = { events: n.events, trimmed: n.trimmed || !!l.metadata?.continue };
      flush();
      return l.metadata?.resourceVersion ?? "";
    };
    listThenWatch({
      base,
      signal,
      from: p.error ? "" : p.resourceVersion,
      list,
      apply: (line) => {
        const r = applyEventWatch(pending.events, JSON.parse(line) as EventWatch, pending.trimmed);
        pending = { events: r.events, trimmed: r.trimmed };
        return r;
      },
      changed: flush,
      state: (st) => setState((cur) => st === "loading" && cur !== "initial" ? cur : st),
      error: setError,
    });
    return () => {
      ctl.abort();
      cancelAnimationFrame(frame);
    };
  }, [p.clusterId, p.namespace]);

  const shown = filterEvents(rows.events, warningsOnly);
  const toggle = (warnings: boolean) => (e: MouseEvent) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    setWarningsOnly(warnings);
    history.replaceState(null, "", filterHref(p.action, p.namespace, warnings));
  };
  const tab = (active: boolean) =>
    `rounded-md px-2.5 py-1 text-xs font-medium ${
      active
        ? "bg-white text-slate-900 shadow-sm dark:bg-slate-700 dark:text-white"
        : "text-slate-500 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white"
    }`;
  const warnings = rows.events.filter((e) => e.type === "Warning").length;

  return (
    <div class={cardClass}>
      <div class="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 p-3 dark:border-slate-800">
        <nav
          aria-label="Event type"
          class="flex gap-1 rounded-lg bg-slate-100 p-1 dark:bg-slate-800"
        >
          <a
            href={filterHref(p.action, p.namespace, false)}
            class={tab(!warningsOnly)}
            aria-current={!warningsOnly ? "page" : undefined}
            onClick={toggle(false)}
          >
            All
          </a>
          <a
            href={filterHref(p.action, p.namespace, true)}
            class={tab(warningsOnly)}
            aria-current={warningsOnly ? "page" : undefined}
            onClick={toggle(true)}
          >
            Warnings only ({warnings})
          </a>
        </nav>
        <LiveStatus state={state} testId="events-state">
          <span data-testid="event-count">
            {shown.length} {shown.length === 1 ? "event" : "events"}
          </span>
        </LiveStatus>
      </div>
      {error && (
        <div class="border-b border-slate-200 p-3 dark:border-slate-800">
          <Alert tone={state === "retrying" ? "amber" : "red"}>{error}</Alert>
        </div>
      )}
      {rows.trimmed && (
        <p
          class="border-b border-slate-200 px-4 py-2 text-xs text-slate-500 dark:border-slate-800 dark:text-slate-400"
          data-testid="events-trimmed"
        >
          Showing the newest {MAX_EVENTS} events only; older ones are not kept.
        </p>
      )}
      {shown.length === 0
        ? (error
          ? null
          : (
            <EmptyState icon="info" title={warningsOnly ? "No warnings" : "No events"}>
              {warningsOnly
                ? "No warning events here right now."
                : `No events ${
                  p.namespace ? `in namespace ${p.namespace}` : "in this cluster"
                } right now. New ones appear here as they happen.`}
            </EmptyState>
          ))
        : (
          <div class="overflow-x-auto">
            <table class="w-full text-left text-sm" data-testid="events-table">
              <thead class="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
                <tr class="border-b border-slate-200 dark:border-slate-800">
                  <th class="px-4 py-2 font-medium">Type</th>
                  <th class="px-4 py-2 font-medium">Reason</th>
                  <th class="px-4 py-2 font-medium">Object</th>
                  <th class="px-4 py-2 font-medium">Message</th>
                  <th class="px-4 py-2 text-right font-medium">Count</th>
                  <th class="px-4 py-2 font-medium">Age</th>
                  <th class="px-4 py-2 font-medium">Source</th>
                </tr>
              </thead>
              <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
                {shown.map((e) => {
                  const warning = e.type === "Warning";
                  const href = involvedObjectUrl(p.clusterId, e, p.kinds);
                  const io = e.involvedObject;
                  return (
                    <tr
                      key={e.metadata.uid ?? `${e.metadata.namespace}/${e.metadata.name}`}
                      data-testid="event-row"
                      data-type={e.type ?? ""}
                      data-name={e.metadata.name}
                      class={warning ? "bg-amber-50/70 dark:bg-amber-500/10" : ""}
                    >
                      <td class="px-4 py-2 align-top">
                        <Badge tone={warning ? "amber" : "gray"}>{e.type ?? "—"}</Badge>
                      </td>
                      <td
                        class={`px-4 py-2 align-top font-medium ${
                          warning
                            ? "text-amber-800 dark:text-amber-300"
                            : "text-slate-900 dark:text-white"
                        }`}
                      >
                        {e.reason}
                      </td>
                      <td class="px-4 py-2 align-top">
                        {href
                          ? (
                            <a href={href} class={linkClass} data-testid="event-object">
                              {involvedObjectLabel(e)}
                            </a>
                          )
                          : <span>{involvedObjectLabel(e) || "—"}</span>}
                        {!p.namespace && io?.namespace && (
                          <span class="block text-xs text-slate-400">{io.namespace}</span>
                        )}
                      </td>
                      <td class="min-w-72 px-4 py-2 align-top break-words text-slate-700 dark:text-slate-300">
                        {e.message}
                      </td>
                      <td class="px-4 py-2 text-right align-top tabular-nums">{eventCount(e)}</td>
                      <td class="whitespace-nowrap px-4 py-2 align-top text-slate-500">
                        <TimeAgo at={eventTimestamp(e)} now={now} never="—" />
                      </td>
                      <td class="px-4 py-2 align-top text-xs text-slate-500">{eventSource(e)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
    </div>
  );
}
