// Workload actions on the object page (scale, rollout restart, pause/resume, rollback), the pure
// part: which actions a resource offers, the patches they send through the person's proxy path,
// the rollout's progress read from an object's status (after `kubectl rollout status`), and a
// Deployment's revisions from its ReplicaSets with the template a rollback restores (after
// `kubectl rollout undo`). The islands (web/islands/*Workload*.tsx, RollbackDeployment.tsx) send
// what this builds; nothing here does I/O.

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

// ---------------------------------------------------------------------------------------------
// Progress (kubectl rollout status)

/** The replica counts the progress line shows. */
export interface Progress {
  desired: number;
  /** Pods there are (old and new). */
  current: number;
  updated: number;
  ready: number;
  available: number;
  /** Nothing more will happen: rolled out, or paused. */
  settled: boolean;
  /** The rollout failed (a Deployment past its progress deadline). */
  failed: boolean;
  /** What it is waiting for, or that it is done, in words. */
  message: string;
}

const n = (v: number | undefined) => v ?? 0;

/** The progress of a rollout or scale of a workload, from the object's spec and status. */
export function rolloutProgress(kind: WorkloadResource, obj: WorkloadObject): Progress {
  const s = obj.status ?? {};
  const observed = (obj.metadata.generation ?? 0) <= n(s.observedGeneration) &&
    s.observedGeneration !== undefined;
  if (kind === "daemonsets") {
    const desired = n(s.desiredNumberScheduled);
    const base = {
      desired,
      current: n(s.currentNumberScheduled),
      updated: n(s.updatedNumberScheduled),
      ready: n(s.numberReady),
      available: n(s.numberAvailable),
      failed: false,
    };
    if (!observed) return { ...base, settled: false, message: "waiting for the change to be seen" };
    if (base.updated < desired) {
      return {
        ...base,
        settled: false,
        message: `${base.updated} of ${desired} updated pods are scheduled`,
      };
    }
    if (base.available < desired) {
      return {
        ...base,
        settled: false,
        message: `${base.available} of ${desired} updated pods are available`,
      };
    }
    return { ...base, settled: true, message: "rolled out" };
  }
  const desired = obj.spec?.replicas ?? 1;
  const base = {
    desired,
    current: n(s.replicas),
    updated: kind === "replicasets" ? n(s.replicas) : n(s.updatedReplicas),
    ready: n(s.readyReplicas),
    available: n(s.availableReplicas),
    failed: false,
  };
  if (!observed) return { ...base, settled: false, message: "waiting for the change to be seen" };
  if (kind === "deployments") {
    const stuck = s.conditions?.find((c) =>
      c.type === "Progressing" && c.reason === "ProgressDeadlineExceeded"
    );
    if (stuck) {
      return {
        ...base,
        settled: true,
        failed: true,
        message: stuck.message || "the rollout exceeded its progress deadline",
      };
    }
    const waiting = base.updated < desired
      ? `${base.updated} of ${desired} new replicas are updated`
      : base.current > base.updated
      ? `${base.current - base.updated} old replicas are pending termination`
      : base.available < base.updated
      ? `${base.available} of ${base.updated} updated replicas are available`
      : null;
    if (waiting && obj.spec?.paused) {
      return { ...base, settled: true, message: `paused: ${waiting}; resume to go on` };
    }
    if (waiting) return { ...base, settled: false, message: waiting };
    return { ...base, settled: true, message: "rolled out" };
  }
  if (kind === "statefulsets") {
    if (base.current !== desired) {
      return {
        ...base,
        settled: false,
        message: `${base.current} of ${desired} pods exist`,
      };
    }
    if (base.ready < desired) {
      return { ...base, settled: false, message: `${base.ready} of ${desired} pods are ready` };
    }
    const strategy = obj.spec?.updateStrategy;
    const partition = strategy?.type === "RollingUpdate" || !strategy?.type
      ? n(strategy?.rollingUpdate?.partition)
      : 0;
    if (strategy?.type === "OnDelete") {
      return { ...base, settled: true, message: "ready (OnDelete: pods update when deleted)" };
    }
    if (partition > 0) {
      const want = Math.max(desired - partition, 0);
      if (base.updated < want) {
        return {
          ...base,
          settled: false,
          message: `${base.updated} of ${want} pods above the partition are updated`,
        };
      }
      return { ...base, settled: true, message: "partitioned rollout complete" };
    }
    if (s.updateRevision && s.currentRevision !== s.updateRevision) {
      return {
        ...base,
        settled: false,
        message: `${base.updated} of ${desired} pods are at the new revision`,
      };
    }
    return { ...base, settled: true, message: "rolled out" };
  }
  // replicasets
  if (base.current !== desired) {
    return { ...base, settled: false, message: `${base.current} of ${desired} pods exist` };
  }
  if (base.available < desired) {
    return {
      ...base,
      settled: false,
      message: `${base.available} of ${desired} pods are available`,
    };
  }
  return { ...base, settled: true, message: "scaled" };
}

// ---------------------------------------------------------------------------------------------
// Rollback (kubectl rollout undo)

/** One revision of a Deployment: one of its ReplicaSets. */
export interface Revision {
  revision: number;
  /** The ReplicaSet's name. */
  name: string;
  /** The images of its pod template's containers (init containers first). */
  images: string[];
  created?: string;
  /** Pods it has now. */
  replicas: number;
  /** Its template is the Deployment's now. */
  current: boolean;
  /** Its kubernetes.io/change-cause, if any. */
  changeCause?: string;
}

