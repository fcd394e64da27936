// The agent's Helm chart, with the REAL helm and kube-apiserver: lint, rendering of every
// preset, schema errors for wrong values, and for each preset a real install whose
// ServiceAccount then runs the REAL agent (outside a pod, as the pod would: the chart's
// ConfigMap as environment, the token from the chart's Secret, the credential kept in the
// chart's credential Secret) connected to a real dashboard, checking through the dashboard's
// proxy that what the preset allows works and what it forbids is refused (403). With
// allowImpersonation, `kubectl auth can-i` as the agent's ServiceAccount shows exactly what
// impersonation the chart grants.
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import {
  type ControlPlane,
  ensureNamespace,
  kubeRequest,
  sharedControlPlane,
  tokenKubeconfig,
} from "../../tools/testenv/mod.ts";
import { startTestDashboard, type TestDashboard } from "../../testing/harness.ts";
import { CHART, installChart, RELEASE, startChartAgent } from "../../testing/chart.ts";
import { eventually } from "../../testing/eventually.ts";
import { getCluster, waitForAgentCluster } from "../../testing/clusters.ts";
import { DEFAULT_AGENT_IMAGE, VERSION } from "../../common/version.ts";

const HASH = `sha256:${"ab".repeat(32)}`;
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
const CREDENTIAL_SECRET = "dashboard-agent-credential";

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type Manifest = {
  kind: string;
  metadata: {
    name: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // deno-lint-ignore no-explicit-any
  [k: string]: any;
};

const baseValues = (extra: Record<string, unknown> = {}) => ({
  dashboard: { url: "https://dashboard.example.com:9090", caHash: HASH },
  token: TOKEN,
  clusterName: "prod-1",
  ...extra,
});

async function template(cp: ControlPlane, values: unknown, args: string[] = []) {
  // JSON is YAML: the values go in through stdin, as the dashboard's helm command does.
  return await cp.helm(
    ["template", RELEASE, CHART, "--namespace", "agents", "--values", "-", ...args],
    { stdin: JSON.stringify(values) },
  );
}

function manifests(yamlText: string): Manifest[] {
  return parseAllDocuments(yamlText).map((d) => d.toJS() as Manifest).filter(Boolean);
}

const one = (ms: Manifest[], kind: string) => {
  const found = ms.filter((m) => m.kind === kind);
  assert.equal(found.length, 1, `exactly one ${kind}`);
  return found[0];
};

/** The rules of the built-in cluster-admin ClusterRole, for a binding to it. */
const CLUSTER_ADMIN_RULES: Rule[] = [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }];

/**
 * What the rules allow on core Secrets, rules limited by resourceNames included: each verb
 * (sorted) with the names it is limited to, or ["*"] for every Secret.
 */
function secretAccess(rules: Rule[]): Record<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const r of rules) {
    if (!r.apiGroups.includes("") && !r.apiGroups.includes("*")) continue;
    if (!r.resources.includes("secrets") && !r.resources.includes("*")) continue;
    for (const verb of r.verbs) {
      const names = out.get(verb) ?? new Set<string>();
      for (const n of r.resourceNames?.length ? r.resourceNames : ["*"]) names.add(n);
      out.set(verb, names);
    }
  }
  return Object.fromEntries(
    [...out].sort(([a], [b]) => a < b ? -1 : 1).map(([v, names]) => [
      v,
      names.has("*") ? ["*"] : [...names].sort(),
    ]),
  );
}

/** What every non-admin preset may do to Secrets: read and rewrite its own credential, only. */
const CREDENTIAL_ONLY = { get: [CREDENTIAL_SECRET], update: [CREDENTIAL_SECRET] };

const CUSTOM_RULES: Rule[] = [
  { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] },
];

/** What allowImpersonation adds to the ClusterRole of read-only, operator and custom. */
const IMPERSONATE_RULE: Rule = {
  apiGroups: [""],
  resources: ["users", "groups"],
  verbs: ["impersonate"],
};

