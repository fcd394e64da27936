// permissionsFor and rowPermission with a fake cluster client: the dashboard's viewer rule (no
// review sent), the cluster's answers, the cache (hits within the TTL, expiry, the bound, keys per
// person and role), and the fallback when a review fails (enabled, unknown, never thrown).
import assert from "node:assert/strict";
import {
  AccessCache,
  ANSWER_TTL_MS,
  FAILURE_TTL_MS,
  MAX_ROW_NAMESPACES,
  permissionsFor,
  rowPermission,
} from "./permissions.ts";
import {
  type Access,
  type Action,
  objectActions,
  type Permissions,
  type ResourceAttributes,
  SSAR_PATH,
  VIEWER_REASON,
} from "../lib/k8s/access_review.ts";
import type { ResourceRef } from "../lib/k8s/paths.ts";
import type { WebClusterClient } from "../deps.ts";

const VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];
const pods: ResourceRef = {
  group: "",
  version: "v1",
  resource: "pods",
  kind: "Pod",
  namespaced: true,
  verbs: VERBS,
};
const configmaps: ResourceRef = { ...pods, resource: "configmaps", kind: "ConfigMap" };

type Decide = (a: ResourceAttributes) => Response | Promise<Response> | "hang";

/** A fake client that answers reviews with `decide` and records what it was sent. */
function fakeClient(decide: Decide) {
  const seen: { method: string; path: string; attrs: ResourceAttributes; headers: Headers }[] = [];
  const client: WebClusterClient = {
    async fetch(req) {
      const url = new URL(req.url);
      const body = await req.json() as {
        apiVersion: string;
        kind: string;
        spec: { resourceAttributes: ResourceAttributes };
      };
      assert.equal(body.apiVersion, "authorization.k8s.io/v1");
      assert.equal(body.kind, "SelfSubjectAccessReview");
      const attrs = body.spec.resourceAttributes;
      seen.push({ method: req.method, path: url.pathname, attrs, headers: req.headers });
      const answer = decide(attrs);
      if (answer === "hang") {
        return await new Promise<Response>((_, reject) => {
          req.signal.addEventListener("abort", () => reject(req.signal.reason));
        });
      }
      return answer;
    },
  };
  return { client, seen };
}

const review = (status: Record<string, unknown>, code = 201) =>
  Response.json({
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    status,
  }, { status: code });

/** RBAC as a set of "verb resource[/sub]" strings. */
const rbac = (allowed: string[]): Decide => (a) =>
  review({
    allowed: allowed.includes(`${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ""}`),
  });

const editor = { id: "u-editor", role: "editor" as const };
const viewer = { id: "u-viewer", role: "viewer" as const };
const kubeconfigCluster = {
  id: "c1",
  impersonate: false,
  connection_type: "kubeconfig" as const,
  my_role: "editor" as const,
};

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

