// Unit tests for the agent's request guards: which API paths it will request (refusePath) and
// which headers from the dashboard reach its API server (forwardHeaders). The agent must not
// trust the dashboard: every path that a URL parser could turn into something outside the
// Kubernetes API is refused.
import assert from "node:assert/strict";
import { forwardHeaders, refusePath } from "./kube.ts";

Deno.test("refusePath allows Kubernetes API paths", () => {
  for (
    const path of [
      "/api",
      "/api/v1",
      "/api/v1/pods",
      "/api/v1/namespaces/default/pods?limit=500&continue=abc",
      "/api?timeout=32s",
      "/apis/apps/v1/deployments",
      "/apis/example.com/v1/widgets?fieldSelector=metadata.name%3Dx",
      "/api/v1/pods?labelSelector=a%2Fb%3Dc", // encoded separators in the query are fine
      "/version",
      "/version?timeout=5s",
      "/openapi/v2",
      "/openapi/v3/apis/apps/v1?hash=abc",
    ]
  ) {
    assert.equal(refusePath(path), null, path);
  }
});

Deno.test("refusePath refuses everything else", () => {
  const cases: Array<[string, RegExp]> = [
    ["", /only Kubernetes API paths/],
    ["/", /only Kubernetes API paths/],
    ["/etc/passwd", /only Kubernetes API paths/],
    ["/metrics", /only Kubernetes API paths/],
    ["/healthz", /only Kubernetes API paths/],
    ["/logs/", /only Kubernetes API paths/],
    ["/apix/v1", /only Kubernetes API paths/],
    ["/versions", /only Kubernetes API paths/],
    ["api/v1/pods", /only Kubernetes API paths/],
    ["//evil.example/api", /only Kubernetes API paths/],
    ["@evil.example/api", /only Kubernetes API paths/],
    ["https://evil.example/api", /only Kubernetes API paths/],
    ["/api/../x", /dot segments/],
    ["/api/v1/../../etc/passwd", /dot segments/],
    ["/api/./v1", /dot segments/],
    ["/api/..", /dot segments/],
    ["/api/%2e%2e/x", /dot segments/],
    ["/api/.%2E/x", /dot segments/],
    ["/api/v1/namespaces%2Fdefault", /encoded separators/],
    ["/api/v1/..%5cx", /encoded separators/],
    // A URL parser turns "\" into "/" and drops tabs and newlines: each of these would reach /x.
    ["/api/..\\x", /not allowed/],
    ["/api\\..\\x", /not allowed/],
    ["/api/.\t./x", /not allowed/],
    ["/api/.\n./x", /not allowed/],
    ["/api/.\r./x", /not allowed/],
    ["/api/v1/pods x", /not allowed/],
    ["/api/v1/\u0000", /not allowed/],
  ];
  for (const [path, why] of cases) {
    const got = refusePath(path);
    assert.notEqual(got, null, `${JSON.stringify(path)} must be refused`);
    assert.match(got!, why, JSON.stringify(path));
  }
});

Deno.test("refusePath: what it allows stays inside the API after URL parsing", () => {
  const server = "https://127.0.0.1:6443";
  const probes = [
    "/api/v1/pods",
    "/api/..\\x",
    "/api/.\t./x",
    "/api/%2e%2e/x",
    "/api/v1/../x",
    "/api/v1/%2e/x",
    "/apis/a/..;/x",
  ];
  for (const p of probes) {
    if (refusePath(p) !== null) continue;
    const { pathname } = new URL(server + p);
    assert.match(pathname, /^\/(api|apis|version|openapi)(\/|$)/, `${JSON.stringify(p)}`);
  }
});

Deno.test("forwardHeaders drops credentials and hop-by-hop headers", () => {
  const cases: Array<{
    name: string;
    in: Array<[string, string]>;
    allowImpersonation: boolean;
    out: Record<string, string>;
  }> = [
    {
      name: "ordinary headers pass, lower-cased",
      in: [["Accept", "application/json"], ["Content-Type", "application/json"], [
        "User-Agent",
        "kubectl",
      ]],
      allowImpersonation: false,
      out: {
        accept: "application/json",
        "content-type": "application/json",
        "user-agent": "kubectl",
      },
    },
    {
      name: "the dashboard's credentials never pass",
      in: [
        ["Authorization", "Bearer dashboard-secret"],
        ["cookie", "session=x"],
        ["Proxy-Authorization", "Basic x"],
        ["accept", "*/*"],
      ],
      allowImpersonation: true,
      out: { accept: "*/*" },
    },
    {
      name: "hop-by-hop and framing headers are dropped",
      in: [
        ["host", "evil"],
        ["connection", "close"],
        ["keep-alive", "1"],
        ["te", "trailers"],
        ["trailer", "x"],
        ["transfer-encoding", "chunked"],
        ["upgrade", "websocket"],
        ["content-length", "12"],
        ["accept-encoding", "gzip"],
      ],
      allowImpersonation: false,
      out: {},
    },
    {
      name: "impersonation is dropped unless allowed",
      in: [["Impersonate-User", "admin"], ["impersonate-group", "system:masters"], [
        "Impersonate-Extra-scopes",
        "x",
      ]],
      allowImpersonation: false,
      out: {},
    },
    {
      name: "impersonation passes when allowed",
      in: [["Impersonate-User", "jane"], ["impersonate-group", "devs"]],
      allowImpersonation: true,
      out: { "impersonate-user": "jane", "impersonate-group": "devs" },
    },
  ];
  for (const c of cases) {
    const h = forwardHeaders(c.in.map(([name, value]) => ({ name, value })), c.allowImpersonation);
    assert.deepEqual(Object.fromEntries(h), c.out, c.name);
  }
});

Deno.test("forwardHeaders keeps repeated headers", () => {
  const h = forwardHeaders([{ name: "accept", value: "a" }, { name: "Accept", value: "b" }], false);
  assert.equal(h.get("accept"), "a, b");
});