Deno.test("secretAccess counts every rule that reaches Secrets, resourceNames included", () => {
  const cases: Array<[rules: Rule[], want: Record<string, string[]>]> = [
    [[], {}],
    [[{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }], {}],
    [[{ apiGroups: ["apps"], resources: ["*"], verbs: ["get"] }], {}],
    [[{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }], { list: ["*"] }],
    [[{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }], { "*": ["*"] }],
    [[{ apiGroups: [""], resources: ["secrets"], resourceNames: [], verbs: ["get"] }], {
      get: ["*"],
    }],
    [[
      { apiGroups: [""], resources: ["secrets"], resourceNames: ["b", "a"], verbs: ["get"] },
      { apiGroups: [""], resources: ["secrets"], resourceNames: ["c"], verbs: ["get", "patch"] },
    ], { get: ["a", "b", "c"], patch: ["c"] }],
    [[
      { apiGroups: [""], resources: ["secrets"], resourceNames: ["a"], verbs: ["get"] },
      { apiGroups: [""], resources: ["*"], verbs: ["get"] },
    ], { get: ["*"] }],
  ];
  for (const [rules, want] of cases) {
    assert.deepEqual(secretAccess(rules), want, JSON.stringify(rules));
  }
});

Deno.test("chart: metadata, lint and rendering of every preset", async (t) => {
  const cp = await sharedControlPlane();

  await t.step("Chart.yaml version and appVersion are the release VERSION", async () => {
    const chart = (await cp.helm(["show", "chart", CHART])).stdout;
    assert.match(chart, new RegExp(`^version: ${VERSION.replaceAll(".", "\\.")}$`, "m"));
    assert.match(chart, new RegExp(`^appVersion: "?${VERSION.replaceAll(".", "\\.")}"?$`, "m"));
  });

  await t.step("helm lint --strict passes", async () => {
    for (
      const values of [
        baseValues(),
        baseValues({ rbac: { preset: "custom", rules: CUSTOM_RULES } }),
      ]
    ) {
      const r = await cp.helm(["lint", "--strict", CHART, "--values", "-"], {
        stdin: JSON.stringify(values),
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  const presets: Array<{
    preset: string;
    check: (role: Manifest | undefined, binding: Manifest) => void;
    /** Everything the agent's ServiceAccount may do to Secrets (ClusterRole and Role). */
    secrets: Record<string, string[]>;
  }> = [
    {
      preset: "read-only",
      secrets: CREDENTIAL_ONLY,
      check: (role, binding) => {
        const rules = role!.rules as Rule[];
        assert.equal(binding.roleRef.name, role!.metadata.name);
        assert.ok(rules.every((r) => r.verbs.every((v) => ["get", "list", "watch"].includes(v))));
        assert.ok(rules.every((r) => !r.apiGroups.includes("*")), "no apiGroups '*'");
        const core = rules.find((r) => r.apiGroups.includes(""))!;
        for (const res of ["pods", "pods/log", "nodes", "namespaces", "configmaps", "events"]) {
          assert.ok(core.resources.includes(res), res);
        }
        for (
          const res of ["secrets", "pods/exec", "pods/attach", "pods/portforward", "nodes/proxy"]
        ) {
          assert.ok(!core.resources.includes(res), res);
        }
        const groups = rules.find((r) => r.resources.includes("*"))!;
        for (const g of ["apps", "batch", "apiextensions.k8s.io", "networking.k8s.io"]) {
          assert.ok(groups.apiGroups.includes(g), g);
        }
        assert.ok(!groups.apiGroups.includes(""), "the core group is never read with '*'");
      },
    },
    {
      preset: "operator",
      secrets: CREDENTIAL_ONLY,
      check: (role) => {
        const rules = role!.rules as Rule[];
        const can = (group: string, resource: string, verb: string) =>
          rules.some((r) =>
            r.apiGroups.includes(group) &&
            (r.resources.includes(resource) || r.resources.includes("*")) && r.verbs.includes(verb)
          );
        assert.ok(can("apps", "deployments/scale", "patch"));
        assert.ok(can("apps", "statefulsets", "delete"));
        assert.ok(can("", "pods", "delete"));
        assert.ok(can("", "pods/eviction", "create"));
        assert.ok(can("networking.k8s.io", "ingresses", "create"));
        assert.ok(can("batch", "cronjobs", "update"));
        assert.ok(!can("rbac.authorization.k8s.io", "clusterroles", "create"), "no RBAC writes");
        assert.ok(!rules.some((r) => r.verbs.includes("impersonate") || r.verbs.includes("*")));
        assert.ok(!can("", "pods/exec", "create"));
      },
    },
    {
      preset: "admin",
      secrets: { "*": ["*"], ...CREDENTIAL_ONLY },
      check: (role, binding) => {
        assert.equal(role, undefined, "admin renders no ClusterRole of its own");
        assert.equal(binding.roleRef.name, "cluster-admin");
      },
    },
    {
      preset: "custom",
      secrets: CREDENTIAL_ONLY,
      check: (role) => assert.deepEqual(role!.rules, CUSTOM_RULES),
    },
  ];
  for (const { preset, check, secrets: secretsAllowed } of presets) {
    await t.step(`helm template renders preset ${preset}`, async () => {
      const r = await template(
        cp,
        baseValues({ rbac: { preset, ...(preset === "custom" ? { rules: CUSTOM_RULES } : {}) } }),
      );
      assert.equal(r.code, 0, r.stderr);
      const ms = manifests(r.stdout);
      const roles = ms.filter((m) => m.kind === "ClusterRole");
      assert.ok(roles.length <= 1);
      check(roles[0], one(ms, "ClusterRoleBinding"));

      // The same hardened pod, Role and Secrets whatever the preset.
      const dep = one(ms, "Deployment");
      const pod = dep.spec.template.spec;
      const c = pod.containers[0];
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
      assert.equal(pod.automountServiceAccountToken, true);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
      assert.equal(c.securityContext.seccompProfile.type, "RuntimeDefault");
      assert.equal(c.livenessProbe.httpGet.path, "/healthz");
      assert.equal(c.readinessProbe.httpGet.path, "/readyz");
      assert.equal(c.ports[0].containerPort, 8081);
      assert.equal(c.args, undefined, "no args: the token never goes on a command line");
      // The chart's default is the dashboard's default AGENT_IMAGE.
      assert.equal(c.image, DEFAULT_AGENT_IMAGE);
      assert.equal(pod.imagePullSecrets, undefined);
      const env = Object.fromEntries(
        (c.env as { name: string; valueFrom?: unknown }[]).map((e) => [e.name, e.valueFrom]),
      );
      assert.deepEqual(env.TOKEN, {
        secretKeyRef: { name: `${RELEASE}-token`, key: "token" },
      });
      assert.deepEqual(env.POD_NAMESPACE, { fieldRef: { fieldPath: "metadata.namespace" } });
      assert.equal(pod.serviceAccountName, RELEASE);
      for (const m of ms) {
        assert.equal(m.metadata.labels["app.kubernetes.io/name"], "dashboard-agent", m.kind);
        assert.equal(m.metadata.labels["app.kubernetes.io/instance"], RELEASE, m.kind);
        assert.equal(m.metadata.labels["app.kubernetes.io/managed-by"], "Helm", m.kind);
      }

      const cm = one(ms, "ConfigMap");
      assert.deepEqual(cm.data, {
        DASHBOARD_URL: "https://dashboard.example.com:9090",
        CA_HASH: HASH,
        INSECURE: "false",
        CLUSTER_NAME: "prod-1",
        CREDENTIAL_SECRET,
        HEALTH_ADDR: "0.0.0.0:8081",
        LOG_LEVEL: "info",
        MAX_CONCURRENT_REQUESTS: "128",
        ALLOW_IMPERSONATION: "false",
        IMPERSONATION_PREFIX: "dashboard:",
      });
      assert.ok(!JSON.stringify(cm).includes(TOKEN), "the token is not in the ConfigMap");

      const secrets = ms.filter((m) => m.kind === "Secret");
      assert.equal(secrets.length, 2);
      const tokenSecret = secrets.find((s) => s.metadata.name === `${RELEASE}-token`)!;
      assert.equal(atob(tokenSecret.data.token), TOKEN);
      const cred = secrets.find((s) => s.metadata.name === CREDENTIAL_SECRET)!;
      assert.equal(cred.data, undefined, "the agent fills the credential Secret");
      assert.equal(cred.metadata.annotations?.["helm.sh/resource-policy"], "keep");

      const role = one(ms, "Role");
      assert.deepEqual(role.rules, [
        {
          apiGroups: [""],
          resources: ["secrets"],
          resourceNames: [CREDENTIAL_SECRET],
          verbs: ["get", "update"],
        },
      ]);
      const rb = one(ms, "RoleBinding");
      assert.equal(rb.roleRef.name, role.metadata.name);
      // Exactly what the ServiceAccount may do to Secrets, resourceNames-limited rules included.
      const binding = one(ms, "ClusterRoleBinding");
      const clusterRules = binding.roleRef.name === "cluster-admin"
        ? CLUSTER_ADMIN_RULES
        : roles[0].rules as Rule[];
      assert.deepEqual(
        secretAccess([...clusterRules, ...role.rules as Rule[]]),
        secretsAllowed,
        `${preset}: access to Secrets`,
      );
      assert.equal(one(ms, "ServiceAccount").metadata.name, RELEASE);
      assert.ok(
        !roles.some((r) => (r.rules as Rule[]).some((x) => x.verbs.includes("impersonate"))),
        "no impersonation unless allowImpersonation",
      );
    });
  }

  await t.step("allowImpersonation: impersonate users and groups, for every preset", async () => {
    for (const preset of ["read-only", "operator", "admin", "custom"]) {
      const r = await template(
        cp,
        baseValues({
          rbac: { preset, ...(preset === "custom" ? { rules: CUSTOM_RULES } : {}) },
          allowImpersonation: true,
          impersonationPrefix: "kd-",
        }),
      );
      assert.equal(r.code, 0, r.stderr);
      const ms = manifests(r.stdout);
      const cm = one(ms, "ConfigMap").data;
      assert.equal(cm.ALLOW_IMPERSONATION, "true");
      assert.equal(cm.IMPERSONATION_PREFIX, "kd-");
      const roles = ms.filter((m) => m.kind === "ClusterRole");
      const bindings = ms.filter((m) => m.kind === "ClusterRoleBinding");
      // The dashboard's role groups are bound for the admin preset only.
      const roleGroups = bindings
        .filter((b) => b.subjects[0].kind === "Group")
        .map((b) => `${b.subjects[0].name}=${b.roleRef.name}`).sort();
      assert.deepEqual(
        roleGroups,
        preset === "admin"
          ? ["kd-role:admin=cluster-admin", "kd-role:editor=edit", "kd-role:viewer=view"]
          : [],
        preset,
      );
      if (preset === "admin") {
        // cluster-admin may impersonate anyone already.
        assert.equal(roles.length, 0);
        const sa = bindings.filter((b) => b.subjects[0].kind === "ServiceAccount");
        assert.deepEqual(sa.map((b) => b.roleRef.name), ["cluster-admin"]);
        const off = await template(
          cp,
          baseValues({ rbac: { preset }, allowImpersonation: true, dashboardRoleBindings: false }),
        );
        assert.equal(off.code, 0, off.stderr);
        assert.equal(
          manifests(off.stdout).filter((m) => m.kind === "ClusterRoleBinding").length,
          1,
          "dashboardRoleBindings: false binds no role group",
        );
        continue;
      }
      const rules = roles[0].rules as Rule[];
      const impersonating = rules.filter((x) => x.verbs.includes("impersonate"));
      assert.deepEqual(impersonating, [IMPERSONATE_RULE], preset);
      if (preset === "custom") assert.deepEqual(rules, [...CUSTOM_RULES, IMPERSONATE_RULE]);
      // Nothing else changes: the same Secrets access.
      assert.deepEqual(
        secretAccess([...rules, ...one(ms, "Role").rules as Rule[]]),
        CREDENTIAL_ONLY,
        preset,
      );
    }
  });

  await t.step("image: repository, tag, digest and imagePullSecrets", async () => {
    const D = `sha256:${"cd".repeat(32)}`;
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { repository: "registry.example.com:5000/team/agent" },
        `registry.example.com:5000/team/agent:${VERSION}`,
      ],
      [{ repository: "mirror.local/agent", tag: "1.2.3" }, "mirror.local/agent:1.2.3"],
      [{ repository: "mirror.local/agent", digest: D }, `mirror.local/agent@${D}`],
      [
        { repository: "mirror.local/agent", tag: "1.2.3", digest: D },
        `mirror.local/agent:1.2.3@${D}`,
      ],
    ];
    for (const [image, want] of cases) {
      const r = await template(
        cp,
        baseValues({ image, imagePullSecrets: [{ name: "regcred" }, { name: "mirror.pull" }] }),
      );
      assert.equal(r.code, 0, r.stderr);
      const pod = one(manifests(r.stdout), "Deployment").spec.template.spec;
      assert.equal(pod.containers[0].image, want, JSON.stringify(image));
      assert.deepEqual(pod.imagePullSecrets, [{ name: "regcred" }, { name: "mirror.pull" }]);
    }
  });

  await t.step("impersonationPrefix may not name Kubernetes' own system: users", async () => {
    const r = await template(cp, baseValues({ impersonationPrefix: "system:" }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /impersonationPrefix must not start with system:/);
  });

  await t.step("options: existingSecret, insecure, extraEnv, extra API groups", async () => {
    const r = await template(cp, {
      dashboard: { url: "http://10.0.0.1:9090", insecure: true },
      existingSecret: "my-token",
      rbac: { preset: "read-only", extraApiGroups: ["monitoring.coreos.com"] },
      extraEnv: [{ name: "HTTPS_PROXY", value: "http://proxy:3128" }],
      nodeSelector: { "kubernetes.io/os": "linux" },
    });
    assert.equal(r.code, 0, r.stderr);
    const ms = manifests(r.stdout);
    assert.deepEqual(ms.filter((m) => m.kind === "Secret").map((s) => s.metadata.name), [
      CREDENTIAL_SECRET,
    ]);
    const c = one(ms, "Deployment").spec.template.spec.containers[0];
    const tokenEnv = c.env.find((e: { name: string }) => e.name === "TOKEN");
    assert.equal(tokenEnv.valueFrom.secretKeyRef.name, "my-token");
    assert.ok(c.env.some((e: { name: string }) => e.name === "HTTPS_PROXY"));
    assert.equal(one(ms, "ConfigMap").data.INSECURE, "true");
    assert.equal(one(ms, "ConfigMap").data.CA_HASH, undefined);
    const groups = (one(ms, "ClusterRole").rules as Rule[]).find((x) => x.resources[0] === "*")!;
    assert.ok(groups.apiGroups.includes("monitoring.coreos.com"));
  });

  const invalid: Array<{ name: string; values: Record<string, unknown>; error: RegExp }> = [
    {
      name: "unknown preset",
      values: baseValues({ rbac: { preset: "superuser" } }),
      error: /at '\/rbac\/preset': value must be one of 'read-only', 'operator', 'admin', 'custom'/,
    },
    {
      name: "missing dashboard.url",
      values: { ...baseValues(), dashboard: { caHash: HASH } },
      error: /at '\/dashboard': missing property 'url'/,
    },
    {
      name: "missing token",
      values: { dashboard: baseValues().dashboard },
      error: /missing property 'token'/,
    },
    {
      name: "custom without rules",
      values: baseValues({ rbac: { preset: "custom" } }),
      error: /at '\/rbac\/rules': minItems: got 0, want 1/,
    },
    {
      name: "rules without custom",
      values: baseValues({ rbac: { preset: "operator", rules: CUSTOM_RULES } }),
      error: /at '\/rbac\/rules': maxItems: got 1, want 0/,
    },
    {
      name: "bad caHash",
      values: baseValues({ dashboard: { url: "https://d:9090", caHash: "sha256:XYZ" } }),
      error: /at '\/dashboard\/caHash': 'sha256:XYZ' does not match pattern/,
    },
    {
      name: "http without insecure",
      values: baseValues({ dashboard: { url: "http://d:9090" } }),
      error: /at '\/dashboard\/url': 'http:\/\/d:9090' does not match pattern '\^https:\/\/'/,
    },
    {
      name: "cluster name not DNS-1123",
      values: baseValues({ clusterName: 'x"; touch /tmp/pwned; echo "' }),
      error: /at '\/clusterName': .* does not match pattern/,
    },
    {
      name: "bad custom rule verb",
      values: baseValues({
        rbac: {
          preset: "custom",
          rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["own"] }],
        },
      }),
      error: /at '\/rbac\/rules\/0\/verbs\/0': value must be one of/,
    },
    {
      name: "impersonationPrefix with capitals",
      values: baseValues({ impersonationPrefix: "Dashboard:" }),
      error: /at '\/impersonationPrefix': 'Dashboard:' does not match pattern/,
    },
    {
      name: "impersonationPrefix without a final separator",
      values: baseValues({ impersonationPrefix: "dashboard" }),
      error: /at '\/impersonationPrefix': 'dashboard' does not match pattern/,
    },
    {
      name: "allowImpersonation not a boolean",
      values: baseValues({ allowImpersonation: "yes" }),
      error: /at '\/allowImpersonation': got string, want boolean/,
    },
    {
      name: "image digest not sha256",
      values: baseValues({ image: { repository: "r.io/agent", digest: "sha256:abc" } }),
      error: /at '\/image\/digest': 'sha256:abc' does not match pattern/,
    },
    {
      name: "image repository with capitals or shell code",
      values: baseValues({ image: { repository: "r.io/Agent'; id" } }),
      error: /at '\/image\/repository': .* does not match pattern/,
    },
    {
      name: "image tag with a space",
      values: baseValues({ image: { repository: "r.io/agent", tag: "1 2" } }),
      error: /at '\/image\/tag': '1 2' does not match pattern/,
    },
    {
      name: "imagePullSecrets as plain names",
      values: baseValues({ imagePullSecrets: ["regcred"] }),
      error: /at '\/imagePullSecrets\/0': got string, want object/,
    },
    {
      name: "imagePullSecrets with a bad name",
      values: baseValues({ imagePullSecrets: [{ name: "Reg Cred" }] }),
      error: /at '\/imagePullSecrets\/0\/name': 'Reg Cred' does not match pattern/,
    },
    {
      name: "misspelt key",
      values: baseValues({ clustername: "x" }),
      error: /additional properties 'clustername' not allowed/,
    },
  ];
  for (const { name, values, error } of invalid) {
    await t.step(`invalid values fail with a schema error: ${name}`, async () => {
      const r = await template(cp, values);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /values don't meet the specifications of the schema/);
      assert.match(r.stderr, error);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Real installs, real agent

/** A request through the dashboard's Kubernetes proxy as the dashboard admin. */
async function k8s(
  t: TestDashboard,
  clusterId: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const res = await t.fetch(`/api/clusters/${clusterId}/k8s${path}`, {
    method,
    headers: {
      authorization: `Bearer ${t.adminToken}`,
      ...(body === undefined ? {} : {
        "content-type": method === "PATCH" ? "application/merge-patch+json" : "application/json",
      }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

const WL = "workloads";
const scale = (replicas: number) =>
  ["PATCH", `/apis/apps/v1/namespaces/${WL}/deployments/web/scale`, {
    spec: { replicas },
  }] as const;

async function seedCluster(cp: ControlPlane): Promise<void> {
  await ensureNamespace(cp, WL);
  const ok = async (method: string, path: string, body: unknown) => {
    const r = await kubeRequest(cp, method, path, body);
    assert.ok(r.status < 300 || r.status === 409, `${method} ${path}: ${JSON.stringify(r.body)}`);
  };
  await ok("POST", `/api/v1/namespaces/${WL}/secrets`, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s1" },
    stringData: { password: "hunter2" },
  });
  await ok("POST", `/apis/apps/v1/namespaces/${WL}/deployments`, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "registry.example/web:1" }] },
      },
    },
  });
  for (const p of ["read-only", "operator", "admin", "custom"]) {
    await ok("POST", `/api/v1/namespaces/${WL}/pods`, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `victim-${p}` },
      spec: { containers: [{ name: "c", image: "registry.example/app:1" }] },
    });
  }
  // A CRD: read-only reads custom resources because the chart looks up the served API groups.
  await ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget" },
      versions: [{
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        },
      }],
    },
  });
  await eventually(
    "the CRD's APIService",
    async () =>
      (await kubeRequest(cp, "GET", "/apis/apiregistration.k8s.io/v1/apiservices/v1.example.com"))
        .status === 200,
  );
  await eventually(
    "the CRD served",
    async () =>
      (await kubeRequest(cp, "POST", `/apis/example.com/v1/namespaces/${WL}/widgets`, {
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "w1" },
      })).status < 300,
  );
}

