// Unit tests for the agent's request guards: which API paths it will request (refusePath) and
// which headers from the dashboard reach its API server (forwardHeaders) and which impersonation
// it refuses (refuseImpersonation). The agent must not
// trust the dashboard: every path that a URL parser could turn into something outside the
// Kubernetes API is refused. Also the agent's own config loader (./kubeconfig.ts): what it reads
// from a kubeconfig or the in-cluster files, and what it refuses and why.
import assert from "node:assert/strict";
import {
  acceptedEncoding,
  answerMayBeLarge,
  forwardHeaders,
  type ImpersonationPolicy,
  ImpersonationRefused,
  KubeAccessError,
  loadKube,
  refuseImpersonation,
  refusePath,
} from "./kube.ts";
import { type KubeTarget, loadInCluster, loadKubeconfig } from "./kubeconfig.ts";

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
    // A URL parser drops the fragment: the checks would see a path the API server never gets.
    ["/api/v1/namespaces/ns/secrets/x#", /fragment/],
    ["/api/v1/pods?x=1#/../../y", /fragment/],
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

const OFF: ImpersonationPolicy = { allowImpersonation: false };
const ON: ImpersonationPolicy = { allowImpersonation: true };

Deno.test("forwardHeaders drops credentials and hop-by-hop headers", () => {
  const cases: Array<{
    name: string;
    in: Array<[string, string]>;
    policy: ImpersonationPolicy;
    out: Record<string, string>;
  }> = [
    {
      name: "ordinary headers pass, lower-cased",
      in: [["Accept", "application/json"], ["Content-Type", "application/json"], [
        "User-Agent",
        "kubectl",
      ]],
      policy: OFF,
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
      policy: ON,
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
      policy: OFF,
      out: {},
    },
  ];
  for (const c of cases) {
    const h = forwardHeaders(c.in.map(([name, value]) => ({ name, value })), c.policy);
    assert.deepEqual(Object.fromEntries(h), c.out, c.name);
  }
});

