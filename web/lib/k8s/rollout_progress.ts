// A workload's rollout or scale progress read from its spec and status, as `kubectl rollout
// status` reads it (observed generation, updated, old replicas terminating, available; a
// StatefulSet's revisions and partition; a Deployment past its progress deadline has failed; a
// paused one settles). Pure logic for components/workload_action.tsx and the object page.
import type { WorkloadObject, WorkloadResource } from "./workloads.ts";

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