async function storedCredential(cp: ControlPlane, ns: string) {
  const r = await kubeRequest(cp, "GET", `/api/v1/namespaces/${ns}/secrets/${CREDENTIAL_SECRET}`);
  assert.equal(r.status, 200);
  const raw = (r.body as { data?: Record<string, string> }).data?.["credential.json"];
  return raw ? JSON.parse(atob(raw)) as { cluster_id: string; credential: string } : null;
}

type Check = readonly [method: string, path: string, body: unknown, status: number];
const GET = (path: string, status: number): Check => ["GET", path, undefined, status];

const cases: Array<{
  preset: string;
  rules?: Rule[];
  /** Installed with allowImpersonation, as the install command does for admin. */
  impersonate?: boolean;
  checks: Check[];
}> = [
  {
    preset: "read-only",
    checks: [
      GET(`/api/v1/namespaces/${WL}/pods`, 200),
      GET(`/apis/apps/v1/namespaces/${WL}/deployments/web`, 200),
      GET(`/apis/example.com/v1/namespaces/${WL}/widgets`, 200),
      GET(`/api/v1/nodes`, 200),
      ["DELETE", `/api/v1/namespaces/${WL}/pods/victim-read-only`, undefined, 403],
      GET(`/api/v1/namespaces/${WL}/secrets/s1`, 403),
      GET(`/api/v1/secrets`, 403),
      [...scale(2), 403],
      ["POST", `/api/v1/namespaces/${WL}/configmaps`, {
        metadata: { name: "ro" },
      }, 403],
    ],
  },
  {
    preset: "operator",
    checks: [
      GET(`/api/v1/namespaces/${WL}/pods`, 200),
      [...scale(3), 200],
      ["DELETE", `/api/v1/namespaces/${WL}/pods/victim-operator`, undefined, 200],
      ["POST", `/api/v1/namespaces/${WL}/configmaps`, { metadata: { name: "op" } }, 201],
      GET(`/api/v1/namespaces/${WL}/secrets/s1`, 403),
      GET(`/api/v1/secrets`, 403),
      ["POST", `/api/v1/namespaces/${WL}/secrets`, { metadata: { name: "op" } }, 403],
      ["POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
        metadata: { name: "op-escalate" },
        rules: [],
      }, 403],
    ],
  },
  {
    // The dashboard impersonates its users on clusters added with the admin preset: the checks
    // run as dashboard:admin (group dashboard:role:admin), which the chart binds to cluster-admin.
    preset: "admin",
    impersonate: true,
    checks: [
      GET(`/api/v1/namespaces/${WL}/secrets/s1`, 200),
      ["DELETE", `/api/v1/namespaces/${WL}/pods/victim-admin`, undefined, 200],
      [...scale(1), 200],
    ],
  },
  {
    preset: "custom",
    rules: CUSTOM_RULES,
    checks: [
      GET(`/api/v1/namespaces/${WL}/configmaps`, 200),
      GET(`/api/v1/namespaces/${WL}/pods`, 403),
      GET(`/api/v1/namespaces/${WL}/secrets/s1`, 403),
      ["DELETE", `/api/v1/namespaces/${WL}/pods/victim-custom`, undefined, 403],
    ],
  },
];

