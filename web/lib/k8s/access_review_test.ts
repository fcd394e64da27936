// The SelfSubjectAccessReview builder and reader: the attributes of each page action, the review
// body, reading the cluster's answer, and a denial's words.
import assert from "node:assert/strict";
import {
  accessReview,
  type Action,
  attributesFor,
  attributesKey,
  controlProps,
  denialReason,
  identityOf,
  isWrite,
  listActions,
  objectActions,
  readAccessReview,
  type ResourceAttributes,
  reviewsFor,
  roleOn,
  rowAccess,
  SSAR_PATH,
} from "./access_review.ts";
import type { ResourceRef } from "./paths.ts";

const ALL_VERBS = [
  "create",
  "delete",
  "deletecollection",
  "get",
  "list",
  "patch",
  "update",
  "watch",
];
const pods: ResourceRef = {
  group: "",
  version: "v1",
  resource: "pods",
  kind: "Pod",
  namespaced: true,
  verbs: ALL_VERBS,
};
const configmaps: ResourceRef = { ...pods, resource: "configmaps", kind: "ConfigMap" };
const deployments: ResourceRef = {
  ...pods,
  group: "apps",
  resource: "deployments",
  kind: "Deployment",
};
const nodes: ResourceRef = { ...pods, resource: "nodes", kind: "Node", namespaced: false };
const readOnly: ResourceRef = {
  ...pods,
  group: "metrics.k8s.io",
  version: "v1beta1",
  resource: "podmetrics",
  kind: "PodMetrics",
  verbs: ["get", "list"],
};

Deno.test("objectActions and listActions offer what the resource serves", () => {
  const cases: [string, ResourceRef, Action[], Action[]][] = [
    ["pods", pods, ["update", "delete", "exec", "attach", "log"], ["delete", "create"]],
    ["configmaps", configmaps, ["update", "delete"], ["delete", "create"]],
    [
      "deployments.apps: scale and patch (restart, pause, rollback) too",
      deployments,
      ["update", "delete", "scale", "patch"],
      ["delete", "create"],
    ],
    [
      "statefulsets.apps: scale and patch (restart)",
      { ...deployments, resource: "statefulsets" },
      ["update", "delete", "scale", "patch"],
      ["delete", "create"],
    ],
    [
      "daemonsets.apps: patch (restart) only",
      { ...deployments, resource: "daemonsets" },
      ["update", "delete", "patch"],
      ["delete", "create"],
    ],
    [
      "replicasets.apps: scale only",
      { ...deployments, resource: "replicasets" },
      ["update", "delete", "scale"],
      ["delete", "create"],
    ],
    [
      "deployments.apps that serve no patch: scale only",
      { ...deployments, verbs: ["get", "list", "watch"] },
      ["scale"],
      [],
    ],
    ["read-only resource", readOnly, [], []],
    [
      "pods without update/delete still offer shell and logs",
      { ...pods, verbs: ["get", "list"] },
      ["exec", "attach", "log"],
      [],
    ],
  ];
  for (const [name, r, object, list] of cases) {
    assert.deepEqual(objectActions(r), object, `${name}: object`);
    assert.deepEqual(listActions(r), list, `${name}: list`);
  }
});