Deno.test("permissionsFor: the viewer rule, then the cluster's answers", async (t) => {
  const readOnly = rbac(["get pods", "get pods/log", "list configmaps"]);
  const full = rbac([
    "update pods",
    "delete pods",
    "create pods/exec",
    "create pods/attach",
    "get pods/log",
  ]);
  const cases: {
    name: string;
    cluster: typeof kubeconfigCluster | Record<string, unknown>;
    user: { id: string; role: "admin" | "editor" | "viewer" | "none" };
    decide: Decide;
    want: Record<Action, Partial<Access>>;
    reviews: number;
  }[] = [
    {
      name: "a viewer: writes refused without asking; logs asked",
      cluster: { ...kubeconfigCluster, my_role: "viewer" },
      user: editor,
      decide: full,
      want: {
        update: { allowed: false, reason: VIEWER_REASON },
        delete: { allowed: false, reason: VIEWER_REASON },
        exec: { allowed: false, reason: VIEWER_REASON },
        attach: { allowed: false, reason: VIEWER_REASON },
        log: { allowed: true },
      } as Record<Action, Partial<Access>>,
      reviews: 1,
    },
    {
      name: "a global viewer with no my_role",
      cluster: { id: "c1" },
      user: viewer,
      decide: full,
      want: {
        update: { allowed: false, reason: VIEWER_REASON },
        delete: { allowed: false, reason: VIEWER_REASON },
        exec: { allowed: false, reason: VIEWER_REASON },
        attach: { allowed: false, reason: VIEWER_REASON },
        log: { allowed: true },
      } as Record<Action, Partial<Access>>,
      reviews: 1,
    },
    {
      name: "an editor on a read-only cluster identity",
      cluster: kubeconfigCluster,
      user: editor,
      decide: readOnly,
      want: {
        update: {
          allowed: false,
          reason:
            "the cluster's RBAC does not allow update on pods for the dashboard's identity on this cluster (the kubeconfig's user)",
        },
        delete: {
          allowed: false,
          reason:
            "the cluster's RBAC does not allow delete on pods for the dashboard's identity on this cluster (the kubeconfig's user)",
        },
        exec: {
          allowed: false,
          reason:
            "the cluster's RBAC does not allow create on pods/exec for the dashboard's identity on this cluster (the kubeconfig's user)",
        },
        attach: {
          allowed: false,
          reason:
            "the cluster's RBAC does not allow create on pods/attach for the dashboard's identity on this cluster (the kubeconfig's user)",
        },
        log: { allowed: true },
      } as Record<Action, Partial<Access>>,
      reviews: 5,
    },
    {
      name: "an impersonated editor denied: 'for you'; the cluster's reason when it gives one",
      cluster: { ...kubeconfigCluster, impersonate: true },
      user: editor,
      decide: (a) =>
        a.verb === "delete"
          ? review({ allowed: false, denied: true, reason: "namespace e2e is frozen" })
          : full(a),
      want: {
        update: { allowed: true },
        delete: { allowed: false, reason: "namespace e2e is frozen" },
        exec: { allowed: true },
        attach: { allowed: true },
        log: { allowed: true },
      } as Record<Action, Partial<Access>>,
      reviews: 5,
    },
    {
      name: "an admin on a full-access cluster",
      cluster: { ...kubeconfigCluster, my_role: "admin" },
      user: { id: "u-admin", role: "admin" },
      decide: full,
      want: {
        update: { allowed: true },
        delete: { allowed: true },
        exec: { allowed: true },
        attach: { allowed: true },
        log: { allowed: true },
      } as Record<Action, Partial<Access>>,
      reviews: 5,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { client, seen } = fakeClient(c.decide);
      const got = await permissionsFor(
        client,
        c.cluster as typeof kubeconfigCluster,
        c.user,
        pods,
        "e2e",
        "hello",
        { actions: objectActions(pods), cache: new AccessCache() },
      );
      assert.deepEqual(got, c.want);
      assert.equal(seen.length, c.reviews, "reviews sent");
      for (const s of seen) {
        assert.equal(s.method, "POST");
        assert.equal(s.path, SSAR_PATH);
        assert.equal(s.headers.get("content-type"), "application/json");
        assert.equal(s.attrs.namespace, "e2e");
        assert.equal(s.attrs.name, "hello");
      }
    });
  }
});

