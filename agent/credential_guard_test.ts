// Unit tests of the credential Secret's guard (./credential_guard.ts): which tunnelled requests
// are refused because they name the agent's own credential Secret, which Secret lists, watches
// and deletecollections are narrowed with a field selector, and which pass untouched. The real
// API server's side of it (it honours the selector, the encodings decode as assumed) is checked
// end to end in backend/cluster/agent_credential_e2e_test.ts.
import assert from "node:assert/strict";
import { admitTunnelled, guardCredentialSecret, type ProtectedSecret } from "./credential_guard.ts";
import { fileCredentialStore, secretCredentialStore } from "./credentials.ts";
import type { KubeAccess } from "./kube.ts";
import { type ExchangeWork, workTarget } from "./tunnel.ts";

const SECRET: ProtectedSecret = {
  namespace: "dashboard-agent",
  name: "dashboard-agent-credential",
};
const NS = `/api/v1/namespaces/${SECRET.namespace}`;
const OBJ = `${NS}/secrets/${SECRET.name}`;
const NOT_IT = `metadata.name!=${SECRET.name}`;

Deno.test("guardCredentialSecret refuses every request naming the credential Secret", () => {
  const cases: Array<[method: string, path: string]> = [
    ["GET", OBJ],
    ["HEAD", OBJ],
    ["PUT", OBJ],
    ["PATCH", OBJ],
    ["DELETE", OBJ],
    ["POST", OBJ],
    ["GET", `${OBJ}?watch=true`],
    ["GET", `${OBJ}?fieldSelector=metadata.name%3Dother`],
    ["GET", `${OBJ}/`],
    ["GET", `${OBJ}//`],
    ["PUT", `${OBJ}/status`],
    ["GET", `${OBJ}/anything/else`],
    ["GET", `/api/v1//namespaces//${SECRET.namespace}//secrets//${SECRET.name}`],
    ["GET", `/api/v1/watch/namespaces/${SECRET.namespace}/secrets/${SECRET.name}`],
    ["GET", `/api/v1/watch/namespaces/${SECRET.namespace}/secrets/${SECRET.name}?timeoutSeconds=5`],
    ["GET", `/api/v2/namespaces/${SECRET.namespace}/secrets/${SECRET.name}`],
    // Percent-encoding: the API server decodes each segment once.
    ["GET", `${NS}/secrets/dashboard-agent-credentia%6C`],
    ["GET", `${NS}/secrets/%64%61%73%68%62%6f%61%72%64-agent-credential`],
    ["GET", `/api/v1/namespaces/d%61shboard-agent/secrets/${SECRET.name}`],
    ["GET", `${NS}/%73ecrets/${SECRET.name}`],
    ["GET", `/%61pi/v1/namespaces/${SECRET.namespace}/secrets/${SECRET.name}`],
    ["DELETE", `/api/v1/n%61mespaces/${SECRET.namespace}/secrets/${SECRET.name}`],
    ["GET", `/api/v1/%77atch/namespaces/${SECRET.namespace}/secrets/${SECRET.name}`],
  ];
  for (const [method, path] of cases) {
    const got = guardCredentialSecret(method, path, SECRET);
    assert.ok("refused" in got, `${method} ${path} must be refused, got ${JSON.stringify(got)}`);
    assert.match(got.refused, /holds this agent's credential/, `${method} ${path}`);
    assert.match(got.refused, new RegExp(`${SECRET.namespace}/${SECRET.name}`));
  }
});

Deno.test("guardCredentialSecret narrows Secret collections that could include it", () => {
  const cases: Array<{
    method: string;
    path: string;
    /** The path part expected, unchanged. */
    base: string;
    fieldSelector: string;
    /** Other parameters that must survive. */
    keep?: Record<string, string>;
  }> = [
    { method: "GET", path: `${NS}/secrets`, base: `${NS}/secrets`, fieldSelector: NOT_IT },
    { method: "HEAD", path: `${NS}/secrets`, base: `${NS}/secrets`, fieldSelector: NOT_IT },
    { method: "GET", path: `${NS}/secrets/`, base: `${NS}/secrets/`, fieldSelector: NOT_IT },
    { method: "GET", path: `${NS}/%73ecrets`, base: `${NS}/%73ecrets`, fieldSelector: NOT_IT },
    {
      method: "GET",
      path: `${NS}/secrets?fieldSelector=metadata.name%3D${SECRET.name}`,
      base: `${NS}/secrets`,
      fieldSelector: `${NOT_IT},metadata.name=${SECRET.name}`,
    },
    {
      // A client's term ending in "\" must not escape the comma before ours: ours goes first.
      method: "GET",
      path: `${NS}/secrets?fieldSelector=type%3Dx%5C`,
      base: `${NS}/secrets`,
      fieldSelector: `${NOT_IT},type=x\\`,
    },
    {
      // The key percent-encoded is the same key to the API server (and to URLSearchParams).
      method: "GET",
      path: `${NS}/secrets?field%53elector=type%3DOpaque&limit=500&labelSelector=a%2Fb%3Dc`,
      base: `${NS}/secrets`,
      fieldSelector: `${NOT_IT},type=Opaque`,
      keep: { limit: "500", labelSelector: "a/b=c" },
    },
    {
      method: "GET",
      path: `${NS}/secrets?fieldSelector=&allowWatchBookmarks=true`,
      base: `${NS}/secrets`,
      fieldSelector: NOT_IT,
      keep: { allowWatchBookmarks: "true" },
    },
    {
      method: "DELETE", // deletecollection
      path: `${NS}/secrets?fieldSelector=metadata.name%3D${SECRET.name}`,
      base: `${NS}/secrets`,
      fieldSelector: `${NOT_IT},metadata.name=${SECRET.name}`,
    },
    { method: "DELETE", path: `${NS}/secrets`, base: `${NS}/secrets`, fieldSelector: NOT_IT },
    {
      method: "GET",
      path: `/api/v1/watch/namespaces/${SECRET.namespace}/secrets?timeoutSeconds=3`,
      base: `/api/v1/watch/namespaces/${SECRET.namespace}/secrets`,
      fieldSelector: NOT_IT,
      keep: { timeoutSeconds: "3" },
    },
    // Every namespace: same-named Secrets elsewhere are hidden too (documented).
    { method: "GET", path: "/api/v1/secrets", base: "/api/v1/secrets", fieldSelector: NOT_IT },
    { method: "GET", path: "/api/v1/secrets/", base: "/api/v1/secrets/", fieldSelector: NOT_IT },
    {
      method: "GET",
      path: "/api/v1/watch/secrets",
      base: "/api/v1/watch/secrets",
      fieldSelector: NOT_IT,
    },
    {
      method: "GET",
      path: "/api/v1//secrets?limit=1",
      base: "/api/v1//secrets",
      fieldSelector: NOT_IT,
      keep: { limit: "1" },
    },
  ];
  for (const c of cases) {
    const got = guardCredentialSecret(c.method, c.path, SECRET);
    const what = `${c.method} ${c.path}`;
    assert.ok("path" in got, `${what} must be narrowed, got ${JSON.stringify(got)}`);
    const [base, query = ""] = got.path.split("?", 2);
    assert.equal(base, c.base, what);
    const params = new URLSearchParams(query);
    assert.deepEqual(params.getAll("fieldSelector"), [c.fieldSelector], what);
    for (const [k, v] of Object.entries(c.keep ?? {})) {
      assert.deepEqual(params.getAll(k), [v], what);
    }
  }
});

Deno.test("guardCredentialSecret leaves everything else exactly as it was", () => {
  const paths: Array<[method: string, path: string]> = [
    ["GET", `/api/v1/namespaces/other/secrets/${SECRET.name}`],
    ["PUT", `/api/v1/namespaces/other/secrets/${SECRET.name}`],
    ["GET", "/api/v1/namespaces/other/secrets?fieldSelector=type%3DOpaque"],
    ["DELETE", "/api/v1/namespaces/other/secrets"],
    ["GET", `${NS}/secrets/another-secret`],
    ["PUT", `${NS}/secrets/dashboard-agent-credential-2`],
    ["GET", `${NS}/secrets/dashboard-agent-credentia`],
    ["GET", `${NS}/configmaps/${SECRET.name}`],
    ["GET", `${NS}/configmaps`],
    ["GET", NS],
    ["GET", `${NS}/pods?watch=true`],
    ["GET", "/api/v1/namespaces"],
    ["GET", "/api/v1"],
    ["GET", "/api"],
    ["GET", "/version"],
    ["GET", "/openapi/v3/api/v1"],
    ["GET", `/apis/example.com/v1/namespaces/${SECRET.namespace}/secrets/${SECRET.name}`],
    ["GET", `/apis/apps/v1/namespaces/${SECRET.namespace}/deployments`],
    // A create names its object in the body; the chart's Secret exists, so that name gets 409.
    ["POST", `${NS}/secrets`],
    ["POST", "/api/v1/secrets"],
  ];
  for (const [method, path] of paths) {
    assert.deepEqual(guardCredentialSecret(method, path, SECRET), { path }, `${method} ${path}`);
  }
});

Deno.test("guardCredentialSecret refuses what it cannot narrow safely", () => {
  const cases: Array<[path: string, why: RegExp]> = [
    [`${NS}/secrets?fieldSelector=type%3DOpaque&fieldSelector=metadata.name%3Dx`, /at most one/],
    ["/api/v1/secrets?fieldSelector=a&field%53elector=b", /at most one/],
    [`${NS}/secrets/%zz`, /malformed percent-encoding/],
    [`/api/v1/namespaces/%E0%A4%A/secrets/${SECRET.name}`, /malformed percent-encoding/],
  ];
  for (const [path, why] of cases) {
    const got = guardCredentialSecret("GET", path, SECRET);
    assert.ok("refused" in got, `${path} must be refused`);
    assert.match(got.refused, why, path);
  }
});

Deno.test("admitTunnelled: the path allow-list first, then the guard, narrowing in place", () => {
  const request = (method: string, path: string): ExchangeWork => ({
    request: { request_id: "r", method, path, headers: [], has_body: false },
  });
  const watch = (path: string): ExchangeWork => ({
    watch: { request_id: "w", path, resource_version: "", headers: [] },
  });
  // An upgraded stream is a WebSocket GET (the API server serves watches over WebSocket too).
  const stream = (path: string): ExchangeWork => ({
    stream: { request_id: "s", path, protocols: ["v5.channel.k8s.io"], headers: [] },
  });
  const cases: Array<{
    name: string;
    work: ExchangeWork;
    secret?: ProtectedSecret;
    refused?: RegExp;
    path?: string | RegExp;
  }> = [
    { name: "object GET", work: request("GET", OBJ), secret: SECRET, refused: /credential/ },
    { name: "object watch", work: watch(OBJ), secret: SECRET, refused: /credential/ },
    {
      name: "watch of its namespace's Secrets",
      work: watch(`${NS}/secrets?allowWatchBookmarks=true`),
      secret: SECRET,
      path:
        /^\/api\/v1\/namespaces\/dashboard-agent\/secrets\?allowWatchBookmarks=true&fieldSelector=metadata.name%21%3Ddashboard-agent-credential$/,
    },
    {
      name: "deletecollection",
      work: request("DELETE", `${NS}/secrets`),
      secret: SECRET,
      path: `${NS}/secrets?fieldSelector=metadata.name%21%3Ddashboard-agent-credential`,
    },
    { name: "refusePath still applies", work: request("GET", "/metrics"), refused: /only/ },
    { name: "a fragment is refused", work: request("GET", `${OBJ}#x`), refused: /fragment/ },
    {
      name: "refusePath before the guard",
      work: request("GET", `${NS}/secrets/..`),
      secret: SECRET,
      refused: /dot segments/,
    },
    {
      name: "no Secret (file store): nothing to guard",
      work: request("GET", OBJ),
      path: OBJ,
    },
    { name: "other paths untouched", work: request("GET", "/api/v1/pods"), secret: SECRET },
    {
      name: "stream: exec untouched",
      work: stream("/api/v1/namespaces/a/pods/p/exec?command=sh&stdin=true"),
      secret: SECRET,
    },
    { name: "stream naming the Secret", work: stream(OBJ), secret: SECRET, refused: /credential/ },
    {
      name: "stream: a WebSocket watch of its namespace's Secrets is narrowed",
      work: stream(`${NS}/secrets?watch=1`),
      secret: SECRET,
      path: `${NS}/secrets?watch=1&fieldSelector=metadata.name%21%3Ddashboard-agent-credential`,
    },
    {
      name: "stream: refusePath applies",
      work: stream("/api/v1/namespaces/a/pods/p/../exec"),
      refused: /dot segments/,
    },
    { name: "stream: outside the API", work: stream("/healthz"), refused: /only/ },
  ];
  for (const c of cases) {
    const target = workTarget(c.work);
    const before = target.path;
    const why = admitTunnelled(c.work, c.secret);
    if (c.refused) {
      assert.match(why ?? "", c.refused, c.name);
      assert.equal(target.path, before, `${c.name}: a refused request is not rewritten`);
    } else {
      assert.equal(why, null, c.name);
      if (c.path instanceof RegExp) assert.match(target.path, c.path, c.name);
      else assert.equal(target.path, c.path ?? before, c.name);
    }
  }
});

Deno.test("the credential stores say which Secret to guard", async () => {
  const kube = { server: "https://127.0.0.1:1" } as KubeAccess;
  assert.deepEqual(secretCredentialStore(kube, "agents", "my-cred").secret, {
    namespace: "agents",
    name: "my-cred",
  });
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(fileCredentialStore(dir).secret, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