Deno.test("impersonation: prefixed users and groups pass when allowed; the rest is refused", () => {
  const OFF_WHY =
    /^this agent was installed without impersonation \(allowImpersonation=false\), so it cannot act as /;
  const PREFIX_WHY = /only names that start with "dashboard:" \(its IMPERSONATION_PREFIX\)/;
  const cases: Array<{
    name: string;
    in: Array<[string, string]>;
    policy: ImpersonationPolicy;
    /** The impersonation headers forwarded, or why the request is refused. */
    out: Record<string, string> | RegExp;
  }> = [
    { name: "no impersonation at all", in: [["accept", "*/*"]], policy: OFF, out: {} },
    {
      name: "allowed: a prefixed user and its groups, trimmed",
      in: [
        ["Impersonate-User", "dashboard:alice"],
        ["impersonate-group", "dashboard:role:viewer"],
        ["Impersonate-Group", " dashboard:team-a "],
      ],
      policy: ON,
      out: {
        "impersonate-user": "dashboard:alice",
        "impersonate-group": "dashboard:role:viewer, dashboard:team-a",
      },
    },
    {
      name: "allowed: a user without groups",
      in: [["Impersonate-User", "dashboard:alice"]],
      policy: ON,
      out: { "impersonate-user": "dashboard:alice" },
    },
    {
      name: "allowed: another prefix",
      in: [["Impersonate-User", "kd-alice"], ["Impersonate-Group", "kd-role:admin"]],
      policy: { allowImpersonation: true, impersonationPrefix: "kd-" },
      out: { "impersonate-user": "kd-alice", "impersonate-group": "kd-role:admin" },
    },
    {
      name: "not allowed: a dashboard user is refused, never sent on as the agent",
      in: [["Impersonate-User", "dashboard:alice"], ["Impersonate-Group", "dashboard:role:admin"]],
      policy: OFF,
      out: new RegExp(
        OFF_WHY.source +
          /dashboard user "dashboard:alice"; reinstall the agent with --set allowImpersonation=true, or turn off "impersonate users" for this cluster in the dashboard$/
            .source,
      ),
    },
    {
      name: "not allowed: a group alone",
      in: [["Impersonate-Group", "system:masters"]],
      policy: OFF,
      out: new RegExp(OFF_WHY.source + /another identity \(Impersonate-Group\)/.source),
    },
    {
      name: "not allowed: an extra alone",
      in: [["Impersonate-Extra-scopes", "x"]],
      policy: OFF,
      out: new RegExp(OFF_WHY.source + /another identity \(Impersonate-Extra-scopes\)/.source),
    },
    {
      name: "a user outside the prefix",
      in: [["Impersonate-User", "system:admin"]],
      policy: ON,
      out: /refused Impersonate-User: "system:admin"$/,
    },
    {
      name: "a group outside the prefix",
      in: [["Impersonate-User", "dashboard:alice"], ["Impersonate-Group", "system:masters"]],
      policy: ON,
      out: /refused Impersonate-Group: "system:masters"$/,
    },
    {
      name: "the prefix is case-sensitive",
      in: [["Impersonate-User", "Dashboard:alice"]],
      policy: ON,
      out: PREFIX_WHY,
    },
    {
      name: "the prefix alone names nobody",
      in: [["Impersonate-User", "dashboard:"]],
      policy: ON,
      out: PREFIX_WHY,
    },
    {
      name: "a comma would turn one group into two",
      in: [["Impersonate-User", "dashboard:a"], [
        "Impersonate-Group",
        "dashboard:x,system:masters",
      ]],
      policy: ON,
      out: /refused Impersonate-Group: "dashboard:x,system:masters"$/,
    },
    {
      name: "another prefix does not admit the default one",
      in: [["Impersonate-User", "dashboard:alice"]],
      policy: { allowImpersonation: true, impersonationPrefix: "kd-" },
      out: /only names that start with "kd-"/,
    },
    {
      name: "Impersonate-Uid",
      in: [["Impersonate-User", "dashboard:alice"], ["Impersonate-Uid", "1234"]],
      policy: ON,
      out: /forwards only Impersonate-User and Impersonate-Group, not Impersonate-Uid \(/,
    },
    {
      name: "Impersonate-Extra-*",
      in: [["Impersonate-User", "dashboard:alice"], ["impersonate-extra-scopes", "view"]],
      policy: ON,
      out: /not impersonate-extra-scopes \(Impersonate-Uid and Impersonate-Extra-\* are never/,
    },
    {
      name: "an unknown Impersonate-* header",
      in: [["Impersonate-User", "dashboard:alice"], ["Impersonate-Whatever", "x"]],
      policy: ON,
      out: /not Impersonate-Whatever/,
    },
    {
      name: "a group without a user",
      in: [["Impersonate-Group", "dashboard:role:admin"]],
      policy: ON,
      out: /^Impersonate-Group without Impersonate-User is refused$/,
    },
    {
      name: "two users",
      in: [["Impersonate-User", "dashboard:alice"], ["impersonate-user", "dashboard:bob"]],
      policy: ON,
      out: /^more than one Impersonate-User header is refused$/,
    },
  ];
  for (const c of cases) {
    const pairs = c.in.map(([name, value]) => ({ name, value }));
    const why = refuseImpersonation(pairs, c.policy);
    if (c.out instanceof RegExp) {
      assert.match(why ?? "(forwarded)", c.out, c.name);
      assert.throws(() => forwardHeaders(pairs, c.policy), ImpersonationRefused, c.name);
    } else {
      assert.equal(why, null, c.name);
      const h = Object.fromEntries(forwardHeaders(pairs, c.policy));
      const impersonation = Object.fromEntries(
        Object.entries(h).filter(([n]) => n.startsWith("impersonate-")),
      );
      assert.deepEqual(impersonation, c.out, c.name);
    }
  }
});

Deno.test("answerMayBeLarge: lists and OpenAPI documents, not single objects", () => {
  const cases: Array<[string, boolean]> = [
    ["/api/v1/pods", true],
    ["/api/v1/namespaces", true],
    ["/api/v1/namespaces/kube-system/configmaps?limit=500", true],
    ["/apis/apps/v1/deployments", true],
    ["/apis/apps/v1/namespaces/web/deployments", true],
    ["/apis/example.com/v1/namespaces/web/widgets?labelSelector=a%3Db", true],
    ["/openapi/v2", true],
    ["/openapi/v3/apis/apps/v1", true],
    ["/api/v1/namespaces/kube-system", false],
    ["/api/v1/namespaces/kube-system/configmaps/cm-0", false],
    ["/api/v1/nodes/n1", false],
    ["/api/v1/namespaces/web/pods/p/log", false],
    ["/apis/apps/v1/namespaces/web/deployments/d/scale", false],
    ["/api", false],
    ["/api/v1", false],
    ["/apis", false],
    ["/apis/apps/v1", false],
    ["/version", false],
  ];
  for (const [path, want] of cases) assert.equal(answerMayBeLarge(path), want, path);
});

Deno.test("acceptedEncoding: gzip only when the client accepts it", () => {
  const cases: Array<[string, Array<[string, string]>, "gzip" | "identity"]> = [
    ["no accept-encoding", [], "identity"],
    ["kubectl (Go's transport)", [["Accept-Encoding", "gzip"]], "gzip"],
    ["a browser", [["accept-encoding", "gzip, deflate, br, zstd"]], "gzip"],
    ["x-gzip is gzip", [["accept-encoding", "x-gzip"]], "gzip"],
    ["identity only", [["accept-encoding", "identity"]], "identity"],
    ["br only", [["accept-encoding", "br"]], "identity"],
    ["gzip refused with q=0", [["accept-encoding", "gzip;q=0, br"]], "identity"],
    ["gzip with a weight", [["accept-encoding", "br;q=1.0, gzip; q=0.5"]], "gzip"],
    ["any encoding", [["accept-encoding", "*"]], "gzip"],
    ["any but gzip", [["accept-encoding", "*, gzip;q=0"]], "identity"],
    ["a malformed weight refuses", [["accept-encoding", "gzip;q=abc"]], "identity"],
    ["repeated headers", [["accept-encoding", "br"], ["accept-encoding", "gzip"]], "gzip"],
    ["other headers are ignored", [["accept", "gzip"]], "identity"],
  ];
  for (const [name, headers, want] of cases) {
    assert.equal(acceptedEncoding(headers.map(([name, value]) => ({ name, value }))), want, name);
  }
});

Deno.test("forwardHeaders keeps repeated headers", () => {
  const h = forwardHeaders([{ name: "accept", value: "a" }, { name: "Accept", value: "b" }], OFF);
  assert.equal(h.get("accept"), "a, b");
});

// ---------------------------------------------------------------------------------------------
// The config loader (./kubeconfig.ts)

// Only the PEM markers are checked by the loader; Deno.createHttpClient parses the real thing.
const CA_PEM = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
const CERT_PEM = "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n";
const KEY_PEM = "-----BEGIN EC PRIVATE KEY-----\nS0VZ\n-----END EC PRIVATE KEY-----\n";
const b64 = (s: string) => btoa(s);

// deno-lint-ignore no-explicit-any
type Kc = any;

/** A kubeconfig with one context "ctx" → cluster "c" + user "u" (token auth). */
function baseKubeconfig(): Kc {
  return {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "ctx",
    contexts: [{ name: "other", context: { cluster: "x", user: "y" } }, {
      name: "ctx",
      context: { cluster: "c", user: "u", namespace: "ignored" },
    }],
    clusters: [{
      name: "c",
      cluster: { server: "https://api.example:6443/", "certificate-authority-data": b64(CA_PEM) },
    }],
    users: [{ name: "u", user: { token: "tok-123" } }],
  };
}

/** Writes `files` (relative to a new temp dir) and returns the dir. */
async function tempFiles(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kube_test_" });
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  return dir;
}

/** Loads a kubeconfig written as `kc` (an object, written as JSON, or raw YAML text). */
async function loadWith(
  kc: Kc | string,
  files: Record<string, string> = {},
): Promise<{ dir: string; got: Promise<KubeTarget> }> {
  const text = typeof kc === "string" ? kc : JSON.stringify(kc, null, 2);
  const dir = await tempFiles({ ...files, "conf/config": text });
  return { dir, got: loadKubeconfig(`${dir}/conf/config`) };
}

Deno.test("loadKubeconfig reads the current context's cluster and user", async (t) => {
  const cases: Array<{
    name: string;
    kc: (kc: Kc, dir: string) => Kc | string;
    files?: Record<string, string>;
    want: (dir: string) => KubeTarget;
  }> = [
    {
      name: "token user, CA data; trailing slash dropped",
      kc: (kc) => kc,
      want: () => ({ server: "https://api.example:6443", caPem: CA_PEM, token: "tok-123" }),
    },
    {
      name: "plain YAML, as kubectl writes it",
      kc: () =>
        [
          "apiVersion: v1",
          "kind: Config",
          "current-context: ctx",
          "contexts:",
          "- name: ctx",
          "  context: {cluster: c, user: u}",
          "clusters:",
          "- name: c",
          "  cluster:",
          "    server: https://10.0.0.1",
          `    certificate-authority-data: ${b64(CA_PEM)}`,
          "    insecure-skip-tls-verify: false",
          "users:",
          "- name: u",
          "  user:",
          "    token: abc.def.ghi",
          "preferences: {}",
        ].join("\n"),
      want: () => ({ server: "https://10.0.0.1", caPem: CA_PEM, token: "abc.def.ghi" }),
    },
    {
      name: "client certificate data, no CA (system roots), server path kept",
      kc: (kc) => {
        kc.clusters[0].cluster = { server: "https://rancher.example/k8s/clusters/c-1" };
        kc.users[0].user = {
          "client-certificate-data": b64(CERT_PEM),
          "client-key-data": b64(KEY_PEM),
        };
        return kc;
      },
      want: () => ({
        server: "https://rancher.example/k8s/clusters/c-1",
        certPem: CERT_PEM,
        keyPem: KEY_PEM,
      }),
    },
    {
      name: "file references are relative to the kubeconfig's directory",
      kc: (kc) => {
        kc.clusters[0].cluster = { server: "https://h", "certificate-authority": "ca.crt" };
        kc.users[0].user = { "client-certificate": "../pki/c.crt", "client-key": "../pki/c.key" };
        return kc;
      },
      files: { "conf/ca.crt": CA_PEM, "pki/c.crt": CERT_PEM, "pki/c.key": KEY_PEM },
      want: () => ({ server: "https://h", caPem: CA_PEM, certPem: CERT_PEM, keyPem: KEY_PEM }),
    },
    {
      name: "absolute file references",
      kc: (kc, dir) => {
        kc.clusters[0].cluster = {
          server: "https://h",
          "certificate-authority": `${dir}/abs/ca.crt`,
        };
        return kc;
      },
      files: { "abs/ca.crt": CA_PEM },
      want: () => ({ server: "https://h", caPem: CA_PEM, token: "tok-123" }),
    },
    {
      name: "*-data wins over the file (which need not exist)",
      kc: (kc) => {
        kc.clusters[0].cluster["certificate-authority"] = "missing.crt";
        return kc;
      },
      want: () => ({ server: "https://api.example:6443", caPem: CA_PEM, token: "tok-123" }),
    },
    {
      name: "tokenFile (relative, trimmed) wins over token and is kept for re-reading",
      kc: (kc) => {
        kc.users[0].user = { token: "stale", tokenFile: "sa/token" };
        return kc;
      },
      files: { "conf/sa/token": "  fresh-token\n" },
      want: (dir) => ({
        server: "https://api.example:6443",
        caPem: CA_PEM,
        token: "fresh-token",
        tokenFile: `${dir}/conf/sa/token`,
      }),
    },
    {
      name: "token-file (client-node's spelling)",
      kc: (kc) => {
        kc.users[0].user = { "token-file": "t" };
        return kc;
      },
      files: { "conf/t": "dash-token" },
      want: (dir) => ({
        server: "https://api.example:6443",
        caPem: CA_PEM,
        token: "dash-token",
        tokenFile: `${dir}/conf/t`,
      }),
    },
    {
      name: "empty and null fields count as unset; unknown fields are ignored",
      kc: (kc) => {
        kc.users[0].user = { token: "t", "client-certificate": "", exec: null, extensions: [] };
        kc.clusters[0].cluster["insecure-skip-tls-verify"] = null;
        kc.clusters[0].cluster["disable-compression"] = true;
        return kc;
      },
      want: () => ({ server: "https://api.example:6443", caPem: CA_PEM, token: "t" }),
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const dir = await tempFiles(c.files ?? {});
      try {
        const kc = c.kc(baseKubeconfig(), dir);
        await Deno.mkdir(`${dir}/conf`, { recursive: true });
        await Deno.writeTextFile(
          `${dir}/conf/config`,
          typeof kc === "string" ? kc : JSON.stringify(kc),
        );
        const got = await loadKubeconfig(`${dir}/conf/config`);
        const defined = Object.fromEntries(Object.entries(got).filter(([, v]) => v !== undefined));
        assert.deepEqual(defined, c.want(dir));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("loadKubeconfig refuses what the agent cannot honour, saying what to do", async (t) => {
  const cases: Array<{
    name: string;
    kc: (kc: Kc) => Kc | string;
    files?: Record<string, string>;
    want: RegExp;
  }> = [
    {
      name: "malformed YAML names the file",
      kc: () => "current-context: [unclosed\nclusters: {",
      want: /^cannot parse the kubeconfig \/.*\/conf\/config: /,
    },
    {
      name: "not a mapping",
      kc: () => "- a\n- b\n",
      want: /\/conf\/config is not a kubeconfig: expected a YAML mapping/,
    },
    { name: "empty file", kc: () => "", want: /is not a kubeconfig: expected a YAML mapping/ },
    {
      name: "no current-context",
      kc: (kc) => {
        delete kc["current-context"];
        return kc;
      },
      want:
        /has no current-context: set one with 'kubectl config use-context <name>' \(contexts: "other", "ctx"\)/,
    },
    {
      name: "unknown current-context",
      kc: (kc) => ({ ...kc, "current-context": "nope" }),
      want: /current-context "nope" is not defined \(contexts: "other", "ctx"\)/,
    },
    {
      name: "current-context of the wrong type",
      kc: (kc) => ({ ...kc, "current-context": 42 }),
      want: /'current-context' must be a string, not a number/,
    },
    {
      name: "context without a cluster",
      kc: (kc) => {
        delete kc.contexts[1].context.cluster;
        return kc;
      },
      want: /context "ctx" must name both a cluster and a user/,
    },
    {
      name: "context without a user",
      kc: (kc) => {
        kc.contexts[1].context = { cluster: "c" };
        return kc;
      },
      want: /context "ctx" must name both a cluster and a user/,
    },
    {
      name: "context with no body",
      kc: (kc) => {
        kc.contexts[1] = { name: "ctx" };
        return kc;
      },
      want: /context "ctx" must name both a cluster and a user/,
    },
    {
      name: "context body of the wrong type",
      kc: (kc) => {
        kc.contexts[1].context = "c/u";
        return kc;
      },
      want: /context "ctx": 'context' must be a mapping, not a string/,
    },
    {
      name: "contexts not a list",
      kc: (kc) => ({ ...kc, contexts: { ctx: {} } }),
      want: /'contexts' must be a list, not a mapping/,
    },
    {
      name: "undefined cluster",
      kc: (kc) => ({ ...kc, clusters: [] }),
      want: /context "ctx" names cluster "c", which is not defined \(clusters: none\)/,
    },
    {
      name: "undefined user",
      kc: (kc) => {
        kc.users[0].name = "v";
        return kc;
      },
      want: /context "ctx" names user "u", which is not defined \(users: "v"\)/,
    },
    {
      name: "missing server",
      kc: (kc) => {
        delete kc.clusters[0].cluster.server;
        return kc;
      },
      want: /cluster "c" has no server: set its API server URL/,
    },
    {
      name: "server not a string",
      kc: (kc) => {
        kc.clusters[0].cluster.server = ["https://a"];
        return kc;
      },
      want: /cluster "c": 'server' must be a string, not a list/,
    },
    {
      name: "server not a URL",
      kc: (kc) => {
        kc.clusters[0].cluster.server = "api.example:6443";
        return kc;
      },
      want: /cluster "c": .*(is not a URL|must be an https)/,
    },
    {
      name: "server with another scheme",
      kc: (kc) => {
        kc.clusters[0].cluster.server = "unix:///run/k8s.sock";
        return kc;
      },
      want: /cluster "c": the server must be an https:\/\/ \(or http:\/\/\) URL/,
    },
    {
      name: "insecure-skip-tls-verify",
      kc: (kc) => {
        kc.clusters[0].cluster["insecure-skip-tls-verify"] = true;
        return kc;
      },
      want:
        /cluster "c": insecure-skip-tls-verify is not supported \(the agent always verifies its API server\); remove it and set certificate-authority-data or certificate-authority/,
    },
    {
      name: "insecure-skip-tls-verify as a string",
      kc: (kc) => {
        kc.clusters[0].cluster["insecure-skip-tls-verify"] = "true";
        return kc;
      },
      want: /'insecure-skip-tls-verify' must be true or false/,
    },
    {
      name: "tls-server-name",
      kc: (kc) => {
        kc.clusters[0].cluster["tls-server-name"] = "kubernetes";
        return kc;
      },
      want: /cluster "c": 'tls-server-name' is not supported; remove it/,
    },
    {
      name: "CA data that is not base64",
      kc: (kc) => {
        kc.clusters[0].cluster["certificate-authority-data"] = "not base64!";
        return kc;
      },
      want: /cluster "c": 'certificate-authority-data' is not base64-encoded PEM/,
    },
    {
      name: "CA data that is not PEM",
      kc: (kc) => {
        kc.clusters[0].cluster["certificate-authority-data"] = b64("hello");
        return kc;
      },
      want: /cluster "c": 'certificate-authority-data' does not contain a PEM certificate/,
    },
    {
      name: "missing CA file, resolved against the kubeconfig's directory",
      kc: (kc) => {
        kc.clusters[0].cluster = { server: "https://h", "certificate-authority": "ca.crt" };
        return kc;
      },
      want: /cluster "c": cannot read 'certificate-authority' \/.*\/conf\/ca\.crt: /,
    },
    {
      name: "exec user",
      kc: (kc) => {
        kc.users[0].user = {
          exec: { command: "aws", apiVersion: "client.authentication.k8s.io/v1" },
        };
        return kc;
      },
      want:
        /user "u": exec and auth-provider credentials are not supported: use a token or client certificate/,
    },
    {
      name: "auth-provider user",
      kc: (kc) => {
        kc.users[0].user = { "auth-provider": { name: "oidc", config: {} } };
        return kc;
      },
      want:
        /user "u": exec and auth-provider credentials are not supported: use a token or client certificate/,
    },
    {
      name: "basic auth",
      kc: (kc) => {
        kc.users[0].user = { username: "admin", password: "secret" };
        return kc;
      },
      want:
        /user "u": basic auth \(username\/password\) is not supported: use a token or client certificate/,
    },
    {
      name: "impersonation",
      kc: (kc) => {
        kc.users[0].user.as = "system:admin";
        return kc;
      },
      want: /user "u": impersonation \('as'\) is not supported/,
    },
    {
      name: "token not a string",
      kc: (kc) => {
        kc.users[0].user = { token: 12345 };
        return kc;
      },
      want: /user "u": 'token' must be a string, not a number/,
    },
    {
      name: "token with a newline",
      kc: (kc) => {
        kc.users[0].user = { token: "abc\ndef" };
        return kc;
      },
      want: /user "u": 'token': the token contains whitespace, control or non-ASCII characters/,
    },
    {
      name: "missing token file",
      kc: (kc) => {
        kc.users[0].user = { tokenFile: "token" };
        return kc;
      },
      want: /user "u": 'tokenFile': cannot read \/.*\/conf\/token: /,
    },
    {
      name: "client certificate without a key",
      kc: (kc) => {
        kc.users[0].user = { "client-certificate-data": b64(CERT_PEM) };
        return kc;
      },
      want: /user "u": a client certificate needs both a certificate and a key/,
    },
    {
      name: "client key data that is not a key",
      kc: (kc) => {
        kc.users[0].user = {
          "client-certificate-data": b64(CERT_PEM),
          "client-key-data": b64(CERT_PEM),
        };
        return kc;
      },
      want: /user "u": 'client-key-data' does not contain a PEM private key/,
    },
    {
      name: "client certificate file that is not PEM",
      kc: (kc) => {
        kc.users[0].user = { "client-certificate": "c.crt", "client-key-data": b64(KEY_PEM) };
        return kc;
      },
      files: { "conf/c.crt": "garbage" },
      want: /user "u": 'client-certificate' \/.*\/conf\/c\.crt does not contain a PEM certificate/,
    },
    {
      name: "user without a credential",
      kc: (kc) => {
        kc.users[0].user = {};
        return kc;
      },
      want: /user "u" has no credential: set a token, token file or client certificate/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { dir, got } = await loadWith(c.kc(baseKubeconfig()), c.files);
      try {
        await assert.rejects(got, (err: Error) => {
          assert.ok(err instanceof KubeAccessError, `${err.constructor.name}: ${err.message}`);
          assert.match(err.message, c.want);
          return true;
        });
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("loadKubeconfig: a missing file is a KubeAccessError naming it", async () => {
  await assert.rejects(
    loadKubeconfig("/nonexistent/kube/config"),
    (err: Error) =>
      err instanceof KubeAccessError &&
      /^cannot read the kubeconfig \/nonexistent\/kube\/config: /.test(err.message),
  );
});

Deno.test("loadInCluster reads the ServiceAccount and the service environment", async (t) => {
  const dir = await tempFiles({
    token: "sa-token\n",
    "ca.crt": CA_PEM,
    namespace: "agent-ns\n",
  });
  const noToken = await tempFiles({ "ca.crt": CA_PEM, namespace: "agent-ns" });
  try {
    const cases: Array<{
      name: string;
      env: Record<string, string>;
      saDir?: string;
      want: string | RegExp;
    }> = [
      {
        name: "IPv4",
        env: { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" },
        want: "https://10.96.0.1:443",
      },
      {
        name: "IPv6 gets brackets",
        env: { KUBERNETES_SERVICE_HOST: "fd00:10:96::1", KUBERNETES_SERVICE_PORT: "443" },
        want: "https://[fd00:10:96::1]:443",
      },
      {
        name: "not in a pod",
        env: {},
        want:
          /^not running in a pod \(KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set\); pass --kubeconfig to run the agent outside a cluster$/,
      },
      {
        name: "no token mounted",
        env: { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" },
        saDir: noToken,
        want:
          /^not running in a pod \(.*token.*\); pass --kubeconfig to run the agent outside a cluster$/,
      },
      {
        name: "bad port",
        env: { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "https" },
        want: /^not running in a pod \(KUBERNETES_SERVICE_PORT "https" is not a port\)/,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const got = loadInCluster((k) => c.env[k], c.saDir ?? dir);
        if (typeof c.want === "string") {
          assert.deepEqual(await got, {
            server: c.want,
            caPem: CA_PEM,
            token: "sa-token",
            tokenFile: `${dir}/token`,
            namespace: "agent-ns",
          });
        } else {
          const want = c.want;
          await assert.rejects(
            got,
            (err: Error) => err instanceof KubeAccessError && want.test(err.message),
          );
        }
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(noToken, { recursive: true });
  }
});

Deno.test("loadKube: the token goes in the authorization header; redirects are not followed", async () => {
  const seen: Array<{ path: string; auth: string | null; accept: string | null }> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const u = new URL(req.url);
    seen.push({
      path: u.pathname + u.search,
      auth: req.headers.get("authorization"),
      accept: req.headers.get("accept"),
    });
    if (u.pathname === "/api/redirect") {
      return new Response(null, { status: 302, headers: { location: "http://evil.example/" } });
    }
    return Response.json({ ok: true });
  });
  const kc = baseKubeconfig();
  kc.clusters[0].cluster = { server: `http://127.0.0.1:${server.addr.port}/` };
  kc.users[0].user = { tokenFile: "token" };
  const dir = await tempFiles({ config: JSON.stringify(kc), token: "file-token\n" });
  const kube = await loadKube(`${dir}/config`);
  try {
    assert.equal(kube.server, `http://127.0.0.1:${server.addr.port}`);
    assert.equal(kube.podNamespace, undefined);
    const ok = await kube.fetch("/api/v1/pods?limit=1", {
      headers: new Headers({ accept: "application/json" }),
    });
    assert.deepEqual(await ok.json(), { ok: true });
    const redirect = await kube.fetch("/api/redirect", {});
    await redirect.body?.cancel();
    assert.equal(redirect.status, 302);
    assert.deepEqual(seen, [
      { path: "/api/v1/pods?limit=1", auth: "Bearer file-token", accept: "application/json" },
      { path: "/api/redirect", auth: "Bearer file-token", accept: "*/*" },
    ]);
  } finally {
    kube.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadKube forward: the API server's bytes as sent, bodies streamed both ways", async (t) => {
  const gz = new Uint8Array(
    await new Response(
      new Blob(["x".repeat(100_000)]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const u = new URL(req.url);
    if (u.pathname === "/api/gz") {
      return new Response(gz, {
        headers: { "content-encoding": "gzip", "x-seen": req.headers.get("accept-encoding") ?? "" },
      });
    }
    if (u.pathname === "/api/echo") {
      return Response.json({
        method: req.method,
        auth: req.headers.get("authorization"),
        body: await req.text(),
      });
    }
    if (u.pathname === "/api/empty") return new Response(null, { status: 204 });
    // /api/endless: a stream that never ends, until the client goes away.
    return new Response(new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(1024)) }));
  });
  const kc = baseKubeconfig();
  kc.clusters[0].cluster = { server: `http://127.0.0.1:${server.addr.port}` };
  kc.users[0].user = { token: "tok" };
  const dir = await tempFiles({ config: JSON.stringify(kc) });
  const kube = await loadKube(`${dir}/config`);
  const forward = (path: string, init: Partial<Parameters<typeof kube.forward>[1]> = {}) =>
    kube.forward(path, {
      method: "GET",
      headers: new Headers(),
      body: null,
      signal: new AbortController().signal,
      ...init,
    });
  try {
    await t.step("a compressed answer is neither decoded nor re-encoded", async () => {
      const res = await forward("/api/gz", { headers: new Headers({ "accept-encoding": "gzip" }) });
      assert.equal(res.headers.get("content-encoding"), "gzip");
      assert.equal(res.headers.get("x-seen"), "gzip");
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), gz);
    });
    await t.step("a request body streams up; the token is added", async () => {
      const body = ReadableStream.from([
        new TextEncoder().encode("a"),
        new TextEncoder().encode("b"),
      ]);
      const res = await forward("/api/echo", { method: "POST", body });
      assert.deepEqual(await res.json(), { method: "POST", auth: "Bearer tok", body: "ab" });
    });
    await t.step("204 has no body", async () => {
      const res = await forward("/api/empty");
      assert.equal(res.status, 204);
      assert.equal(res.body, null);
    });
    await t.step("aborting ends an endless answer", async () => {
      const abort = new AbortController();
      const res = await forward("/api/endless", { signal: abort.signal });
      const reader = res.body!.getReader();
      assert.ok((await reader.read()).value!.length > 0);
      abort.abort();
      await assert.rejects(async () => {
        for (;;) if ((await reader.read()).done) throw new Error("ended without an error");
      }, (err: Error) => err.name === "AbortError" || /abort/i.test(err.message));
    });
  } finally {
    kube.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadKube refuses with KubeAccessError (the agent exits 2)", async () => {
  await assert.rejects(loadKube("/nonexistent/kubeconfig"), KubeAccessError);
  const kc = baseKubeconfig();
  kc.clusters[0].cluster["certificate-authority-data"] = b64(CA_PEM); // markers only: not a cert
  const dir = await tempFiles({ config: JSON.stringify(kc) });
  try {
    await assert.rejects(
      loadKube(`${dir}/config`),
      (err: Error) =>
        err instanceof KubeAccessError &&
        /^the CA or client certificate cannot be used: /.test(err.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