Deno.test("permissionsFor: a workload's scale (patch, else update, on /scale) and patch", async (t) => {
  const deployments: ResourceRef = {
    ...pods,
    group: "apps",
    resource: "deployments",
    kind: "Deployment",
  };
  const forKubeconfig = (what: string) =>
    `the cluster's RBAC does not allow ${what} for the dashboard's identity on this cluster (the kubeconfig's user)`;
  const cases: {
    name: string;
    cluster?: Record<string, unknown>;
    decide: Decide;
    want: Permissions;
    /** The reviews sent, as "verb resource[/sub]". */
    reviews: string[];
  }[] = [
    {
      name: "patch allowed on both: one review each, scale by patch",
      decide: rbac(["patch deployments/scale", "patch deployments"]),
      want: { scale: { allowed: true }, patch: { allowed: true } },
      reviews: ["patch deployments/scale", "patch deployments"],
    },
    {
      name: "only update on the scale subresource: scale by update",
      decide: rbac(["update deployments/scale"]),
      want: {
        scale: { allowed: true, verb: "update" },
        patch: { allowed: false, reason: forKubeconfig("patch on deployments.apps") },
      },
      reviews: ["patch deployments/scale", "patch deployments", "update deployments/scale"],
    },
    {
      name: "neither: the denial names both verbs",
      decide: rbac(["get deployments"]),
      want: {
        scale: {
          allowed: false,
          reason: forKubeconfig("patch or update on deployments.apps/scale"),
        },
        patch: { allowed: false, reason: forKubeconfig("patch on deployments.apps") },
      },
      reviews: ["patch deployments/scale", "patch deployments", "update deployments/scale"],
    },
    {
      name: "impersonating, denied with the cluster's own reason",
      cluster: { ...kubeconfigCluster, impersonate: true },
      decide: (a) =>
        a.subresource === "scale"
          ? review({ allowed: false, denied: true, reason: "scaling is frozen" })
          : review({ allowed: true }),
      want: { scale: { allowed: false, reason: "scaling is frozen" }, patch: { allowed: true } },
      reviews: ["patch deployments/scale", "patch deployments", "update deployments/scale"],
    },
    {
      name: "a viewer: both refused without asking",
      cluster: { ...kubeconfigCluster, my_role: "viewer" },
      decide: rbac(["patch deployments/scale", "patch deployments"]),
      want: {
        scale: { allowed: false, reason: VIEWER_REASON },
        patch: { allowed: false, reason: VIEWER_REASON },
      },
      reviews: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { client, seen } = fakeClient(c.decide);
      const got = await permissionsFor(
        client,
        (c.cluster ?? kubeconfigCluster) as typeof kubeconfigCluster,
        editor,
        deployments,
        "prod",
        "web",
        { actions: ["scale", "patch"], cache: new AccessCache() },
      );
      assert.deepEqual(got, c.want);
      assert.deepEqual(
        seen.map((s) =>
          `${s.attrs.verb} ${s.attrs.resource}${
            s.attrs.subresource ? `/${s.attrs.subresource}` : ""
          }`
        ).sort(),
        [...c.reviews].sort(),
      );
      for (const s of seen) {
        assert.equal(s.attrs.group, "apps");
        assert.equal(s.attrs.namespace, "prod");
        assert.equal(s.attrs.name, "web");
      }
    });
  }
});

Deno.test("permissionsFor: a failed review leaves the action enabled, unknown, and says why", async (t) => {
  const cases: { name: string; decide: Decide; detail: RegExp }[] = [
    {
      name: "403 on the review",
      decide: () =>
        Response.json({
          kind: "Status",
          status: "Failure",
          message: 'selfsubjectaccessreviews.authorization.k8s.io is forbidden: User "x"',
          code: 403,
        }, { status: 403 }),
      detail: /HTTP 403: selfsubjectaccessreviews\.authorization\.k8s\.io is forbidden/,
    },
    {
      name: "404: an old cluster without authorization.k8s.io/v1",
      decide: () => new Response("404 page not found", { status: 404 }),
      detail: /HTTP 404: 404 page not found/,
    },
    {
      name: "an answer that is no review",
      decide: () => Response.json({ kind: "Status" }, { status: 201 }),
      detail: /not a SelfSubjectAccessReview/,
    },
    {
      name: "the client fails (cluster unreachable)",
      decide: () => Promise.reject(new Error("connection refused")),
      detail: /connection refused/,
    },
    { name: "no answer in time", decide: () => "hang", detail: /no answer within 0\.05 s/ },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { client } = fakeClient(c.decide);
      const started = performance.now();
      const got = await permissionsFor(client, kubeconfigCluster, editor, configmaps, "e2e", "a", {
        actions: ["update", "delete"],
        cache: new AccessCache(),
        timeoutMs: 50,
      });
      assert(performance.now() - started < 2_000, "never waits past the timeout");
      for (const action of ["update", "delete"] as const) {
        const a = got[action]!;
        assert.equal(a.allowed, true, action);
        assert.equal(a.unknown, true, action);
        assert.match(a.reason ?? "", /could not ask the cluster/);
        assert.match(a.reason ?? "", c.detail);
        assert.match(a.reason ?? "", /the cluster still decides/);
      }
    });
  }
});

