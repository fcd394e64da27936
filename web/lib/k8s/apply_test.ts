// Table-driven tests of Create / apply's pure part (lib/k8s/apply.ts): splitting the typed text into
// documents and checking each, apiVersion, placing an object by its resource (namespace defaulting),
// the apply's path, cleaning for the diff, the preview's and the apply's outcome, and a 409's
// field manager conflicts.
import assert from "node:assert/strict";
import {
  applyDiff,
  applyPath,
  checkObject,
  classifyApply,
  cleanForDiff,
  conflictManagers,
  diffYaml,
  failureTitle,
  fieldConflicts,
  findKind,
  type KubeObject,
  parseApiVersion,
  placeObject,
  previewOutcome,
  splitDocuments,
} from "./apply.ts";
import type { ResourceRef } from "./paths.ts";

const CONFIGMAPS: ResourceRef = {
  group: "",
  version: "v1",
  resource: "configmaps",
  kind: "ConfigMap",
  namespaced: true,
  verbs: ["get", "patch"],
};
const DEPLOYMENTS: ResourceRef = {
  group: "apps",
  version: "v1",
  resource: "deployments",
  kind: "Deployment",
  namespaced: true,
  verbs: ["get", "patch"],
};
const CLUSTERROLES: ResourceRef = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  resource: "clusterroles",
  kind: "ClusterRole",
  namespaced: false,
  verbs: ["get", "patch"],
};

Deno.test("splitDocuments: documents, their lines, and what is wrong with each", () => {
  const cases: {
    name: string;
    text: string;
    want: ({ line: number; kind: string; name: string } | { line: number; error: RegExp })[];
  }[] = [
    { name: "empty", text: "", want: [] },
    { name: "only comments and separators", text: "# nothing\n---\n---\n", want: [] },
    {
      name: "one object",
      text: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
      want: [{ line: 1, kind: "ConfigMap", name: "a" }],
    },
    {
      name: "two objects, an empty document between them is left out",
      text: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# gap\n---\n" +
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
      want: [{ line: 1, kind: "ConfigMap", name: "a" }, {
        line: 7,
        kind: "Deployment",
        name: "web",
      }],
    },
    {
      name: "leading separator",
      text: "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
      want: [{ line: 2, kind: "Namespace", name: "x" }],
    },
    {
      name: "bad YAML names its line; the next document still counts",
      text: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n---\n" +
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
      want: [{ line: 1, error: /^YAML error.*line [34]/ }, {
        line: 5,
        kind: "ConfigMap",
        name: "b",
      }],
    },
    {
      name: "missing fields",
      text: "kind: ConfigMap\ndata: {a: b}\n",
      want: [{ line: 1, error: /^missing apiVersion, metadata\.name \(document at line 1\)$/ }],
    },
    {
      name: "a name that would change the request's path",
      text: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ..}\n---\n" +
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a/b}\n---\n" +
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: .}\n",
      want: [
        { line: 1, error: /^metadata\.name "\.\." cannot be/ },
        { line: 5, error: /^metadata\.name "a\/b" cannot be/ },
        { line: 9, error: /^metadata\.namespace "\." cannot be/ },
      ],
    },
    {
      name: "generateName is not applied",
      text: "apiVersion: v1\nkind: Pod\nmetadata: {generateName: p-}\n",
      want: [{ line: 1, error: /missing metadata\.name \(apply needs a name/ }],
    },
    {
      name: "a scalar",
      text: "hello\n",
      want: [{ line: 1, error: /must be one Kubernetes object/ }],
    },
    {
      name: "a list",
      text: "apiVersion: v1\nkind: List\nitems: []\n",
      want: [{ line: 1, error: /List is not applied/ }],
    },
    {
      name: "a bad apiVersion",
      text: "apiVersion: apps/v1/x\nkind: Deployment\nmetadata: {name: a}\n",
      want: [{ line: 1, error: /apiVersion "apps\/v1\/x"/ }],
    },
  ];
  for (const c of cases) {
    const got = splitDocuments(c.text);
    assert.equal(got.length, c.want.length, `${c.name}: ${JSON.stringify(got)}`);
    got.forEach((d, i) => {
      const w = c.want[i];
      assert.equal(d.index, i + 1, c.name);
      assert.equal(d.line, w.line, `${c.name}: line of #${i + 1}`);
      if ("error" in w) {
        assert.equal(d.ok, false, c.name);
        if (!d.ok) assert.match(d.error, w.error, c.name);
      } else {
        assert.equal(d.ok, true, `${c.name}: ${JSON.stringify(d)}`);
        if (d.ok) {
          assert.equal(d.object.kind, w.kind, c.name);
          assert.equal(d.object.metadata.name, w.name, c.name);
        }
      }
    });
  }
});

