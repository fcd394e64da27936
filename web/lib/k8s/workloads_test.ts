// Table-driven tests of the workload actions' pure part: which actions a resource offers, the
// patches (scale, restart, pause, rollback), the replica input, label selectors, the rollout's
// progress per kind, and a Deployment's revisions.
import assert from "node:assert/strict";
import {
  blockedReason,
  deploymentRevisions,
  JSON_PATCH,
  MERGE_PATCH,
  parseReplicas,
  pausePatch,
  POD_TEMPLATE_HASH,
  previousRevision,
  type Progress,
  RESTARTED_AT,
  restartPatch,
  REVISION,
  rfc3339,
  rollbackPatch,
  rolloutProgress,
  sameTemplate,
  scalePatch,
  selectorQuery,
  STRATEGIC_MERGE_PATCH,
  type WorkloadAction,
  workloadActions,
  type WorkloadObject,
  type WorkloadResource,
} from "./workloads.ts";

const ALL_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];

Deno.test("workloadActions: what each resource offers", () => {
  const cases: { group: string; resource: string; verbs?: string[]; want: WorkloadAction[] }[] = [
    { group: "apps", resource: "deployments", want: ["scale", "restart", "pause", "rollback"] },
    { group: "apps", resource: "statefulsets", want: ["scale", "restart"] },
    { group: "apps", resource: "daemonsets", want: ["restart"] },
    { group: "apps", resource: "replicasets", want: ["scale"] },
    { group: "apps", resource: "controllerrevisions", want: [] },
    { group: "", resource: "pods", want: [] },
    { group: "extensions", resource: "deployments", want: [] },
    { group: "example.com", resource: "deployments", want: [] },
    // Without patch on the resource: only scale (its own subresource) is left.
    {
      group: "apps",
      resource: "deployments",
      verbs: ["get", "list", "watch"],
      want: ["scale"],
    },
    { group: "apps", resource: "daemonsets", verbs: ["get"], want: [] },
  ];
  for (const c of cases) {
    assert.deepEqual(
      workloadActions({ group: c.group, resource: c.resource, verbs: c.verbs ?? ALL_VERBS }),
      c.want,
      `${c.group}/${c.resource} ${c.verbs ?? "all verbs"}`,
    );
  }
});

Deno.test("patches: scale, restart, pause", () => {
  const at = new Date("2026-12-07T11:24:15.123Z");
  const cases: { name: string; got: unknown; want: unknown }[] = [
    {
      name: "scale to 3",
      got: scalePatch(3),
      want: { contentType: MERGE_PATCH, body: { spec: { replicas: 3 } } },
    },
    {
      name: "scale to 0",
      got: scalePatch(0),
      want: { contentType: MERGE_PATCH, body: { spec: { replicas: 0 } } },
    },
    {
      name: "restart",
      got: restartPatch(at),
      want: {
        contentType: STRATEGIC_MERGE_PATCH,
        body: {
          spec: {
            template: { metadata: { annotations: { [RESTARTED_AT]: "2026-12-07T11:24:15Z" } } },
          },
        },
      },
    },
    {
      name: "pause",
      got: pausePatch(true),
      want: { contentType: MERGE_PATCH, body: { spec: { paused: true } } },
    },
    {
      name: "resume",
      got: pausePatch(false),
      want: { contentType: MERGE_PATCH, body: { spec: { paused: false } } },
    },
  ];
  for (const c of cases) assert.deepEqual(c.got, c.want, c.name);
  assert.equal(rfc3339(new Date("2026-01-02T03:04:05.000Z")), "2026-01-02T03:04:05Z");
});

Deno.test("parseReplicas", () => {
  const cases: [string, number | string][] = [
    ["3", 3],
    [" 0 ", 0],
    ["10000", 10000],
    ["007", 7],
    ["", "enter the number of replicas"],
    ["  ", "enter the number of replicas"],
    ["-1", "replicas must be a whole number, 0 or more"],
    ["1.5", "replicas must be a whole number, 0 or more"],
    ["1e3", "replicas must be a whole number, 0 or more"],
    ["three", "replicas must be a whole number, 0 or more"],
    ["10001", "at most 10000 replicas here"],
  ];
  for (const [text, want] of cases) {
    const got = parseReplicas(text);
    if (typeof want === "number") assert.deepEqual(got, { ok: true, value: want }, text);
    else assert.deepEqual(got, { ok: false, error: want }, text);
  }
});

