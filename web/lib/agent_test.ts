import assert from "node:assert/strict";
import {
  agentWaitState,
  buildRules,
  describeRule,
  displayCommand,
  emptyRule,
  PERMISSION_PRESETS,
  presetInfo,
  splitList,
} from "./agent.ts";

Deno.test("presets say what they grant", () => {
  assert.deepEqual(PERMISSION_PRESETS.map((p) => p.id), [
    "read-only",
    "operator",
    "admin",
    "custom",
  ]);
  const ro = presetInfo("read-only")!;
  assert.match(
    ro.grants.join(" "),
    /get, list and watch every resource, including custom resources/,
  );
  assert.match(ro.denies.join(" "), /Secrets/);
  const op = presetInfo("operator")!;
  for (const word of ["Secrets", "RBAC", "impersonation"]) {
    assert.match(op.denies.join(" "), new RegExp(word));
  }
  assert.match(presetInfo("admin")!.summary, /cluster-admin/);
  assert.equal(presetInfo("nope"), undefined);
});

Deno.test("splitList", () => {
  const cases: [string, string[]][] = [
    ["", []],
    ["pods", ["pods"]],
    ["pods, services,,deployments", ["pods", "services", "deployments"]],
    ["  apps batch\n", ["apps", "batch"]],
    ["pods pods", ["pods"]],
  ];
  for (const [input, want] of cases) assert.deepEqual(splitList(input), want);
});

Deno.test("buildRules validates and converts the editor's rows", () => {
  type Case = [string, Parameters<typeof buildRules>[0], RegExp | null, unknown?];
  const cases: Case[] = [
    ["no rules", [], /at least one rule/],
    [
      "core pods",
      [{ apiGroups: "", resources: "pods, pods/log", verbs: ["get", "list"], resourceNames: "" }],
      null,
      [
        { apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list"] },
      ],
    ],
    [
      "core alias",
      [{ apiGroups: "core, apps", resources: "deployments", verbs: ["*"], resourceNames: "" }],
      null,
      [
        { apiGroups: ["", "apps"], resources: ["deployments"], verbs: ["*"] },
      ],
    ],
    [
      "resource names",
      [{
        apiGroups: "",
        resources: "configmaps",
        verbs: ["get", "update"],
        resourceNames: "app-config",
      }],
      null,
      [
        {
          apiGroups: [""],
          resources: ["configmaps"],
          verbs: ["get", "update"],
          resourceNames: ["app-config"],
        },
      ],
    ],
    ["no resources", [{ ...emptyRule(), resources: "" }], /Rule 1: name at least one resource/],
    ["bad resource", [{ ...emptyRule(), resources: "Pods" }], /"Pods" is not a resource name/],
    [
      "bad group",
      [{ ...emptyRule(), apiGroups: "Apps!", resources: "x" }],
      /"Apps!" is not an API group/,
    ],
    ["no verbs", [{ ...emptyRule(), resources: "pods", verbs: [] }], /choose at least one verb/],
    [
      "unknown verb",
      [{ ...emptyRule(), resources: "pods", verbs: ["escalate"] }],
      /unknown verb "escalate"/,
    ],
    [
      "names with list",
      [{ ...emptyRule(), resources: "pods", resourceNames: "a" }],
      /cannot limit list, watch or create/,
    ],
  ];
  for (const [name, drafts, err, rules] of cases) {
    const got = buildRules(drafts);
    if (err) assert.match(got.errors.map((e) => e.message).join("\n"), err, name);
    else {
      assert.deepEqual(got.errors, [], name);
      assert.deepEqual(got.rules, rules, name);
    }
  }
});

Deno.test("describeRule", () => {
  assert.equal(
    describeRule({ apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }),
    "get, list on pods (core)",
  );
  assert.equal(
    describeRule({ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }),
    "every verb on all resources (all groups)",
  );
  assert.equal(
    describeRule({
      apiGroups: ["apps"],
      resources: ["deployments"],
      verbs: ["patch"],
      resourceNames: ["web"],
    }),
    "patch on deployments named web (apps)",
  );
});

Deno.test("displayCommand wraps long commands at flags and pipes", () => {
  assert.equal(displayCommand("echo hi"), "echo hi");
  const curl =
    "curl -fsSL https://dash.example.com/api/agent/install.sh?token=abc | bash -s -- --name prod --token kdr_xyz";
  assert.equal(
    displayCommand(curl),
    "curl -fsSL https://dash.example.com/api/agent/install.sh?token=abc \\\n  | bash -s -- \\\n  --name prod \\\n  --token kdr_xyz",
  );
  // Unwrapping the display gives back the command.
  assert.equal(displayCommand(curl).replaceAll(" \\\n  ", " "), curl);
});

Deno.test("agentWaitState", () => {
  const now = Date.UTC(2026, 0, 1);
  const future = new Date(now + 3600_000).toISOString();
  const past = new Date(now - 1000).toISOString();
  const tok = { cluster_name: "prod", expires_at: future };
  type Case = [
    string,
    Parameters<typeof agentWaitState>[0],
    Parameters<typeof agentWaitState>[1],
    string,
    string | null,
  ];
  const agent = (id: string, name: string, status: string) => ({
    id,
    name,
    connection_type: "agent",
    status,
  });
  const cases: Case[] = [
    ["nothing yet", tok, [], "waiting", null],
    [
      "kubeconfig cluster with the same name does not count",
      tok,
      [{ id: "k", name: "prod", connection_type: "kubeconfig", status: "connected" }],
      "waiting",
      null,
    ],
    ["agent registered, pending", tok, [agent("a", "prod", "pending")], "connecting", "a"],
    ["agent connected by name", tok, [agent("a", "prod", "connected")], "connected", "a"],
    [
      "cluster_id wins over name",
      { ...tok, cluster_id: "b" },
      [agent("a", "prod", "connected"), agent("b", "prod2", "connected")],
      "connected",
      "b",
    ],
    ["expired", { ...tok, expires_at: past }, [], "expired", null],
    ["expired state", { ...tok, state: "expired" }, [], "expired", null],
    ["revoked", { ...tok, state: "revoked" }, [], "revoked", null],
    [
      "used then connected",
      { ...tok, state: "used", cluster_id: "a" },
      [agent("a", "prod", "connected")],
      "connected",
      "a",
    ],
  ];
  for (const [name, token, clusters, state, id] of cases) {
    assert.deepEqual(agentWaitState(token, clusters, now), { state, clusterId: id }, name);
  }
});