Deno.test("permissionsFor caches answers: hits within the TTL, expiry, failures briefly", async () => {
  let allowed = true;
  let failing = false;
  const { client, seen } = fakeClient(() =>
    failing ? new Response("boom", { status: 500 }) : review({ allowed })
  );
  const cache = new AccessCache();
  const c = clock();
  const ask = () =>
    permissionsFor(client, kubeconfigCluster, editor, configmaps, "e2e", "a", {
      actions: ["delete"],
      cache,
      now: c.now,
    });

  assert.deepEqual(await ask(), { delete: { allowed: true } });
  assert.equal(seen.length, 1);
  allowed = false; // a RoleBinding removed on the cluster
  c.advance(ANSWER_TTL_MS - 1);
  assert.deepEqual(await ask(), { delete: { allowed: true } }, "cached within the TTL");
  assert.equal(seen.length, 1);
  c.advance(1);
  assert.equal((await ask()).delete?.allowed, false, "asked again after the TTL");
  assert.equal(seen.length, 2);

  // Failures are kept only FAILURE_TTL_MS.
  c.advance(ANSWER_TTL_MS);
  failing = true;
  assert.equal((await ask()).delete?.unknown, true);
  assert.equal(seen.length, 3);
  failing = false;
  c.advance(FAILURE_TTL_MS - 1);
  assert.equal((await ask()).delete?.unknown, true, "the failure is cached briefly");
  assert.equal(seen.length, 3);
  c.advance(1);
  assert.equal((await ask()).delete?.allowed, false, "asked again after FAILURE_TTL_MS");
  assert.equal(seen.length, 4);
});

Deno.test("permissionsFor: the cache key has the cluster, person, role, impersonation and attributes", async () => {
  const { client, seen } = fakeClient(() => review({ allowed: true }));
  const cache = new AccessCache();
  const ask = (
    cluster: typeof kubeconfigCluster,
    user: typeof editor,
    ns: string,
    name: string,
    action: Action = "delete",
  ) => permissionsFor(client, cluster, user, configmaps, ns, name, { actions: [action], cache });
  await ask(kubeconfigCluster, editor, "e2e", "a");
  await ask(kubeconfigCluster, editor, "e2e", "a");
  assert.equal(seen.length, 1, "same attributes: one review");
  const variants: [typeof kubeconfigCluster, typeof editor, string, string, Action][] = [
    [{ ...kubeconfigCluster, id: "c2" }, editor, "e2e", "a", "delete"],
    [kubeconfigCluster, { id: "u2", role: "editor" }, "e2e", "a", "delete"],
    [{ ...kubeconfigCluster, my_role: "admin" as never }, editor, "e2e", "a", "delete"],
    [{ ...kubeconfigCluster, impersonate: true }, editor, "e2e", "a", "delete"],
    [kubeconfigCluster, editor, "other", "a", "delete"],
    [kubeconfigCluster, editor, "e2e", "b", "delete"],
    [kubeconfigCluster, editor, "e2e", "a", "update"],
  ];
  for (const v of variants) await ask(...v);
  assert.equal(seen.length, 1 + variants.length, "each variant asked once");
  for (const v of variants) await ask(...v);
  assert.equal(seen.length, 1 + variants.length, "then all cached");
});

