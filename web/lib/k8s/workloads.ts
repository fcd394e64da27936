// Workload actions on the object page (scale, rollout restart, pause/resume, rollback), the pure
// part: which actions a resource offers and when kubectl would refuse one, the patches scale,
// restart and pause send through the person's proxy path, and the workload objects as these
// actions read them. The rollout's progress is rollout_progress.ts, a Deployment's revisions and
// the rollback's patch rollback.ts. The islands (web/islands/*Workload*.tsx,
// RollbackDeployment.tsx) send what these build; nothing here does I/O.

import type { ResourceRef } from "./paths.ts";

/** The workload kinds with actions: apps/v1 deployments, statefulsets, daemonsets, replicasets. */
export type WorkloadResource = "deployments" | "statefulsets" | "daemonsets" | "replicasets";

/** An action on a workload. */
export type WorkloadAction = "scale" | "restart" | "pause" | "rollback";

const ACTIONS: Record<WorkloadResource, readonly WorkloadAction[]> = {
  deployments: ["scale", "restart", "pause", "rollback"],
  statefulsets: ["scale", "restart"],
  daemonsets: ["restart"],
  replicasets: ["scale"],
};

/** The workload a resource is (group apps), or null. */
export function workloadResource(
  r: Pick<ResourceRef, "group" | "resource">,
): WorkloadResource | null {
  return r.group === "apps" && Object.hasOwn(ACTIONS, r.resource)
    ? r.resource as WorkloadResource
    : null;
}

/**
 * The workload actions a resource offers: scale where the scale subresource is one of these kinds,
 * restart, pause and rollback (patches of the object) where the resource serves `patch`.
 */
export function workloadActions(
  r: Pick<ResourceRef, "group" | "resource" | "verbs">,
): WorkloadAction[] {
  const w = workloadResource(r);
  if (!w) return [];
  return ACTIONS[w].filter((a) => a === "scale" || r.verbs.includes("patch"));
}

// ---------------------------------------------------------------------------------------------
// Patches

export const MERGE_PATCH = "application/merge-patch+json";
export const STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
export const JSON_PATCH = "application/json-patch+json";

/** The annotation `kubectl rollout restart` sets on the pod template. */
export const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";
/** A Deployment's (and its ReplicaSets') revision annotation. */
export const REVISION = "deployment.kubernetes.io/revision";
/** The label the Deployment controller adds to each ReplicaSet's template. */
export const POD_TEMPLATE_HASH = "pod-template-hash";

/** A patch to send: its body and content type. */
export interface Patch {
  contentType: string;
  body: unknown;
}

/** The scale subresource's merge patch: `{"spec":{"replicas":n}}` (as `kubectl scale`). */
export function scalePatch(replicas: number): Patch {
  return { contentType: MERGE_PATCH, body: { spec: { replicas } } };
}

/** Go's time.RFC3339 in UTC, as kubectl writes restartedAt: 2026-12-07T11:24:15Z. */
export function rfc3339(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * `kubectl rollout restart`: a strategic merge patch setting the pod template's restartedAt
 * annotation to now, so the controller rolls every pod.
 */
export function restartPatch(at: Date): Patch {
  return {
    contentType: STRATEGIC_MERGE_PATCH,
    body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: rfc3339(at) } } } } },
  };
}

/** `kubectl rollout pause|resume`: `{"spec":{"paused":true|false}}`. */
export function pausePatch(paused: boolean): Patch {
  return { contentType: MERGE_PATCH, body: { spec: { paused } } };
}

/**
 * The replica count typed into the scale dialog: a whole number from 0 up to `max`, else the
 * problem in words.
 */
export function parseReplicas(
  text: string,
  max = 10_000,
): { ok: true; value: number } | { ok: false; error: string } {
  const t = text.trim();
  if (t === "") return { ok: false, error: "enter the number of replicas" };
  if (!/^\d+$/.test(t)) return { ok: false, error: "replicas must be a whole number, 0 or more" };
  const value = Number(t);
  if (value > max) return { ok: false, error: `at most ${max} replicas here` };
  return { ok: true, value };
}

// ---------------------------------------------------------------------------------------------
// The objects, as far as these actions read them

export interface PodTemplate {
  metadata?:
    & { labels?: Record<string, string>; annotations?: Record<string, string> }
    & Record<
      string,
      unknown
    >;
  spec?: {
    containers?: { name: string; image?: string }[];
    initContainers?: { name: string; image?: string }[];
  } & Record<string, unknown>;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface WorkloadObject {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string;
    annotations?: Record<string, string>;
    ownerReferences?: { uid?: string; kind?: string; name?: string; controller?: boolean }[];
  };
  spec?: {
    replicas?: number;
    paused?: boolean;
    selector?: LabelSelector;
    template?: PodTemplate;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** A label selector as the `labelSelector` query parameter (matchLabels and matchExpressions). */
export function selectorQuery(sel: LabelSelector | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {}).sort(([a], [b]) => a < b ? -1 : 1)) {
    parts.push(`${k}=${v}`);
  }
  for (const e of sel?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(",");
    switch (e.operator) {
      case "In":
        parts.push(`${e.key} in (${values})`);
        break;
      case "NotIn":
        parts.push(`${e.key} notin (${values})`);
        break;
      case "Exists":
        parts.push(e.key);
        break;
      case "DoesNotExist":
        parts.push(`!${e.key}`);
        break;
      default:
        throw new Error(`unknown label selector operator ${JSON.stringify(e.operator)}`);
    }
  }
  return parts.join(",");
}

/**
 * Why an action cannot be taken on this object now, whatever the person may do (kubectl's
 * refusals), or null: a paused Deployment is neither restarted nor rolled back.
 */
export function blockedReason(
  kind: WorkloadResource,
  action: WorkloadAction,
  obj: Pick<WorkloadObject, "spec">,
): string | null {
  if (
    kind === "deployments" && obj.spec?.paused && (action === "restart" || action === "rollback")
  ) {
    return `the Deployment is paused: resume it before ${
      action === "restart" ? "restarting" : "rolling back"
    }`;
  }
  return null;
}
