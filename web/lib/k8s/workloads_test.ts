// Table-driven tests of the workload actions' pure part: which actions a resource offers and when
// one is refused, the patches (scale, restart, pause), the replica input and label selectors.
// rollout_progress_test.ts and rollback_test.ts test the other two parts.
import assert from "node:assert/strict";
import {
  blockedReason,
  MERGE_PATCH,
  parseReplicas,
  pausePatch,
  RESTARTED_AT,
  restartPatch,
  rfc3339,
  scalePatch,
  selectorQuery,
  STRATEGIC_MERGE_PATCH,
  type WorkloadAction,
  workloadActions,
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