Deno.test("selectorQuery", () => {
  const cases: [Parameters<typeof selectorQuery>[0], string][] = [
    [undefined, ""],
    [{}, ""],
    [{ matchLabels: { b: "2", a: "1" } }, "a=1,b=2"],
    [
      {
        matchLabels: { app: "web" },
        matchExpressions: [
          { key: "tier", operator: "In", values: ["front", "back"] },
          { key: "env", operator: "NotIn", values: ["dev"] },
          { key: "canary", operator: "Exists" },
          { key: "legacy", operator: "DoesNotExist" },
        ],
      },
      "app=web,tier in (back,front),env notin (dev),canary,!legacy",
    ],
  ];
  for (const [sel, want] of cases) assert.equal(selectorQuery(sel), want, JSON.stringify(sel));
  assert.throws(
    () => selectorQuery({ matchExpressions: [{ key: "x", operator: "Gt" }] }),
    /unknown label selector operator "Gt"/,
  );
});

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

// A Deployment with three revisions: 1 (image app:1), 2 (app:1 restarted), 3 (app:2, current).
const DEPLOY_UID = "d-uid";
const template = (image: string, hash?: string, restartedAt?: string) => ({
  metadata: {
    labels: { app: "web", ...(hash ? { [POD_TEMPLATE_HASH]: hash } : {}) },
    ...(restartedAt ? { annotations: { [RESTARTED_AT]: restartedAt } } : {}),
  },
  spec: { containers: [{ name: "main", image }] },
});
const deployment = (
  image: string,
  extra: Partial<WorkloadObject["spec"]> = {},
): WorkloadObject => ({
  metadata: {
    name: "web",
    uid: DEPLOY_UID,
    resourceVersion: "42",
    annotations: {
      [REVISION]: "3",
      "kubectl.kubernetes.io/last-applied-configuration": "{}",
      "kubernetes.io/change-cause": "image app:2",
    },
  },
  spec: { replicas: 2, template: template(image), ...extra },
});
const rs = (
  name: string,
  revision: string | undefined,
  tmpl: ReturnType<typeof template>,
  opts: { owner?: string; controller?: boolean; replicas?: number; created?: string } = {},
): WorkloadObject => ({
  metadata: {
    name,
    creationTimestamp: opts.created ?? "2026-12-07T10:00:00Z",
    annotations: {
      ...(revision ? { [REVISION]: revision } : {}),
      "deployment.kubernetes.io/desired-replicas": "2",
      "kubernetes.io/change-cause": `revision ${revision}`,
    },
    ownerReferences: [{
      uid: opts.owner ?? DEPLOY_UID,
      kind: "Deployment",
      name: "web",
      controller: opts.controller ?? true,
    }],
  },
  spec: { replicas: opts.replicas ?? 0, template: tmpl },
  status: { replicas: opts.replicas ?? 0 },
});
const rs1 = rs("web-aaa", "1", template("app:1", "aaa"), { created: "2026-12-07T09:00:00Z" });
const rs2 = rs("web-bbb", "2", template("app:1", "bbb", "2026-12-07T10:00:00Z"));
const rs3 = rs("web-ccc", "3", template("app:2", "ccc"), { replicas: 2 });

Deno.test("deploymentRevisions and previousRevision", () => {
  const others = [
    rs("other-owner", "7", template("x:1"), { owner: "someone-else" }),
    rs("not-controller", "8", template("x:1"), { controller: false }),
    rs("no-revision", undefined, template("x:1")),
    rs("bad-revision", "seven", template("x:1")),
  ];
  const cases: {
    name: string;
    deployment: WorkloadObject;
    sets: WorkloadObject[];
    want: { revision: number; name: string; images: string[]; current: boolean }[];
    previous: number | null;
  }[] = [
    {
      name: "three revisions, newest current",
      deployment: deployment("app:2"),
      sets: [rs1, rs3, rs2, ...others],
      want: [
        { revision: 3, name: "web-ccc", images: ["app:2"], current: true },
        { revision: 2, name: "web-bbb", images: ["app:1"], current: false },
        { revision: 1, name: "web-aaa", images: ["app:1"], current: false },
      ],
      previous: 2,
    },
    {
      name: "after a rollback to 1 the current one is 1 (renumbered 4 by the controller later)",
      deployment: deployment("app:1"),
      sets: [rs1, rs2, rs3],
      want: [
        { revision: 3, name: "web-ccc", images: ["app:2"], current: false },
        { revision: 2, name: "web-bbb", images: ["app:1"], current: false },
        { revision: 1, name: "web-aaa", images: ["app:1"], current: true },
      ],
      previous: 3,
    },
    {
      name: "one revision: nothing to roll back to",
      deployment: deployment("app:2"),
      sets: [rs3],
      want: [{ revision: 3, name: "web-ccc", images: ["app:2"], current: true }],
      previous: null,
    },
    { name: "none", deployment: deployment("app:2"), sets: others, want: [], previous: null },
  ];
  for (const c of cases) {
    const got = deploymentRevisions(c.deployment, c.sets);
    assert.deepEqual(
      got.map(({ revision, name, images, current }) => ({ revision, name, images, current })),
      c.want,
      c.name,
    );
    assert.equal(previousRevision(got)?.revision ?? null, c.previous, `${c.name}: previous`);
  }
  const [r3] = deploymentRevisions(deployment("app:2"), [rs3]);
  assert.equal(r3.replicas, 2);
  assert.equal(r3.created, "2026-12-07T10:00:00Z");
  assert.equal(r3.changeCause, "revision 3");
});