Deno.test("AccessCache is bounded and drops the least recently used first", () => {
  const cache = new AccessCache(3);
  const yes = { allowed: true };
  cache.set("a", yes, 1000, 0);
  cache.set("b", yes, 1000, 0);
  cache.set("c", yes, 1000, 0);
  assert.equal(cache.get("a", 1), yes, "a used: now the most recent");
  cache.set("d", yes, 1000, 1);
  assert.equal(cache.size, 3);
  assert.equal(cache.get("b", 2), undefined, "b was the least recently used");
  assert.equal(cache.get("a", 2), yes);
  assert.equal(cache.get("c", 2), yes);
  assert.equal(cache.get("d", 2), yes);
  assert.equal(cache.get("d", 1001), undefined, "expired");
  assert.equal(cache.size, 2, "an expired entry is dropped when seen");

  const big = new AccessCache();
  for (let i = 0; i < big.max + 100; i++) big.set(`k${i}`, yes, 1000, 0);
  assert.equal(big.size, big.max);
  assert.equal(big.max, 5_000);
  assert.equal(big.get("k0", 1), undefined);
  assert.equal(big.get(`k${big.max + 99}`, 1), yes);
});

Deno.test("rowPermission: a namespace, all namespaces, and per namespace of the rows", async (t) => {
  const perNamespace: Decide = (a) => review({ allowed: a.namespace === "team-a" });
  const cases: {
    name: string;
    decide: Decide;
    namespace: string;
    rows: string[];
    user?: typeof editor | typeof viewer;
    want: { all: Partial<Access>; byNamespace?: Record<string, Access> };
    reviews: number;
  }[] = [
    {
      name: "in one namespace: one review",
      decide: perNamespace,
      namespace: "team-a",
      rows: ["team-a"],
      want: { all: { allowed: true } },
      reviews: 1,
    },
    {
      name: "across all namespaces, allowed: one review",
      decide: () => review({ allowed: true }),
      namespace: "",
      rows: ["a", "b"],
      want: { all: { allowed: true } },
      reviews: 1,
    },
    {
      name: "across all, allowed in some: per namespace of the rows",
      decide: perNamespace,
      namespace: "",
      rows: ["team-b", "team-a", "team-a", ""],
      want: {
        all: { allowed: true, unknown: true },
        byNamespace: {
          "team-a": { allowed: true },
          "team-b": {
            allowed: false,
            reason:
              "the cluster's RBAC does not allow delete on configmaps for the dashboard's identity on this cluster (the kubeconfig's user)",
          },
        },
      },
      reviews: 3,
    },
    {
      name: "across all, denied everywhere asked: the cluster-wide denial stands",
      decide: () => review({ allowed: false }),
      namespace: "",
      rows: ["x", "y"],
      want: { all: { allowed: false } },
      reviews: 3,
    },
    {
      name: "a viewer: no review at all",
      decide: () => review({ allowed: true }),
      namespace: "",
      rows: ["x"],
      user: viewer,
      want: { all: { allowed: false, reason: VIEWER_REASON } },
      reviews: 0,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { client, seen } = fakeClient(c.decide);
      const user = c.user ?? editor;
      const got = await rowPermission(
        client,
        { ...kubeconfigCluster, my_role: user.role },
        user,
        configmaps,
        c.namespace,
        Promise.resolve(c.rows),
        "delete",
        { cache: new AccessCache() },
      );
      assert.equal(seen.length, c.reviews, "reviews");
      assert.deepEqual(
        Object.fromEntries(Object.keys(c.want.all).map((k) => [k, got.all[k as keyof Access]])),
        c.want.all,
      );
      assert.deepEqual(got.byNamespace, c.want.byNamespace);
    });
  }

  await t.step(`at most ${MAX_ROW_NAMESPACES} namespaces asked`, async () => {
    const { client, seen } = fakeClient((a) => review({ allowed: a.namespace === "ns-1" }));
    const rows = Array.from({ length: 60 }, (_, i) => `ns-${i}`);
    const got = await rowPermission(
      client,
      kubeconfigCluster,
      editor,
      configmaps,
      "",
      rows,
      "delete",
      {
        cache: new AccessCache(),
      },
    );
    assert.equal(seen.length, 1 + MAX_ROW_NAMESPACES);
    assert.equal(Object.keys(got.byNamespace ?? {}).length, MAX_ROW_NAMESPACES);
  });
});
