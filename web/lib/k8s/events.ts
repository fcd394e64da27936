// The Events page's pure part: an Event's time (series, lastTimestamp, eventTime, creation),
// newest-first order, a watch event applied to a bounded set of rows, and the page URL of the
// involved object.
import { groupFromSegment, objectUrl } from "./paths.ts";

/** A core/v1 Event, the fields the page shows. */
export interface ClusterEvent {
  metadata: { uid?: string; name?: string; namespace?: string; creationTimestamp?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string } | null;
  involvedObject?: {
    kind?: string;
    apiVersion?: string;
    namespace?: string;
    name?: string;
    uid?: string;
  };
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
}

/** At most this many rows are kept (the newest). */
export const MAX_EVENTS = 500;

/** When the event last happened (ms since the epoch; 0 when unknown). */
export function eventTime(e: ClusterEvent): number {
  const at = e.series?.lastObservedTime || e.lastTimestamp || e.eventTime ||
    e.metadata?.creationTimestamp;
  const t = at ? Date.parse(at) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** The ISO time shown for the event (as eventTime() picks it), or null. */
export function eventTimestamp(e: ClusterEvent): string | null {
  return e.series?.lastObservedTime || e.lastTimestamp || e.eventTime ||
    e.metadata?.creationTimestamp || null;
}

/** How many times it happened (series.count, else count, else 1). */
export function eventCount(e: ClusterEvent): number {
  return e.series?.count ?? e.count ?? 1;
}

/** Who reported it: source.component[/host], else reportingComponent[/instance]. */
export function eventSource(e: ClusterEvent): string {
  const c = e.source?.component || e.reportingComponent || "";
  const h = e.source?.host || e.reportingInstance || "";
  return c && h && h !== c ? `${c}, ${h}` : c || h;
}

const key = (e: ClusterEvent) => e.metadata?.uid ?? `${e.metadata?.namespace}/${e.metadata?.name}`;

/** Newest first; ties by namespace then name (stable across renders). */
export function compareEvents(a: ClusterEvent, b: ClusterEvent): number {
  return eventTime(b) - eventTime(a) ||
    (a.metadata?.namespace ?? "").localeCompare(b.metadata?.namespace ?? "") ||
    (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

/** Sorts newest first and keeps the newest `max`; `trimmed` says whether any were dropped. */
export function newestEvents(
  items: ClusterEvent[],
  max = MAX_EVENTS,
): { events: ClusterEvent[]; trimmed: boolean } {
  const sorted = [...items].sort(compareEvents);
  return { events: sorted.slice(0, max), trimmed: sorted.length > max };
}

export interface EventWatch {
  type: string;
  object?: ClusterEvent | { kind?: string; code?: number; message?: string };
}

export interface EventsApplied {
  events: ClusterEvent[];
  trimmed: boolean;
  /** The watch event's resourceVersion (to resume from), if any. */
  resourceVersion?: string;
  /** 410 Gone: list again. */
  expired?: boolean;
  /** Another watch ERROR's message. */
  error?: string;
}

/**
 * Applies one watch event to the rows (newest first): ADDED/MODIFIED replace the row of that uid
 * (or add it) and re-sort, DELETED removes it, BOOKMARK only moves the resourceVersion, ERROR is
 * `expired` (410) or `error`. At most `max` rows are kept; `trimmed` turns true when one is
 * dropped and stays as it was otherwise.
 */
export function applyEventWatch(
  events: ClusterEvent[],
  ev: EventWatch,
  trimmed: boolean,
  max = MAX_EVENTS,
): EventsApplied {
  const obj = ev.object as ClusterEvent & { code?: number; message?: string } | undefined;
  const rv = (obj?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
  if (ev.type === "ERROR") {
    if (obj?.code === 410) return { events, trimmed, expired: true };
    return { events, trimmed, error: obj?.message ?? "the watch failed" };
  }
  if (ev.type === "BOOKMARK" || !obj?.metadata) return { events, trimmed, resourceVersion: rv };
  const k = key(obj);
  const rest = events.filter((e) => key(e) !== k);
  if (ev.type === "DELETED") return { events: rest, trimmed, resourceVersion: rv };
  if (ev.type !== "ADDED" && ev.type !== "MODIFIED") {
    return { events, trimmed, resourceVersion: rv };
  }
  const next = newestEvents([obj, ...rest], max);
  return { events: next.events, trimmed: trimmed || next.trimmed, resourceVersion: rv };
}

/** Keeps only warnings when `warningsOnly`. */
export function filterEvents(events: ClusterEvent[], warningsOnly: boolean): ClusterEvent[] {
  return warningsOnly ? events.filter((e) => e.type === "Warning") : events;
}

/** A kind's resource per "group/Kind" (from discovery), e.g. { "apps/Deployment": "deployments" }. */
export type KindResources = Record<string, { resource: string; namespaced: boolean }>;

/** The plural kubectl would guess for a kind (Policy → policies, Ingress → ingresses). */
export function guessResource(kind: string): string {
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  return `${k}s`;
}

/**
 * The dashboard's page of an event's involved object, or null when it names no kind or name. The
 * resource comes from `kinds` (the cluster's discovery), else is guessed from the kind; an object
 * with a namespace is namespaced unless discovery says otherwise.
 */
const GROUP = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const VERSION = /^[a-z0-9]+$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const DOT_SEGMENT = /^\.{1,2}$/;

export function involvedObjectUrl(
  clusterId: string,
  e: ClusterEvent,
  kinds: KindResources = {},
): string | null {
  const io = e.involvedObject;
  if (!io?.kind || !io.name) return null;
  const av = io.apiVersion || "v1";
  const slash = av.lastIndexOf("/");
  const group = slash < 0 ? "" : groupFromSegment(av.slice(0, slash));
  const version = slash < 0 ? av : av.slice(slash + 1);
  // The cluster writes these: a link is made only of what Kubernetes itself allows, so a hostile
  // event cannot point the link at another dashboard page (`..`, `/`, `?` in a segment).
  if (
    !(group === "" || GROUP.test(group)) || !VERSION.test(version) || !KIND.test(io.kind) ||
    DOT_SEGMENT.test(io.name) || (io.namespace && DOT_SEGMENT.test(io.namespace))
  ) return null;
  const known = kinds[`${group}/${io.kind}`];
  const resource = known?.resource ?? guessResource(io.kind);
  const ns = known && !known.namespaced ? null : io.namespace || null;
  return objectUrl(clusterId, { group, version, resource }, ns, io.name);
}

/** "Pod web-1" / "Node n1": the involved object as the page names it. */
export function involvedObjectLabel(e: ClusterEvent): string {
  const io = e.involvedObject;
  if (!io) return "";
  return [io.kind, io.name].filter(Boolean).join(" ");
}
