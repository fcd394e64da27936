// What a cluster's status means to a person: label, colour and a sentence, derived from the
// stored status, the connection type and (for agents) how fresh the last heartbeat is.
import type { Cluster } from "./types.ts";
import { timeAgo } from "./format.ts";

export type Tone = "green" | "amber" | "red" | "gray" | "blue";

export interface StatusView {
  label: string;
  tone: Tone;
  /** One sentence for tooltips and the detail page. */
  detail: string;
  /** True when the cluster can be browsed right now. */
  usable: boolean;
}

/**
 * An agent marked connected whose last recorded heartbeat is older than this is shown as
 * "No heartbeat". The API reports a connected agent's heartbeat live from the hub's memory, and the
 * hub ends streams silent for 2.5 intervals (AGENT_HEARTBEAT_SECONDS is at most 60 s) itself, so
 * this only catches a dashboard that stopped updating, or a page left open without reloading.
 */
export const HEARTBEAT_STALE_MS = 5 * 60_000;

type StatusInput = Pick<Cluster, "connection_type" | "status" | "last_error"> & {
  last_heartbeat_at?: string | null;
  last_checked_at?: string | null;
};

export function clusterStatus(c: StatusInput, now: number): StatusView {
  const err = c.last_error ? `: ${c.last_error}` : "";
  if (c.connection_type === "agent") {
    switch (c.status) {
      case "connected": {
        const beat = c.last_heartbeat_at ? Date.parse(c.last_heartbeat_at) : NaN;
        if (Number.isFinite(beat) && now - beat > HEARTBEAT_STALE_MS) {
          return {
            label: "No heartbeat",
            tone: "amber",
            detail: `The agent is connected but its last heartbeat was ${timeAgo(beat, now)}.`,
            usable: true,
          };
        }
        return {
          label: "Connected",
          tone: "green",
          detail: "The agent is connected.",
          usable: true,
        };
      }
      case "reconnecting":
        return {
          label: "Reconnecting",
          tone: "amber",
          detail: `The agent lost its connection and is reconnecting${err}.`,
          usable: false,
        };
      case "offline":
        return {
          label: "Offline",
          tone: "red",
          detail: `The agent is not connected${err}.`,
          usable: false,
        };
      case "pending":
        return {
          label: "Waiting for agent",
          tone: "blue",
          detail: "No agent has connected yet; run the install command in the cluster.",
          usable: false,
        };
    }
  } else {
    switch (c.status) {
      case "connected":
        return {
          label: "Reachable",
          tone: "green",
          detail: c.last_checked_at
            ? `Reachable when checked ${timeAgo(c.last_checked_at, now)}.`
            : "Reachable.",
          usable: true,
        };
      case "unreachable":
        return {
          label: "Unreachable",
          tone: "red",
          detail: `The dashboard cannot reach the API server${err}.`,
          usable: false,
        };
      case "pending":
        return {
          label: "Checking",
          tone: "gray",
          detail: "The first check has not finished yet.",
          usable: false,
        };
    }
  }
  return {
    label: c.status || "Unknown",
    tone: "gray",
    detail: `Status: ${c.status || "unknown"}${err}.`,
    usable: false,
  };
}

/** Tailwind classes for a badge of each tone (light and dark). */
export const toneClasses: Record<Tone, { badge: string; dot: string }> = {
  green: {
    badge:
      "bg-emerald-50 text-emerald-700 ring-emerald-600/20 dark:bg-emerald-500/10 dark:text-emerald-400 dark:ring-emerald-500/20",
    dot: "bg-emerald-500",
  },
  amber: {
    badge:
      "bg-amber-50 text-amber-800 ring-amber-600/20 dark:bg-amber-500/10 dark:text-amber-400 dark:ring-amber-500/20",
    dot: "bg-amber-500",
  },
  red: {
    badge:
      "bg-red-50 text-red-700 ring-red-600/20 dark:bg-red-500/10 dark:text-red-400 dark:ring-red-500/20",
    dot: "bg-red-500",
  },
  gray: {
    badge:
      "bg-slate-50 text-slate-600 ring-slate-500/20 dark:bg-slate-500/10 dark:text-slate-400 dark:ring-slate-500/20",
    dot: "bg-slate-400",
  },
  blue: {
    badge:
      "bg-sky-50 text-sky-700 ring-sky-600/20 dark:bg-sky-500/10 dark:text-sky-400 dark:ring-sky-500/20",
    dot: "bg-sky-500",
  },
};

/** The "last seen" line: agent heartbeat or kubeconfig check. */
export function lastSeen(
  c: StatusInput,
  now: number,
): { label: string; value: string; at: string | null } {
  if (c.connection_type === "agent") {
    return {
      label: "Last heartbeat",
      value: timeAgo(c.last_heartbeat_at, now),
      at: c.last_heartbeat_at ?? null,
    };
  }
  return {
    label: "Last checked",
    value: timeAgo(c.last_checked_at, now),
    at: c.last_checked_at ?? null,
  };
}

/** Kubernetes object phases/reasons → tone, for the Status column of resource tables. */
export function phaseTone(value: string): Tone | null {
  const v = value.trim();
  if (
    /^(Running|Active|Bound|Ready|Succeeded|Completed|Available|True|Normal|Established)$/i.test(v)
  ) return "green";
  if (
    /^(Pending|ContainerCreating|PodInitializing|Terminating|Init:.*|Progressing|Released|Unknown|NotReady,?.*|SchedulingDisabled)$/i
      .test(v)
  ) {
    return "amber";
  }
  if (
    /(Error|Failed|CrashLoopBackOff|ImagePullBackOff|ErrImagePull|OOMKilled|Evicted|Lost|NotReady|Warning|False)/i
      .test(v)
  ) return "red";
  return null;
}
