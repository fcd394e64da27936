// The install commands the dashboard shows (./command.ts), per preset: what the `curl | bash`
// command passes to install.sh and what the Helm command's values say, impersonation included
// (on by default for the admin preset only). agent/install_test.ts runs both for real.
import assert from "node:assert/strict";
import { helmCommand, installCommand, type InstallParams } from "./command.ts";

const base: InstallParams = {
  publicUrl: "https://dash.example.com",
  agentUrl: "https://dash.example.com:9090",
  caHash: `sha256:${"ab".repeat(32)}`,
  clusterName: "prod",
  permissions: { preset: "read-only" },
  chartVersion: "0.1.0",
  chartSha256: "cd".repeat(32),
};

/** The Helm command's here-document: the values, one line each. */
const helmValues = (cmd: string) => cmd.split("<<'EOF'\n")[1].split("\nEOF")[0].split("\n");

Deno.test("install commands: allowImpersonation for the admin preset, unless told otherwise", () => {
  const RULES = [{ apiGroups: [""], resources: ["pods"], verbs: ["get" as const] }];
  const cases: Array<{
    name: string;
    params: Partial<InstallParams>;
    /** The impersonation arguments of the install command. */
    args: string[];
    /** The impersonation lines of the Helm values. */
    values: string[];
  }> = [
    { name: "read-only", params: {}, args: [], values: [] },
    { name: "operator", params: { permissions: { preset: "operator" } }, args: [], values: [] },
    {
      name: "custom",
      params: { permissions: { preset: "custom", rules: RULES } },
      args: [],
      values: [],
    },
    {
      name: "admin: on by default",
      params: { permissions: { preset: "admin" } },
      args: ["--allow-impersonation"],
      values: ["allowImpersonation: true"],
    },
    {
      name: "admin, turned off",
      params: { permissions: { preset: "admin" }, allowImpersonation: false },
      args: [],
      values: [],
    },
    {
      name: "read-only, turned on",
      params: { allowImpersonation: true },
      args: ["--allow-impersonation"],
      values: ["allowImpersonation: true"],
    },
    {
      name: "admin with the default prefix: not repeated",
      params: { permissions: { preset: "admin" }, impersonationPrefix: "dashboard:" },
      args: ["--allow-impersonation"],
      values: ["allowImpersonation: true"],
    },
    {
      name: "admin with another prefix",
      params: { permissions: { preset: "admin" }, impersonationPrefix: "kd-" },
      args: ["--allow-impersonation", "--impersonation-prefix", "'kd-'"],
      values: ["allowImpersonation: true", 'impersonationPrefix: "kd-"'],
    },
    {
      name: "a prefix without impersonation is left out",
      params: { impersonationPrefix: "kd-" },
      args: [],
      values: [],
    },
  ];
  for (const c of cases) {
    const p = { ...base, ...c.params };
    const install = installCommand(p).split(" ");
    const args = install.filter((a, i) =>
      a.startsWith("--allow-imp") || a.startsWith("--impersonation") ||
      install[i - 1] === "--impersonation-prefix"
    );
    assert.deepEqual(args, c.args, `${c.name}: install command`);
    assert.ok(install.includes(`'${p.permissions.preset}'`), `${c.name}: the preset`);
    const values = helmValues(helmCommand(p)).filter((l) => /^(allowImp|impersonation)/.test(l));
    assert.deepEqual(values, c.values, `${c.name}: Helm values`);
  }
});

Deno.test("install commands: the Helm values for admin, whole", () => {
  assert.deepEqual(helmValues(helmCommand({ ...base, permissions: { preset: "admin" } })), [
    'clusterName: "prod"',
    "dashboard:",
    '  url: "https://dash.example.com:9090"',
    `  caHash: "sha256:${"ab".repeat(32)}"`,
    "rbac:",
    '  preset: "admin"',
    "allowImpersonation: true",
  ]);
});