Deno.test("checkObject and parseApiVersion", () => {
  assert.equal(checkObject([1, 2]).ok, false);
  assert.equal(checkObject(null).ok, false);
  assert.equal(
    checkObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "" } })
      .ok,
    false,
    "an empty namespace",
  );
  const cases: [string, { group: string; version: string } | null][] = [
    ["v1", { group: "", version: "v1" }],
    ["apps/v1", { group: "apps", version: "v1" }],
    ["example.com/v1beta1", { group: "example.com", version: "v1beta1" }],
    ["", null],
    ["apps", null],
    ["apps/", null],
    ["Apps/v1", null],
    ["apps/v1/x", null],
    ["../v1", null],
  ];
  for (const [v, want] of cases) assert.deepEqual(parseApiVersion(v), want, v);
  assert.equal(findKind([CONFIGMAPS, DEPLOYMENTS], "Deployment"), DEPLOYMENTS);
  assert.equal(findKind([CONFIGMAPS], "deployment"), null, "kinds are case-sensitive");
});

const obj = (o: Partial<KubeObject> & { metadata: KubeObject["metadata"] }): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  ...o,
});

Deno.test("placeObject: namespace defaulting, cluster-scoped objects", () => {
  const cases: {
    name: string;
    object: KubeObject;
    ref: ResourceRef;
    ns: string;
    want: { namespace: string | null; bodyNs?: string } | { error: RegExp };
  }[] = [
    {
      name: "namespaced, none given: the page's",
      object: obj({ metadata: { name: "a" } }),
      ref: CONFIGMAPS,
      ns: "team",
      want: { namespace: "team", bodyNs: "team" },
    },
    {
      name: "namespaced, its own wins",
      object: obj({ metadata: { name: "a", namespace: "mine" } }),
      ref: CONFIGMAPS,
      ns: "team",
      want: { namespace: "mine", bodyNs: "mine" },
    },
    {
      name: "namespaced, no namespace anywhere",
      object: obj({ metadata: { name: "a" } }),
      ref: CONFIGMAPS,
      ns: "",
      want: { error: /ConfigMap is namespaced/ },
    },
    {
      name: "cluster-scoped: a namespace is dropped",
      object: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "r", namespace: "x" },
      },
      ref: CLUSTERROLES,
      ns: "team",
      want: { namespace: null },
    },
  ];
  for (const c of cases) {
    const before = structuredClone(c.object);
    const got = placeObject(c.object, c.ref, c.ns);
    assert.deepEqual(c.object, before, `${c.name}: the typed object is not changed`);
    if ("error" in c.want) {
      assert.equal(got.ok, false, c.name);
      if (!got.ok) assert.match(got.error, c.want.error, c.name);
      continue;
    }
    assert.equal(got.ok, true, c.name);
    if (!got.ok) continue;
    assert.equal(got.placed.namespace, c.want.namespace, c.name);
    assert.equal(got.placed.body.metadata.namespace, c.want.bodyNs, c.name);
    assert.equal(got.placed.ref, c.ref);
  }
});

Deno.test("applyPath: field manager, dry run, force", () => {
  const p = { ref: DEPLOYMENTS, namespace: "team", name: "web" };
  assert.equal(
    applyPath(p),
    "/apis/apps/v1/namespaces/team/deployments/web?fieldManager=kube-dashboard",
  );
  assert.equal(
    applyPath(p, { dryRun: true }),
    "/apis/apps/v1/namespaces/team/deployments/web?fieldManager=kube-dashboard&dryRun=All",
  );
  assert.equal(
    applyPath(p, { force: true }),
    "/apis/apps/v1/namespaces/team/deployments/web?fieldManager=kube-dashboard&force=true",
  );
  assert.equal(
    applyPath({ ref: CLUSTERROLES, namespace: null, name: "a b" }, { dryRun: true, force: true }),
    "/apis/rbac.authorization.k8s.io/v1/clusterroles/a%20b?fieldManager=kube-dashboard&dryRun=All&force=true",
  );
});

const LIVE = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name: "settings",
    namespace: "team",
    uid: "u-1",
    resourceVersion: "100",
    generation: 1,
    creationTimestamp: "2026-01-01T00:00:00Z",
    labels: { app: "web" },
    managedFields: [{ manager: "kubectl", operation: "Update" }],
  },
  data: { color: "blue", size: "1" },
};

Deno.test("cleanForDiff: status and the API server's metadata are left out", () => {
  const cleaned = cleanForDiff({ ...LIVE, status: { phase: "x" } });
  assert.deepEqual(cleaned, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "settings", namespace: "team", labels: { app: "web" } },
    data: { color: "blue", size: "1" },
  });
  assert.equal(LIVE.metadata.uid, "u-1", "the input is not changed");
  assert.deepEqual(cleanForDiff(null), {});
  assert.equal(diffYaml(null), "");
  assert.match(diffYaml(LIVE), /^apiVersion: v1\nkind: ConfigMap\nmetadata:\n/);
});

