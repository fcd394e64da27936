// A Deployment's revisions (its ReplicaSets, newest first, with their images) and the JSON patch
// that rolls it back to one, as `kubectl rollout undo` does: the revision's template without the
// pod-template-hash label, kubectl's annotations, after a test of the resourceVersion. Pure logic
// for web/islands/RollbackDeployment.tsx.
import {
  JSON_PATCH,
  type Patch,
  POD_TEMPLATE_HASH,
  type PodTemplate,
  REVISION,
  type WorkloadObject,
} from "./workloads.ts";

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
        replicas: rs.status?.replicas ?? 0,
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