Deno.test("attributesFor: verb, group, resource, subresource, namespace and name", () => {
  const cases: [string, ResourceAttributes, ResourceAttributes][] = [
    [
      "update a configmap",
      attributesFor("update", configmaps, "e2e", "cm1"),
      { verb: "update", group: "", resource: "configmaps", namespace: "e2e", name: "cm1" },
    ],
    [
      "delete a deployment",
      attributesFor("delete", deployments, "prod", "web"),
      { verb: "delete", group: "apps", resource: "deployments", namespace: "prod", name: "web" },
    ],
    [
      "exec in a pod",
      attributesFor("exec", pods, "e2e", "hello"),
      {
        verb: "create",
        group: "",
        resource: "pods",
        subresource: "exec",
        namespace: "e2e",
        name: "hello",
      },
    ],
    [
      "attach to a pod",
      attributesFor("attach", pods, "e2e", "hello"),
      {
        verb: "create",
        group: "",
        resource: "pods",
        subresource: "attach",
        namespace: "e2e",
        name: "hello",
      },
    ],
    [
      "a pod's logs",
      attributesFor("log", pods, "e2e", "hello"),
      {
        verb: "get",
        group: "",
        resource: "pods",
        subresource: "log",
        namespace: "e2e",
        name: "hello",
      },
    ],
    [
      "delete a node (cluster-scoped: no namespace even if given)",
      attributesFor("delete", nodes, "ignored", "n1"),
      { verb: "delete", group: "", resource: "nodes", name: "n1" },
    ],
    [
      "a list's delete in a namespace (any object)",
      attributesFor("delete", configmaps, "e2e", null),
      { verb: "delete", group: "", resource: "configmaps", namespace: "e2e" },
    ],
    [
      "a list's delete across all namespaces",
      attributesFor("delete", configmaps, "", null),
      { verb: "delete", group: "", resource: "configmaps" },
    ],
    [
      "scale a deployment: patch on its scale subresource",
      attributesFor("scale", deployments, "prod", "web"),
      {
        verb: "patch",
        group: "apps",
        resource: "deployments",
        subresource: "scale",
        namespace: "prod",
        name: "web",
      },
    ],
    [
      "patch a deployment (restart, pause, rollback)",
      attributesFor("patch", deployments, "prod", "web"),
      { verb: "patch", group: "apps", resource: "deployments", namespace: "prod", name: "web" },
    ],
    [
      "create never names the object",
      attributesFor("create", deployments, "prod", "web"),
      { verb: "create", group: "apps", resource: "deployments", namespace: "prod" },
    ],
  ];
  for (const [name, got, want] of cases) assert.deepEqual(got, want, name);
});

Deno.test("reviewsFor: scale is patch, else update, on <resource>/scale; one review otherwise", () => {
  const scale = {
    group: "apps",
    resource: "statefulsets",
    subresource: "scale",
    namespace: "prod",
    name: "db",
  };
  const cases: [string, ResourceAttributes[], ResourceAttributes[]][] = [
    [
      "scale",
      reviewsFor("scale", { ...deployments, resource: "statefulsets" }, "prod", "db"),
      [{ verb: "patch", ...scale }, { verb: "update", ...scale }],
    ],
    [
      "patch",
      reviewsFor("patch", deployments, "prod", "web"),
      [attributesFor("patch", deployments, "prod", "web")],
    ],
    [
      "delete",
      reviewsFor("delete", configmaps, "e2e", "a"),
      [attributesFor("delete", configmaps, "e2e", "a")],
    ],
  ];
  for (const [name, got, want] of cases) assert.deepEqual(got, want, name);
  assert.equal(isWrite("scale"), true);
  assert.equal(isWrite("patch"), true);
});

