// Table-driven tests of a Deployment's revisions and the rollback patch (`kubectl rollout undo`).
import assert from "node:assert/strict";
import { deploymentRevisions, previousRevision, rollbackPatch, sameTemplate } from "./rollback.ts";
import {
  JSON_PATCH,
  POD_TEMPLATE_HASH,
  RESTARTED_AT,
  REVISION,
  type WorkloadObject,
} from "./workloads.ts";

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