Deno.test("chart: every preset installs and its agent gets exactly its permissions", async (t) => {
  const cp = await sharedControlPlane();
  await seedCluster(cp);
  const dash = await startTestDashboard();
  try {
    for (const c of cases) {
      await t.step(`preset ${c.preset}`, async () => {
        const ns = `agent-${c.preset}`;
        const name = `chart-${c.preset}`;
        const tok = await dash.api("POST", "/api/clusters/agent-token", {
          cluster_name: name,
          permissions: c.preset,
          ...(c.rules ? { rules: c.rules } : {}),
        }, dash.adminToken);
        assert.equal(tok.status, 201, tok.text);
        const { token } = tok.json as { token: string };
        const values = {
          dashboard: { url: dash.d.agentUrl, caHash: dash.d.caHash },
          token,
          clusterName: name,
          rbac: { preset: c.preset, ...(c.rules ? { rules: c.rules } : {}) },
          ...(c.impersonate ? { allowImpersonation: true } : {}),
        };
        await installChart(cp, ns, values, ["--create-namespace"]);
        assert.equal(await storedCredential(cp, ns), null, "installed empty");

        let agent = await startChartAgent(dash, cp, ns, { withToken: true });
        try {
          const cluster = await waitForAgentCluster(dash, name, 20_000).catch(async (err) => {
            throw new Error(`${err.message}\n${(await agent.logs()).slice(-3000)}`);
          });
          const cred = await storedCredential(cp, ns);
          assert.equal(cred?.cluster_id, cluster.id, "the credential landed in the chart's Secret");

          // What the agent's own ServiceAccount may do to Secrets, asked of the API server.
          const saKubeconfig = await tokenKubeconfig(
            cp,
            await cp.serviceAccountToken(ns, RELEASE),
          );
          const admin = c.preset === "admin";
          for (
            const [verb, resource, allowed] of [
              ["get", `secrets/${CREDENTIAL_SECRET}`, true],
              ["update", `secrets/${CREDENTIAL_SECRET}`, true],
              ["patch", `secrets/${CREDENTIAL_SECRET}`, admin],
              ["delete", `secrets/${CREDENTIAL_SECRET}`, admin],
              ["get", `secrets/${RELEASE}-token`, admin],
              ["list", "secrets", admin],
              ["watch", "secrets", admin],
              ["create", "secrets", admin],
            ] as const
          ) {
            const r = await cp.kubectl(["auth", "can-i", verb, resource, "--namespace", ns], {
              kubeconfig: saKubeconfig,
            });
            assert.equal(
              r.stdout.trim(),
              allowed ? "yes" : "no",
              `${c.preset}: can-i ${verb} ${resource}: ${r.stderr}`,
            );
          }

          for (const [method, path, body, status] of c.checks) {
            const r = await k8s(dash, cluster.id, method, path, body);
            assert.equal(
              r.status,
              status,
              `${c.preset}: ${method} ${path}: ${r.text.slice(0, 300)}`,
            );
          }
          if (c.impersonate) {
            // The API server saw the agent act as the dashboard's user, not as itself.
            const secretRead = async () =>
              (await cp.auditEvents()).find((e) =>
                e.requestURI === `/api/v1/namespaces/${WL}/secrets/s1` &&
                e.user.username === `system:serviceaccount:${ns}:${RELEASE}` &&
                e.stage === "ResponseComplete"
              );
            await eventually("the Secret read in the audit log", async () => !!await secretRead());
            const e = (await secretRead())!;
            assert.equal(e.impersonatedUser?.username, "dashboard:admin");
            assert.ok(e.impersonatedUser?.groups?.includes("dashboard:role:admin"));
            assert.equal(e.responseStatus?.code, 200);
          }

          if (c.preset === "read-only") {
            // An upgrade keeps the credential (resource-policy keep; data never rendered), and a
            // restarted agent reconnects with it, without any token.
            const up = await cp.helm(
              ["upgrade", RELEASE, CHART, "--namespace", ns, "--values", "-"],
              { stdin: JSON.stringify(values) },
            );
            assert.equal(up.code, 0, up.stderr);
            assert.deepEqual(await storedCredential(cp, ns), cred);
            await agent.stop();
            await eventually(
              "the cluster disconnected",
              async () => (await getCluster(dash, cluster.id)).status !== "connected",
            );
            agent = await startChartAgent(dash, cp, ns, { withToken: false });
            const again = await waitForAgentCluster(dash, name, 20_000);
            assert.equal(again.id, cluster.id);
            const r = await k8s(dash, cluster.id, "GET", `/api/v1/namespaces/${WL}/pods`);
            assert.equal(r.status, 200);
            await agent.stop(); // its log is complete once it has exited
            const logs = await agent.logs();
            assert.match(logs, new RegExp(`"credential":"Secret ${ns}/${CREDENTIAL_SECRET}"`));
            assert.doesNotMatch(logs, /registered with the dashboard/);
          }
        } finally {
          await agent.stop();
        }
      });
    }
  } finally {
    await dash.stop();
  }
});