Deno.test("sameTemplate ignores the pod-template-hash label only", () => {
  const cases: [unknown, unknown, boolean][] = [
    [template("a"), template("a", "h1"), true],
    [template("a", "h1"), template("a", "h2"), true],
    [template("a"), template("b"), false],
    [template("a"), template("a", undefined, "now"), false],
    [{ metadata: { labels: { [POD_TEMPLATE_HASH]: "x" } } }, { metadata: {} }, true],
    [{ spec: { containers: [{ name: "m", image: "a" }] } }, {
      spec: { containers: [{ image: "a", name: "m" }] },
    }, true],
    [undefined, {}, true],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(
      sameTemplate(a as never, b as never),
      want,
      `${JSON.stringify(a)} ~ ${JSON.stringify(b)}`,
    );
  }
});

Deno.test("rollbackPatch: kubectl rollout undo's patch, and its refusals", () => {
  const patch = rollbackPatch(deployment("app:2"), rs1);
  assert.equal(patch.contentType, JSON_PATCH);
  assert.deepEqual(patch.body, [
    { op: "test", path: "/metadata/resourceVersion", value: "42" },
    {
      op: "replace",
      path: "/spec/template",
      // The ReplicaSet's template minus its pod-template-hash label.
      value: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "main", image: "app:1" }] },
      },
    },
    {
      op: "add",
      path: "/metadata/annotations",
      // The Deployment's own skipped annotations kept, the revision's copied (not its desired-
      // replicas or revision).
      value: {
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
        [REVISION]: "3",
        "kubernetes.io/change-cause": "revision 1",
      },
    },
  ]);
  // The source ReplicaSet is not modified.
  assert.equal(rs1.spec?.template?.metadata?.labels?.[POD_TEMPLATE_HASH], "aaa");
  // Without a resourceVersion, no test.
  const d = deployment("app:2");
  delete d.metadata.resourceVersion;
  assert.equal((rollbackPatch(d, rs2).body as { op: string }[])[0].op, "replace");

  const refusals: [string, WorkloadObject, WorkloadObject, RegExp][] = [
    ["paused", deployment("app:2", { paused: true }), rs1, /paused Deployment: resume it first/],
    ["already current", deployment("app:2"), rs3, /already matches revision 3/],
    [
      "not its ReplicaSet",
      deployment("app:2"),
      rs("stranger", "1", template("x:1"), { owner: "other" }),
      /does not belong to this Deployment/,
    ],
  ];
  for (const [name, dep, set, err] of refusals) {
    assert.throws(() => rollbackPatch(dep, set), err, name);
  }
});

Deno.test("blockedReason: a paused Deployment is not restarted or rolled back", () => {
  const paused = { spec: { paused: true } };
  const running = { spec: { paused: false } };
  const cases: [WorkloadResource, WorkloadAction, typeof paused, string | null][] = [
    ["deployments", "restart", paused, "the Deployment is paused: resume it before restarting"],
    ["deployments", "rollback", paused, "the Deployment is paused: resume it before rolling back"],
    ["deployments", "scale", paused, null],
    ["deployments", "pause", paused, null],
    ["deployments", "restart", running, null],
    ["statefulsets", "restart", paused, null],
  ];
  for (const [kind, action, obj, want] of cases) {
    assert.equal(blockedReason(kind, action, obj), want, `${kind} ${action}`);
  }
});
