// The audit record's verb, path and cluster per request, table-driven: which requests are
// recorded, the API server's verbs for proxy requests (collection vs object deletes, namespaces,
// subresources, upgrades), the REST routes' verbs, and that no query string is ever stored
// except a proxy request's dryRun.
import assert from "node:assert/strict";
import { auditTarget, kubeVerb, MAX_AUDIT_PATH } from "./target.ts";

const C = "0b6c3f7e-1d2a-4c5b-9e8f-7a6b5c4d3e2f";
const K = `/api/clusters/${C}/k8s`;

Deno.test("auditTarget: what is recorded, with which verb, path and cluster", () => {
  // [method, URL path and query, upgrade, expected (null: not recorded)]
  type Want = { verb: string; path: string; cluster?: string } | null;
  const cases: Array<[string, string, boolean, Want]> = [
    // Reads are not recorded.
    ["GET", `${K}/api/v1/namespaces/default/secrets`, false, null],
    ["HEAD", `${K}/api/v1/pods`, false, null],
    ["OPTIONS", "/api/tokens", false, null],
    ["GET", "/api/clusters", false, null],
    ["GET", `/api/clusters/${C}`, false, null],
    // A kubeconfig download hands out a credential.
    ["GET", `/api/clusters/${C}/kubeconfig`, false, {
      verb: "download",
      path: `/api/clusters/${C}/kubeconfig`,
      cluster: C,
    }],
    ["HEAD", `/api/clusters/${C}/kubeconfig`, false, null],
    // The Kubernetes proxy: the API server's verbs.
    ["POST", `${K}/api/v1/namespaces/ns/secrets`, false, {
      verb: "create",
      path: `${K}/api/v1/namespaces/ns/secrets`,
      cluster: C,
    }],
    ["PUT", `${K}/api/v1/namespaces/ns/configmaps/a`, false, {
      verb: "update",
      path: "",
      cluster: C,
    }],
    ["PATCH", `${K}/apis/apps/v1/namespaces/ns/deployments/web`, false, {
      verb: "patch",
      path: "",
      cluster: C,
    }],
    ["PATCH", `${K}/apis/apps/v1/namespaces/ns/deployments/web/scale`, false, {
      verb: "patch",
      path: "",
      cluster: C,
    }],
    ["DELETE", `${K}/api/v1/namespaces/ns/secrets/s1`, false, {
      verb: "delete",
      path: "",
      cluster: C,
    }],
    ["DELETE", `${K}/api/v1/namespaces/ns/secrets`, false, {
      verb: "deletecollection",
      path: "",
      cluster: C,
    }],
    ["DELETE", `${K}/apis/rbac.authorization.k8s.io/v1/clusterroles`, false, {
      verb: "deletecollection",
      path: "",
      cluster: C,
    }],
    ["DELETE", `${K}/apis/rbac.authorization.k8s.io/v1/clusterroles/x`, false, {
      verb: "delete",
      path: "",
      cluster: C,
    }],
    // A namespace is itself an object; its status and finalize are its subresources.
    ["DELETE", `${K}/api/v1/namespaces/ns`, false, { verb: "delete", path: "", cluster: C }],
    ["DELETE", `${K}/api/v1/namespaces`, false, {
      verb: "deletecollection",
      path: "",
      cluster: C,
    }],
    ["PUT", `${K}/api/v1/namespaces/ns/finalize`, false, { verb: "update", path: "", cluster: C }],
    // Streams: an upgrade to exec, attach or portforward is that verb; a SPDY POST is a create.
    ["GET", `${K}/api/v1/namespaces/ns/pods/p/exec?command=sh&command=-c&command=echo%20pw`, true, {
      verb: "exec",
      path: `${K}/api/v1/namespaces/ns/pods/p/exec`,
      cluster: C,
    }],
    ["GET", `${K}/api/v1/namespaces/ns/pods/p/attach?stdin=true`, true, {
      verb: "attach",
      path: "",
      cluster: C,
    }],
    ["GET", `${K}/api/v1/namespaces/ns/pods/p/portforward?ports=80`, true, {
      verb: "portforward",
      path: "",
      cluster: C,
    }],
    ["POST", `${K}/api/v1/namespaces/ns/pods/p/exec?command=ls`, true, {
      verb: "exec",
      path: "",
      cluster: C,
    }],
    ["POST", `${K}/api/v1/namespaces/ns/pods/p/exec?command=ls`, false, {
      verb: "create",
      path: "",
      cluster: C,
    }],
    ["GET", `${K}/api/v1/namespaces/ns/pods?watch=1`, true, {
      verb: "upgrade",
      path: "",
      cluster: C,
    }],
    // Legacy watch prefix and non-resource paths.
    ["DELETE", `${K}/api/v1/watch/namespaces/ns/pods/p`, false, {
      verb: "delete",
      path: "",
      cluster: C,
    }],
    ["POST", `${K}/version`, false, { verb: "post", path: "", cluster: C }],
    ["POST", `${K}/apis/apps/v1`, false, { verb: "post", path: "", cluster: C }],
    // dryRun is the one query kept; other parameters never are.
    ["POST", `${K}/api/v1/namespaces/ns/secrets?dryRun=All&fieldManager=kubectl`, false, {
      verb: "create",
      path: `${K}/api/v1/namespaces/ns/secrets?dryRun=All`,
      cluster: C,
    }],
    ["DELETE", `${K}/api/v1/namespaces/ns/pods/p?gracePeriodSeconds=0&token=abc`, false, {
      verb: "delete",
      path: `${K}/api/v1/namespaces/ns/pods/p`,
      cluster: C,
    }],
    // The dashboard's own REST routes: the method's verb, the path without query.
    ["POST", "/api/tokens", false, { verb: "create", path: "/api/tokens" }],
    ["DELETE", `/api/tokens/${C}`, false, { verb: "delete", path: "" }],
    ["POST", "/api/users?password=x", false, { verb: "create", path: "/api/users" }],
    ["PATCH", `/api/users/${C}`, false, { verb: "patch", path: "" }],
    ["POST", "/api/auth/logout", false, { verb: "logout", path: "" }],
    ["POST", "/api/auth/password", false, { verb: "update", path: "" }],
    ["POST", "/api/clusters", false, { verb: "create", path: "" }],
    ["PATCH", `/api/clusters/${C}`, false, { verb: "patch", path: "", cluster: C }],
    ["DELETE", `/api/clusters/${C.toUpperCase()}`, false, {
      verb: "delete",
      path: `/api/clusters/${C.toUpperCase()}`,
      cluster: C,
    }],
    ["POST", `/api/clusters/${C}/agent/rotate`, false, { verb: "create", path: "", cluster: C }],
    ["GET", "/api/auth/me", true, { verb: "upgrade", path: "" }],
    ["PUT", "/api/no-such", false, { verb: "update", path: "" }],
    // Not a cluster id: no cluster.
    ["DELETE", "/api/clusters/not-a-uuid", false, { verb: "delete", path: "" }],
  ];
  for (const [method, url, upgrade, want] of cases) {
    const u = new URL(url, "https://dash.example");
    const got = auditTarget(method, u.pathname, u.searchParams, upgrade);
    const label = `${method} ${url}${upgrade ? " (upgrade)" : ""}`;
    if (want === null) {
      assert.equal(got, null, label);
      continue;
    }
    assert.deepEqual(got, {
      verb: want.verb,
      path: want.path || u.pathname,
      clusterId: want.cluster ?? null,
    }, label);
  }
});

Deno.test("auditTarget: a very long path is cut", () => {
  const long = `/api/tokens/${"x".repeat(5000)}`;
  const got = auditTarget("DELETE", long, new URLSearchParams(), false)!;
  assert.equal(got.path.length, MAX_AUDIT_PATH);
  assert.ok(got.path.endsWith("…"));
});

Deno.test("kubeVerb: unknown methods and upgrades", () => {
  const cases: Array<[string, string, boolean, string]> = [
    ["POST", "/api/v1/namespaces/ns/pods/p/eviction", false, "create"],
    ["PROPFIND", "/api/v1/pods", false, "propfind"],
    ["GET", "/api/v1/namespaces/ns/pods/p/log", true, "upgrade"],
    ["GET", "/api/v1/namespaces/ns/services/s/proxy", true, "upgrade"],
  ];
  for (const [method, path, upgrade, want] of cases) {
    assert.equal(kubeVerb(method, path, upgrade), want, `${method} ${path}`);
  }
});