Deno.test("chart: with allowImpersonation the ServiceAccount may impersonate users and groups only", async (t) => {
  const cp = await sharedControlPlane();
  /** What `kubectl auth can-i impersonate` answers for the agent's ServiceAccount. */
  const probes = [
    "users/dashboard:alice",
    "users/system:admin",
    "groups/dashboard:role:viewer",
    "groups/system:masters",
    "serviceaccounts/default",
    "uids/1234",
    "userextras.authentication.k8s.io/scopes",
  ];
  const cases: Array<{ preset: string; allow: boolean; can: boolean[] }> = [
    // RBAC cannot limit impersonation to a prefix: any user or group (the agent checks names).
    { preset: "read-only", allow: true, can: [true, true, true, true, false, false, false] },
    { preset: "operator", allow: true, can: [true, true, true, true, false, false, false] },
    { preset: "custom", allow: true, can: [true, true, true, true, false, false, false] },
    { preset: "read-only", allow: false, can: [false, false, false, false, false, false, false] },
    { preset: "custom", allow: false, can: [false, false, false, false, false, false, false] },
    // cluster-admin: everything, with or without allowImpersonation.
    { preset: "admin", allow: true, can: [true, true, true, true, true, true, true] },
  ];
  for (const c of cases) {
    await t.step(`${c.preset}, allowImpersonation=${c.allow}`, async () => {
      const ns = `imp-${c.preset}-${c.allow}`;
      await installChart(
        cp,
        ns,
        baseValues({
          rbac: { preset: c.preset, ...(c.preset === "custom" ? { rules: CUSTOM_RULES } : {}) },
          allowImpersonation: c.allow,
        }),
        ["--create-namespace"],
      );
      const kubeconfig = await tokenKubeconfig(cp, await cp.serviceAccountToken(ns, RELEASE), ns);
      const got: boolean[] = [];
      for (const what of probes) {
        const r = await cp.kubectl(["auth", "can-i", "impersonate", what], { kubeconfig });
        assert.match(r.stdout.trim(), /^(yes|no)$/, `can-i impersonate ${what}: ${r.stderr}`);
        got.push(r.stdout.trim() === "yes");
      }
      assert.deepEqual(
        Object.fromEntries(probes.map((p, i) => [p, got[i]])),
        Object.fromEntries(probes.map((p, i) => [p, c.can[i]])),
      );
    });
  }
});
