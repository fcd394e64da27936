// Shared presentational pieces (server pages and islands): class sets for buttons and inputs,
// badges, the connection-type icon with its tooltip, time labels, empty states and key/value
// lists. No state here; islands own behaviour.
import type { ComponentChildren, JSX } from "preact";
import { Icon, type IconName } from "./icons.tsx";
import { clusterStatus, phaseTone, type Tone, toneClasses } from "../lib/status.ts";
import { absoluteTime, timeAgo } from "../lib/format.ts";
import type { Cluster } from "../lib/types.ts";

const focus =
  "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500";
const btnBase =
  `inline-flex items-center justify-center gap-1.5 rounded-md px-3 py-1.5 text-sm font-medium whitespace-nowrap transition-colors cursor-pointer disabled:cursor-not-allowed disabled:opacity-50 ${focus}`;

export const btn = {
  primary:
    `${btnBase} bg-indigo-600 text-white shadow-sm hover:bg-indigo-500 dark:bg-indigo-500 dark:hover:bg-indigo-400`,
  secondary:
    `${btnBase} bg-white text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-700 dark:hover:bg-slate-700`,
  danger:
    `${btnBase} bg-red-600 text-white shadow-sm hover:bg-red-500 dark:bg-red-600 dark:hover:bg-red-500`,
  dangerGhost: `${btnBase} text-red-600 hover:bg-red-50 dark:text-red-400 dark:hover:bg-red-500/10`,
  ghost:
    `${btnBase} text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white`,
  icon:
    `inline-flex size-8 items-center justify-center rounded-md text-slate-500 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-400 dark:hover:bg-slate-800 dark:hover:text-white cursor-pointer ${focus}`,
  small: "!px-2 !py-1 !text-xs",
};

export const inputClass =
  "block w-full rounded-md border-0 bg-white px-3 py-1.5 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600 focus:outline-none dark:bg-slate-950 dark:text-slate-100 dark:ring-slate-700 dark:placeholder:text-slate-500 dark:focus:ring-indigo-500 aria-[invalid=true]:ring-red-500 dark:aria-[invalid=true]:ring-red-500";

export const labelClass = "block text-sm font-medium text-slate-700 dark:text-slate-300";
export const cardClass =
  "rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900";
export const linkClass =
  "font-medium text-indigo-600 hover:text-indigo-500 hover:underline dark:text-indigo-400 dark:hover:text-indigo-300";

