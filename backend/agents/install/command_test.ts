// The install commands the dashboard shows (./command.ts), per preset: what the `curl | bash`
// command passes to install.sh and what the Helm command's values say, impersonation included
// (on by default for the admin preset only). agent/install_test.ts runs both for real.
import assert from "node:assert/strict";
import { helmCommand, installCommand, type InstallParams } from "./command.ts";
import { DEFAULT_AGENT_IMAGE, VERSION } from "../../../common/version.ts";

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
    "image:",
    '  repository: "ghcr.io/kube-dashboard/dashboard-agent"',
    `  tag: "${VERSION}"`,
  ]);
});

Deno.test("install commands: the agent image and its pull Secrets", () => {
  const D = `sha256:${"ef".repeat(32)}`;
  const cases: Array<{
    name: string;
    params: Partial<InstallParams>;
    /** The image arguments of the install command. */
    args: string[];
    /** The image lines of the Helm values. */
    values: string[];
  }> = [
    {
      name: "default: the project's image for this version",
      params: {},
      args: ["--image", `'${DEFAULT_AGENT_IMAGE}'`],
      values: [
        "image:",
        '  repository: "ghcr.io/kube-dashboard/dashboard-agent"',
        `  tag: "${VERSION}"`,
      ],
    },
    {
      name: "a private registry with a port, and pull Secrets",
      params: {
        image: "registry.example.com:5000/team/dashboard-agent:0.1.0-rc.1",
        imagePullSecrets: ["regcred", "mirror.pull"],
      },
      args: [
        "--image",
        "'registry.example.com:5000/team/dashboard-agent:0.1.0-rc.1'",
        "--image-pull-secret",
        "'regcred'",
        "--image-pull-secret",
        "'mirror.pull'",
      ],
      values: [
        "image:",
        '  repository: "registry.example.com:5000/team/dashboard-agent"',
        '  tag: "0.1.0-rc.1"',
        'imagePullSecrets: [{"name":"regcred"},{"name":"mirror.pull"}]',
      ],
    },
    {
      name: "a digest (no tag)",
      params: { image: `mirror.local/dashboard-agent@${D}` },
      args: ["--image", `'mirror.local/dashboard-agent@${D}'`],
      values: ["image:", '  repository: "mirror.local/dashboard-agent"', `  digest: "${D}"`],
    },
    {
      name: "a tag and a digest",
      params: { image: `mirror.local/dashboard-agent:0.1.0@${D}` },
      args: ["--image", `'mirror.local/dashboard-agent:0.1.0@${D}'`],
      values: [
        "image:",
        '  repository: "mirror.local/dashboard-agent"',
        '  tag: "0.1.0"',
        `  digest: "${D}"`,
      ],
    },
    {
      name: "a repository only: the chart's appVersion",
      params: { image: "localhost:5000/agent" },
      args: ["--image", "'localhost:5000/agent'"],
      values: ["image:", '  repository: "localhost:5000/agent"'],
    },
  ];
  for (const c of cases) {
    const p = { ...base, ...c.params };
    const install = installCommand(p).split(" ");
    const args = install.filter((a, i) =>
      a.startsWith("--image") || install[i - 1]?.startsWith("--image")
    );
    assert.deepEqual(args, c.args, `${c.name}: install command`);
    const values = helmValues(helmCommand(p));
    const from = values.indexOf("image:");
    assert.deepEqual(values.slice(from), c.values, `${c.name}: Helm values`);
  }
});

Deno.test("install commands: a hostile image or Secret name never becomes a command", () => {
  const hostile: Array<[Partial<InstallParams>, RegExp]> = [
    [{ image: "x'; touch /tmp/pwned; echo '" }, /Error: image "x'; touch .*": .*path component/],
    [{ image: "agent:1\nimage: {repository: evil}" }, /Error: image .*the tag/],
    [{ image: "agent:$(id)" }, /Error: image .*the tag/],
    [{ image: 'agent"\n  tag: x' }, /Error: image .*the tag " x"/],
    [{ image: "agent@sha256:`id`" }, /Error: image .*the digest/],
    [{ image: "" }, /Error: image "": the image is empty/],
    [{ imagePullSecrets: ["x'; id; '"] }, /Error: imagePullSecrets: .* is not a Secret name/],
    [{ imagePullSecrets: ['a"}]\nrbac: {preset: admin'] }, /is not a Secret name/],
    [{ imagePullSecrets: Array.from({ length: 9 }, (_, i) => `s${i}`) }, /at most 8/],
  ];
  for (const [params, want] of hostile) {
    const p = { ...base, ...params };
    assert.throws(() => installCommand(p), want, JSON.stringify(params));
    assert.throws(() => helmCommand(p), want, JSON.stringify(params));
  }
});