Deno.test("accessReview builds an authorization.k8s.io/v1 SelfSubjectAccessReview", () => {
  assert.equal(SSAR_PATH, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
  const attrs = attributesFor("exec", pods, "e2e", "hello");
  const body = accessReview(attrs);
  assert.deepEqual(body, {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    spec: { resourceAttributes: attrs },
  });
  assert.notEqual(body.spec.resourceAttributes, attrs, "a copy");
});

Deno.test("attributesKey tells every attribute apart", () => {
  const base = attributesFor("delete", configmaps, "e2e", "a");
  const variants = [
    base,
    { ...base, verb: "update" },
    { ...base, group: "apps" },
    { ...base, resource: "secrets" },
    { ...base, subresource: "status" },
    { ...base, namespace: "other" },
    { ...base, name: "b" },
    { ...base, namespace: undefined },
    { ...base, name: undefined },
    // No ambiguity from separators inside values.
    { ...base, namespace: "e2e|a", name: undefined },
  ];
  const keys = new Set(variants.map(attributesKey));
  assert.equal(keys.size, variants.length);
  assert.equal(attributesKey({ ...base }), attributesKey(base));
});

Deno.test("readAccessReview reads allowed, denied, reason and evaluationError", () => {
  const ssar = (status: unknown) => ({
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    spec: {},
    status,
  });
  const cases: [string, unknown, ReturnType<typeof readAccessReview>][] = [
    [
      "allowed by RBAC",
      ssar({ allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "x"' }),
      {
        allowed: true,
        denied: false,
        reason: 'RBAC: allowed by ClusterRoleBinding "x"',
        evaluationError: "",
      },
    ],
    [
      "no rule allows it (RBAC says nothing)",
      ssar({ allowed: false }),
      { allowed: false, denied: false, reason: "", evaluationError: "" },
    ],
    [
      "a webhook denies outright",
      ssar({ allowed: false, denied: true, reason: " frozen namespace " }),
      { allowed: false, denied: true, reason: "frozen namespace", evaluationError: "" },
    ],
    [
      "denied wins over allowed",
      ssar({ allowed: true, denied: true }),
      { allowed: false, denied: true, reason: "", evaluationError: "" },
    ],
    [
      "an evaluation error",
      ssar({ allowed: false, evaluationError: "webhook timed out" }),
      { allowed: false, denied: false, reason: "", evaluationError: "webhook timed out" },
    ],
    [
      "non-string reason ignored",
      ssar({ allowed: false, reason: 42 }),
      { allowed: false, denied: false, reason: "", evaluationError: "" },
    ],
  ];
  for (const [name, body, want] of cases) assert.deepEqual(readAccessReview(body), want, name);

  const bad: [string, unknown][] = [
    ["null", null],
    ["text", "forbidden"],
    ["a Status", { kind: "Status", status: "Failure", message: "forbidden" }],
    ["no status", { kind: "SelfSubjectAccessReview" }],
    ["allowed not boolean", ssar({ allowed: "true" })],
  ];
  for (const [name, body] of bad) assert.throws(() => readAccessReview(body), name);
});

Deno.test("denialReason: the cluster's reason, else what RBAC refused and for whom", () => {
  const attrs = attributesFor("delete", configmaps, "e2e", "cm1");
  const exec = attributesFor("exec", pods, "e2e", "p");
  const deploy = attributesFor("update", deployments, "e2e", "web");
  const cases: [string, string, ResourceAttributes, object, string][] = [
    ["the cluster's own reason", "frozen namespace", attrs, {}, "frozen namespace"],
    [
      "impersonating: you",
      "",
      attrs,
      { impersonate: true, connection_type: "agent" },
      "the cluster's RBAC does not allow delete on configmaps for you",
    ],
    [
      "an agent cluster",
      "",
      exec,
      { impersonate: false, connection_type: "agent" },
      "the cluster's RBAC does not allow create on pods/exec for the dashboard's identity on this cluster (the agent's ServiceAccount)",
    ],
    [
      "a kubeconfig cluster",
      "",
      deploy,
      { connection_type: "kubeconfig" },
      "the cluster's RBAC does not allow update on deployments.apps for the dashboard's identity on this cluster (the kubeconfig's user)",
    ],
    [
      "connection unknown",
      "",
      attrs,
      {},
      "the cluster's RBAC does not allow delete on configmaps for the dashboard's identity on this cluster (the agent's ServiceAccount or the kubeconfig's user)",
    ],
  ];
  for (const [name, reason, a, cluster, want] of cases) {
    assert.equal(denialReason({ reason }, a, cluster), want, name);
  }
  assert.equal(identityOf({ impersonate: true }), "you");
});

Deno.test("roleOn, isWrite, controlProps and rowAccess", () => {
  const roles: [object, string, string][] = [
    [{ my_role: "viewer" }, "admin", "viewer"],
    [{ my_role: "editor" }, "viewer", "editor"],
    [{}, "admin", "admin"],
    [{}, "editor", "editor"],
    [{}, "viewer", "viewer"],
    [{}, "none", "viewer"],
  ];
  for (const [cluster, role, want] of roles) {
    assert.equal(roleOn(cluster, { role }), want, `${JSON.stringify(cluster)} ${role}`);
  }
  const writes: [Action, boolean][] = [
    ["update", true],
    ["delete", true],
    ["create", true],
    ["exec", true],
    ["attach", true],
    ["log", false],
  ];
  for (const [a, want] of writes) assert.equal(isWrite(a), want, a);

  assert.deepEqual(controlProps(undefined), { disabled: false });
  assert.deepEqual(controlProps({ allowed: true }), { disabled: false });
  assert.deepEqual(controlProps({ allowed: true, unknown: true, reason: "?" }), {
    disabled: false,
    title: "?",
  });
  assert.deepEqual(controlProps({ allowed: false, reason: "no" }), {
    disabled: true,
    "aria-disabled": "true",
    title: "no",
  });

  const denied = { allowed: false, reason: "no" };
  assert.equal(rowAccess({ all: denied }, "a"), denied);
  const some = { all: { allowed: true, unknown: true }, byNamespace: { a: denied } };
  assert.equal(rowAccess(some, "a"), denied);
  assert.equal(rowAccess(some, "b"), some.all);
});