export function Badge(
  { tone, children, dot = true, title }: {
    tone: Tone;
    children: ComponentChildren;
    dot?: boolean;
    title?: string;
  },
) {
  const t = toneClasses[tone];
  return (
    <span
      class={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset whitespace-nowrap ${t.badge}`}
      title={title}
    >
      {dot && <span class={`size-1.5 rounded-full ${t.dot}`} aria-hidden="true" />}
      {children}
    </span>
  );
}

export function ClusterStatusBadge({ cluster, now }: { cluster: Cluster; now: number }) {
  const s = clusterStatus(cluster, now);
  return (
    <Badge tone={s.tone} title={s.detail}>
      <span data-status={cluster.status}>{s.label}</span>
    </Badge>
  );
}

/** A value from a resource table's status-like column, coloured when it means something. */
export function PhaseText({ value }: { value: string }) {
  const tone = phaseTone(value);
  if (!tone) return <>{value}</>;
  return <Badge tone={tone}>{value}</Badge>;
}

/** Icon + accessible tooltip (hover and keyboard focus) saying how the cluster is connected. */
export function ConnectionIcon({ type, id }: { type: Cluster["connection_type"]; id: string }) {
  const agent = type === "agent";
  const text = agent
    ? "Connected by an in-cluster agent (outbound gRPC)"
    : "Connected with an uploaded kubeconfig";
  const tipId = `conn-tip-${id}`;
  return (
    <span class="group relative inline-flex" data-connection={type}>
      <span
        tabIndex={0}
        aria-describedby={tipId}
        aria-label={agent ? "Agent" : "Kubeconfig"}
        class={`inline-flex size-7 items-center justify-center rounded-md ring-1 ring-inset ${focus} ${
          agent
            ? "bg-violet-50 text-violet-600 ring-violet-200 dark:bg-violet-500/10 dark:text-violet-400 dark:ring-violet-500/30"
            : "bg-sky-50 text-sky-600 ring-sky-200 dark:bg-sky-500/10 dark:text-sky-400 dark:ring-sky-500/30"
        }`}
      >
        <Icon name={agent ? "agent" : "kubeconfig"} />
      </span>
      <span
        role="tooltip"
        id={tipId}
        class="pointer-events-none invisible absolute left-1/2 top-full z-30 mt-1.5 w-max max-w-60 -translate-x-1/2 rounded-md bg-slate-900 px-2 py-1 text-xs font-medium text-white opacity-0 shadow-lg transition-opacity group-hover:visible group-hover:opacity-100 group-focus-within:visible group-focus-within:opacity-100 dark:bg-slate-700"
      >
        {text}
      </span>
    </span>
  );
}

export function TimeAgo(
  { at, now, never = "never" }: { at: string | null | undefined; now: number; never?: string },
) {
  if (!at) return <span class="text-slate-400 dark:text-slate-500">{never}</span>;
  return (
    <time dateTime={at} title={absoluteTime(at)}>
      {timeAgo(at, now, never)}
    </time>
  );
}

export function EmptyState(
  { icon, title, children, action }: {
    icon: IconName;
    title: string;
    children?: ComponentChildren;
    action?: ComponentChildren;
  },
) {
  return (
    <div class="flex flex-col items-center justify-center px-6 py-16 text-center">
      <div class="flex size-12 items-center justify-center rounded-full bg-indigo-50 text-indigo-600 dark:bg-indigo-500/10 dark:text-indigo-400">
        <Icon name={icon} class="size-6" />
      </div>
      <h3 class="mt-4 text-base font-semibold text-slate-900 dark:text-white">{title}</h3>
      {children && (
        <div class="mt-1 max-w-md text-sm text-slate-500 dark:text-slate-400">{children}</div>
      )}
      {action && <div class="mt-6">{action}</div>}
    </div>
  );
}

export function Alert(
  { tone = "red", title, children }: {
    tone?: "red" | "amber" | "blue" | "green";
    title?: string;
    children?: ComponentChildren;
  },
) {
  const cls = {
    red:
      "bg-red-50 text-red-800 ring-red-200 dark:bg-red-500/10 dark:text-red-300 dark:ring-red-500/30",
    amber:
      "bg-amber-50 text-amber-800 ring-amber-200 dark:bg-amber-500/10 dark:text-amber-300 dark:ring-amber-500/30",
    blue:
      "bg-sky-50 text-sky-800 ring-sky-200 dark:bg-sky-500/10 dark:text-sky-300 dark:ring-sky-500/30",
    green:
      "bg-emerald-50 text-emerald-800 ring-emerald-200 dark:bg-emerald-500/10 dark:text-emerald-300 dark:ring-emerald-500/30",
  }[tone];
  const icon: IconName = tone === "green" ? "check" : tone === "blue" ? "info" : "alert";
  return (
    <div
      role={tone === "red" ? "alert" : "status"}
      class={`flex gap-3 rounded-lg p-3 text-sm ring-1 ring-inset ${cls}`}
    >
      <Icon name={icon} class="mt-0.5 size-4" />
      <div class="min-w-0 flex-1">
        {title && <p class="font-semibold">{title}</p>}
        {children && <div class={`break-words ${title ? "mt-0.5" : ""}`}>{children}</div>}
      </div>
    </div>
  );
}

export function KeyValues({ items }: { items: [ComponentChildren, ComponentChildren][] }) {
  return (
    <dl class="divide-y divide-slate-100 dark:divide-slate-800">
      {items.map(([k, v], i) => (
        <div key={i} class="grid grid-cols-3 gap-4 px-4 py-2.5 text-sm">
          <dt class="text-slate-500 dark:text-slate-400">{k}</dt>
          <dd class="col-span-2 min-w-0 break-words text-slate-900 dark:text-slate-100">
            {v ?? "—"}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function Card(
  { title, actions, children, class: cls = "" }: {
    title?: ComponentChildren;
    actions?: ComponentChildren;
    children: ComponentChildren;
    class?: string;
  },
): JSX.Element {
  return (
    <section class={`${cardClass} ${cls}`}>
      {(title || actions) && (
        <header class="flex items-center justify-between gap-3 border-b border-slate-200 px-4 py-3 dark:border-slate-800">
          <h2 class="text-sm font-semibold text-slate-900 dark:text-white">{title}</h2>
          {actions}
        </header>
      )}
      {children}
    </section>
  );
}

export function Chips(
  { items, empty = "none", max = 50 }: { items: string[]; empty?: string; max?: number },
) {
  if (items.length === 0) return <span class="text-slate-400 dark:text-slate-500">{empty}</span>;
  return (
    <div class="flex flex-wrap gap-1.5">
      {items.slice(0, max).map((t) => (
        <span
          key={t}
          class="rounded-md bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700 dark:bg-slate-800 dark:text-slate-300"
        >
          {t}
        </span>
      ))}
      {items.length > max && <span class="text-xs text-slate-500">+{items.length - max} more</span>}
    </div>
  );
}

/** A live view's state: watching, reconnecting, refused (not live), or loading. */
export type LiveStatusState = "initial" | "loading" | "live" | "retrying" | "stopped";

/**
 * The status line of a live view (a dot and "Live", "Reconnecting…", "Not live" or "Loading…"),
 * then what it counts (`children`), announced politely to screen readers.
 */
export function LiveStatus(
  { state, testId, children }: {
    state: LiveStatusState;
    testId: string;
    children: ComponentChildren;
  },
) {
  const dot = state === "live"
    ? "bg-emerald-500"
    : state === "retrying" || state === "stopped"
    ? "bg-amber-500"
    : "bg-slate-400 animate-pulse";
  const label = state === "live"
    ? "Live"
    : state === "retrying"
    ? "Reconnecting…"
    : state === "stopped"
    ? "Not live"
    : "Loading…";
  return (
    <p
      class="flex items-center gap-2 text-xs text-slate-500 dark:text-slate-400"
      aria-live="polite"
      data-testid={testId}
      data-state={state}
    >
      <span class={`size-2 rounded-full ${dot}`} aria-hidden="true" />
      {label}
      <span class="text-slate-300 dark:text-slate-600">·</span>
      {children}
    </p>
  );
}