Deno.test("applyDiff, previewOutcome, classifyApply: what a preview shows, what an apply did", () => {
  const changed = structuredClone(LIVE);
  changed.data.color = "green";
  changed.metadata.resourceVersion = "101";
  changed.metadata.managedFields.push({ manager: "kube-dashboard", operation: "Apply" });
  const sameButOwned = structuredClone(LIVE);
  sameButOwned.metadata.resourceVersion = "101";
  sameButOwned.metadata.managedFields.push({ manager: "kube-dashboard", operation: "Apply" });

  const cases: {
    name: string;
    live: unknown | null;
    result: unknown;
    preview: string;
    apply: string;
    changes: string[];
  }[] = [
    {
      name: "a new object",
      live: null,
      result: LIVE,
      preview: "new",
      apply: "created",
      changes: [], // every line added: checked below
    },
    {
      name: "a changed value",
      live: LIVE,
      result: changed,
      preview: "changed",
      apply: "configured",
      changes: ["-  color: blue", "+  color: green"],
    },
    {
      name: "nothing at all",
      live: LIVE,
      result: structuredClone(LIVE),
      preview: "unchanged",
      apply: "unchanged",
      changes: [],
    },
    {
      name: "only ownership (managedFields) changed: no diff, yet written",
      live: LIVE,
      result: sameButOwned,
      preview: "unchanged",
      apply: "configured",
      changes: [],
    },
  ];
  for (const c of cases) {
    const d = applyDiff(c.live, c.result);
    assert.equal(previewOutcome(c.live, d), c.preview, c.name);
    assert.equal(classifyApply(c.live, c.result), c.apply, c.name);
    const changes = d.lines.filter((l) => l.op !== "equal").map((l) =>
      (l.op === "add" ? "+" : "-") + l.text
    );
    if (c.live === null) {
      assert.equal(d.removed, 0, c.name);
      assert.equal(d.added, diffYaml(c.result).trimEnd().split("\n").length, c.name);
    } else {
      assert.deepEqual(changes, c.changes, c.name);
    }
  }
});

Deno.test("fieldConflicts: a server-side apply's 409, its fields and managers", () => {
  const status = (causes: unknown[], reason = "Conflict") => ({
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    message:
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using v1:\n- .data.color',
    reason,
    details: { name: "settings", kind: "configmaps", causes },
    code: 409,
  });
  const cases: { name: string; body: unknown; want: unknown }[] = [
    {
      name: "two fields, two managers",
      body: status([
        {
          reason: "FieldManagerConflict",
          message: 'conflict with "kubectl-client-side-apply" using v1',
          field: ".data.color",
        },
        {
          reason: "FieldManagerConflict",
          message: 'conflict with "helm" with subresource "scale" using apps/v1',
          field: ".spec.replicas",
        },
      ]),
      want: [
        {
          manager: "kubectl-client-side-apply",
          field: ".data.color",
          message: 'conflict with "kubectl-client-side-apply" using v1',
        },
        {
          manager: "helm",
          field: ".spec.replicas",
          message: 'conflict with "helm" with subresource "scale" using apps/v1',
        },
      ],
    },
    {
      name: "causes in any order come sorted by field",
      body: status([
        { reason: "FieldManagerConflict", message: 'conflict with "b"', field: ".data.size" },
        { reason: "FieldManagerConflict", message: 'conflict with "a"', field: ".data.color" },
      ]),
      want: [
        { manager: "a", field: ".data.color", message: 'conflict with "a"' },
        { manager: "b", field: ".data.size", message: 'conflict with "b"' },
      ],
    },
    {
      name: "a conflict without causes keeps the message",
      body: status([]),
      want: [{
        manager: null,
        field: null,
        message:
          'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using v1:\n- .data.color',
      }],
    },
    {
      name: "as the API server sends it (a StatusCause's type is `reason` in JSON)",
      body: JSON.parse(
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":' +
          '"Apply failed with 1 conflict: conflict with \\"a\\": .data.k","reason":"Conflict",' +
          '"details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with ' +
          '\\"a\\"","field":".data.k"}]},"code":409}',
      ),
      want: [{ manager: "a", field: ".data.k", message: 'conflict with "a"' }],
    },
    {
      name: "a cause of another type is no field conflict",
      body: status([{ type: "FieldManagerConflict", message: 'conflict with "x"', field: ".a" }]),
      want: [{
        manager: null,
        field: null,
        message:
          'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using v1:\n- .data.color',
      }],
    },
    { name: "AlreadyExists is no field conflict", body: status([], "AlreadyExists"), want: null },
    { name: "not a Status", body: "conflict", want: null },
    { name: "nothing", body: null, want: null },
  ];
  for (const c of cases) assert.deepEqual(fieldConflicts(c.body), c.want, c.name);
  assert.deepEqual(
    conflictManagers([
      { manager: "a", field: "x", message: "" },
      { manager: null, field: "y", message: "" },
      { manager: "b", field: "z", message: "" },
      { manager: "a", field: "w", message: "" },
    ]),
    ["a", "b"],
  );
});

Deno.test("failureTitle: by status", () => {
  const cases: [number, string][] = [
    [403, "Not allowed"],
    [404, "Not found"],
    [409, "Conflict"],
    [422, "Kubernetes rejected the object"],
    [400, "Kubernetes rejected the object"],
    [500, "Apply failed"],
    [0, "Apply failed"],
  ];
  for (const [s, want] of cases) assert.equal(failureTitle(s), want, String(s));
});
