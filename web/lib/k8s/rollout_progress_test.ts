// Table-driven tests of a workload's rollout progress per kind, read from its spec and status as
// `kubectl rollout status` reads it.
import assert from "node:assert/strict";
import { type Progress, rolloutProgress } from "./rollout_progress.ts";
import type { WorkloadObject, WorkloadResource } from "./workloads.ts";

const meta = (generation: number) => ({ name: "w", generation });

Deno.test("rolloutProgress: per kind, from spec and status", () => {
  const cases: {
    name: string;
    kind: WorkloadResource;
    obj: WorkloadObject;
    want: Partial<Progress>;
  }[] = [
    {
      name: "deployment: change not seen yet",
      kind: "deployments",
      obj: { metadata: meta(3), spec: { replicas: 3 }, status: { observedGeneration: 2 } },
      want: { settled: false, message: "waiting for the change to be seen" },
    },
    {
      name: "deployment: no status at all",
      kind: "deployments",
      obj: { metadata: meta(1), spec: { replicas: 1 } },
      want: { settled: false, desired: 1, ready: 0 },
    },
    {
      name: "deployment: scaling up, 1 of 3 updated",
      kind: "deployments",
      obj: {
        metadata: meta(2),
        spec: { replicas: 3 },
        status: {
          observedGeneration: 2,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
        },
      },
      want: {
        desired: 3,
        current: 1,
        updated: 1,
        ready: 1,
        available: 1,
        settled: false,
        message: "1 of 3 new replicas are updated",
      },
    },
    {
      name: "deployment: old replicas pending termination",
      kind: "deployments",
      obj: {
        metadata: meta(4),
        spec: { replicas: 2 },
        status: {
          observedGeneration: 4,
          replicas: 3,
          updatedReplicas: 2,
          readyReplicas: 3,
          availableReplicas: 3,
        },
      },
      want: { settled: false, message: "1 old replicas are pending termination" },
    },
    {
      name: "deployment: updated but not available",
      kind: "deployments",
      obj: {
        metadata: meta(4),
        spec: { replicas: 2 },
        status: {
          observedGeneration: 4,
          replicas: 2,
          updatedReplicas: 2,
          readyReplicas: 1,
          availableReplicas: 1,
        },
      },
      want: { settled: false, message: "1 of 2 updated replicas are available" },
    },
    {
      name: "deployment: rolled out",
      kind: "deployments",
      obj: {
        metadata: meta(4),
        spec: { replicas: 3 },
        status: {
          observedGeneration: 4,
          replicas: 3,
          updatedReplicas: 3,
          readyReplicas: 3,
          availableReplicas: 3,
        },
      },
      want: { settled: true, failed: false, message: "rolled out", desired: 3, available: 3 },
    },
    {
      name: "deployment: scaled to 0",
      kind: "deployments",
      obj: { metadata: meta(5), spec: { replicas: 0 }, status: { observedGeneration: 5 } },
      want: { settled: true, desired: 0, message: "rolled out" },
    },
    {
      name: "deployment: paused mid-rollout settles",
      kind: "deployments",
      obj: {
        metadata: meta(6),
        spec: { replicas: 2, paused: true },
        status: { observedGeneration: 6, replicas: 2, updatedReplicas: 0, availableReplicas: 2 },
      },
      want: { settled: true, message: "paused: 0 of 2 new replicas are updated; resume to go on" },
    },
    {
      name: "deployment: progress deadline exceeded",
      kind: "deployments",
      obj: {
        metadata: meta(2),
        spec: { replicas: 2 },
        status: {
          observedGeneration: 2,
          replicas: 3,
          updatedReplicas: 1,
          conditions: [{
            type: "Progressing",
            status: "False",
            reason: "ProgressDeadlineExceeded",
            message: 'ReplicaSet "w-1" has timed out progressing.',
          }],
        },
      },
      want: { settled: true, failed: true, message: 'ReplicaSet "w-1" has timed out progressing.' },
    },
    {
      name: "statefulset: pods still being made",
      kind: "statefulsets",
      obj: {
        metadata: meta(2),
        spec: { replicas: 3 },
        status: { observedGeneration: 2, replicas: 2, readyReplicas: 2 },
      },
      want: { settled: false, message: "2 of 3 pods exist" },
    },
    {
      name: "statefulset: not ready",
      kind: "statefulsets",
      obj: {
        metadata: meta(2),
        spec: { replicas: 3 },
        status: { observedGeneration: 2, replicas: 3, readyReplicas: 1 },
      },
      want: { settled: false, message: "1 of 3 pods are ready" },
    },
    {
      name: "statefulset: rolling update under way",
      kind: "statefulsets",
      obj: {
        metadata: meta(3),
        spec: { replicas: 3 },
        status: {
          observedGeneration: 3,
          replicas: 3,
          readyReplicas: 3,
          updatedReplicas: 1,
          currentRevision: "w-a",
          updateRevision: "w-b",
        },
      },
      want: { settled: false, message: "1 of 3 pods are at the new revision" },
    },
    {
      name: "statefulset: rolled out",
      kind: "statefulsets",
      obj: {
        metadata: meta(3),
        spec: { replicas: 3 },
        status: {
          observedGeneration: 3,
          replicas: 3,
          readyReplicas: 3,
          availableReplicas: 3,
          updatedReplicas: 3,
          currentRevision: "w-b",
          updateRevision: "w-b",
        },
      },
      want: { settled: true, message: "rolled out", updated: 3 },
    },
    {
      name: "statefulset: partitioned",
      kind: "statefulsets",
      obj: {
        metadata: meta(3),
        spec: {
          replicas: 4,
          updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } },
        },
        status: {
          observedGeneration: 3,
          replicas: 4,
          readyReplicas: 4,
          updatedReplicas: 2,
          currentRevision: "a",
          updateRevision: "b",
        },
      },
      want: { settled: true, message: "partitioned rollout complete" },
    },
    {
      name: "statefulset: OnDelete",
      kind: "statefulsets",
      obj: {
        metadata: meta(3),
        spec: { replicas: 1, updateStrategy: { type: "OnDelete" } },
        status: {
          observedGeneration: 3,
          replicas: 1,
          readyReplicas: 1,
          currentRevision: "a",
          updateRevision: "b",
        },
      },
      want: { settled: true, message: "ready (OnDelete: pods update when deleted)" },
    },
    {
      name: "daemonset: updating",
      kind: "daemonsets",
      obj: {
        metadata: meta(2),
        status: {
          observedGeneration: 2,
          desiredNumberScheduled: 3,
          currentNumberScheduled: 3,
          updatedNumberScheduled: 1,
          numberReady: 3,
          numberAvailable: 3,
        },
      },
      want: {
        desired: 3,
        current: 3,
        updated: 1,
        ready: 3,
        settled: false,
        message: "1 of 3 updated pods are scheduled",
      },
    },
    {
      name: "daemonset: not yet available",
      kind: "daemonsets",
      obj: {
        metadata: meta(2),
        status: {
          observedGeneration: 2,
          desiredNumberScheduled: 2,
          updatedNumberScheduled: 2,
          numberAvailable: 1,
        },
      },
      want: { settled: false, message: "1 of 2 updated pods are available" },
    },
    {
      name: "daemonset: rolled out",
      kind: "daemonsets",
      obj: {
        metadata: meta(2),
        status: {
          observedGeneration: 2,
          desiredNumberScheduled: 2,
          updatedNumberScheduled: 2,
          numberAvailable: 2,
        },
      },
      want: { settled: true, message: "rolled out" },
    },
    {
      name: "replicaset: scaling",
      kind: "replicasets",
      obj: {
        metadata: meta(1),
        spec: { replicas: 3 },
        status: { observedGeneration: 1, replicas: 3, readyReplicas: 2, availableReplicas: 2 },
      },
      want: { settled: false, message: "2 of 3 pods are available", updated: 3 },
    },
    {
      name: "replicaset: scaled",
      kind: "replicasets",
      obj: {
        metadata: meta(1),
        spec: { replicas: 1 },
        status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, availableReplicas: 1 },
      },
      want: { settled: true, message: "scaled" },
    },
  ];
  for (const c of cases) {
    const got = rolloutProgress(c.kind, c.obj);
    for (const [k, v] of Object.entries(c.want)) {
      assert.deepEqual(got[k as keyof Progress], v, `${c.name}: ${k}`);
    }
  }
});