/** The Deployment's revision number of a ReplicaSet (0: none or not a number). */
export function revisionOf(obj: { metadata: { annotations?: Record<string, string> } }): number {
  const v = obj.metadata.annotations?.[REVISION];
  return v && /^\d+$/.test(v) ? Number(v) : 0;
}

/** Whether a ReplicaSet is controlled by the Deployment (its controller ownerReference). */
export function ownedBy(rs: WorkloadObject, deployment: WorkloadObject): boolean {
  const uid = deployment.metadata.uid;
  return !!uid && (rs.metadata.ownerReferences ?? []).some((o) => o.controller && o.uid === uid);
}

/** A template without the pod-template-hash label (an empty labels map stays a map). */
export function withoutHash(t: PodTemplate | undefined): PodTemplate {
  const copy = structuredClone(t ?? {}) as PodTemplate;
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH];
  return copy;
}

/** Deep equality of JSON values, object key order ignored. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length &&
    ak.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

/** Two templates are the same apart from the pod-template-hash label (kubectl's equalIgnoreHash). */
export function sameTemplate(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  const norm = (t: PodTemplate | undefined) => {
    const c = withoutHash(t);
    if (c.metadata?.labels && Object.keys(c.metadata.labels).length === 0) {
      delete c.metadata.labels;
    }
    return c;
  };
  return jsonEqual(norm(a), norm(b));
}

function imagesOf(t: PodTemplate | undefined): string[] {
  return [...(t?.spec?.initContainers ?? []), ...(t?.spec?.containers ?? [])]
    .map((c) => c.image ?? "");
}

/**
 * The Deployment's revisions, newest first: its ReplicaSets (controlled by it) that carry a
 * revision, each with its images, age and whether it is the Deployment's template now.
 */
export function deploymentRevisions(
  deployment: WorkloadObject,
  replicaSets: readonly WorkloadObject[],
): Revision[] {
  return replicaSets
    .filter((rs) => ownedBy(rs, deployment) && revisionOf(rs) > 0)
    .map((rs): Revision => {
      const cause = rs.metadata.annotations?.["kubernetes.io/change-cause"];
      return {
        revision: revisionOf(rs),
        name: rs.metadata.name,
        images: imagesOf(rs.spec?.template),
        ...(rs.metadata.creationTimestamp ? { created: rs.metadata.creationTimestamp } : {}),
        replicas: n(rs.status?.replicas),
        current: sameTemplate(rs.spec?.template, deployment.spec?.template),
        ...(cause ? { changeCause: cause } : {}),
      };
    })
    .sort((a, b) => b.revision - a.revision);
}

/**
 * The revision a rollback goes to by default (`kubectl rollout undo` without --to-revision): the
 * newest one that is not the current template; null when there is none.
 */
export function previousRevision(revisions: readonly Revision[]): Revision | null {
  return revisions.find((r) => !r.current) ?? null;
}

/** Deployment annotations a rollback keeps from the Deployment, never copies from the ReplicaSet. */
export const ROLLBACK_SKIPPED_ANNOTATIONS: readonly string[] = [
  "kubectl.kubernetes.io/last-applied-configuration",
  REVISION,
  "deployment.kubernetes.io/revision-history",
  "deployment.kubernetes.io/desired-replicas",
  "deployment.kubernetes.io/max-replicas",
  "deprecated.deployment.rollback.to",
];

/**
 * The JSON patch of `kubectl rollout undo` to the ReplicaSet `rs`: the Deployment's spec.template
 * becomes the ReplicaSet's minus the pod-template-hash label, and its annotations those of the
 * ReplicaSet (the revision's, e.g. change-cause) plus the Deployment's own skipped ones. A `test`
 * of the Deployment's resourceVersion first: a Deployment changed since it was read is a 409
 * Conflict, not a rollback from a stale view. Throws when a rollback cannot be made (paused, or
 * the template is already that revision's), in kubectl's words.
 */
export function rollbackPatch(deployment: WorkloadObject, rs: WorkloadObject): Patch {
  if (deployment.spec?.paused) {
    throw new Error("you cannot roll back a paused Deployment: resume it first");
  }
  if (!ownedBy(rs, deployment)) {
    throw new Error(`ReplicaSet ${rs.metadata.name} does not belong to this Deployment`);
  }
  if (sameTemplate(rs.spec?.template, deployment.spec?.template)) {
    throw new Error(
      `the Deployment's template already matches revision ${revisionOf(rs)}: nothing to roll back`,
    );
  }
  const annotations: Record<string, string> = {};
  for (const k of ROLLBACK_SKIPPED_ANNOTATIONS) {
    const v = deployment.metadata.annotations?.[k];
    if (v !== undefined) annotations[k] = v;
  }
  for (const [k, v] of Object.entries(rs.metadata.annotations ?? {})) {
    if (!ROLLBACK_SKIPPED_ANNOTATIONS.includes(k)) annotations[k] = v;
  }
  const ops: unknown[] = [];
  if (deployment.metadata.resourceVersion) {
    ops.push({
      op: "test",
      path: "/metadata/resourceVersion",
      value: deployment.metadata.resourceVersion,
    });
  }
  ops.push(
    { op: "replace", path: "/spec/template", value: withoutHash(rs.spec?.template) },
    // "add" replaces the member when it is there and creates it when not.
    { op: "add", path: "/metadata/annotations", value: annotations },
  );
  return { contentType: JSON_PATCH, body: ops };
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
