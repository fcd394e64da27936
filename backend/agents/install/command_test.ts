// The install commands the dashboard shows (./command.ts), per preset: what the `curl | bash`
// command passes to install.sh and what the Helm command's values say, impersonation included
// (on by default for the admin preset only), and the install command's shape: the pinned CA and
// install.sh hashes, quoting of hostile values. agent/install_test.ts runs both for real.
import assert from "node:assert/strict";
import {
  helmCommand,
  INSTALL_FUNCTION,
  installCommand,
  type InstallParams,
  shellQuote,
} from "./command.ts";
import { INSTALL_SCRIPT_SHA256 } from "./assets.ts";
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

Deno.test("install command: pins the CA and install.sh, then runs it with the CA file", () => {
  const sha = "12".repeat(32);
  const cmd = installCommand({ ...base, installScriptSha256: sha });
  const lines = cmd.split("\n");
  assert.equal(lines[0], `${INSTALL_FUNCTION}() (`);
  assert.deepEqual(lines.slice(-2), [")", INSTALL_FUNCTION], "appended options reach install.sh");
  assert.ok(lines.includes(`  ca_hash='${base.caHash}'`), cmd);
  assert.ok(lines.includes(`  script_sha256='${sha}'`), cmd);
  assert.ok(lines.includes("  url='https://dash.example.com'"), cmd);
  assert.ok(lines.includes("  hp=${url#https://} && hp=${hp%%/*}:443"), cmd);
  assert.ok(
    lines.includes(
      '  openssl s_client -connect "$hp" -servername "${hp%:*}" -showcerts </dev/null 2>/dev/null |',
    ),
    cmd,
  );
  assert.ok(
    cmd.includes(`curl -fsSL --cacert "$d/ca.pem" -o "$d/install.sh" "$url/api/agents/install.sh"`),
  );
  assert.match(cmd, /\n {4}exit 10\n/);
  const run = lines.find((l) => l.startsWith('  bash "$d/install.sh" '))!;
  assert.ok(run.endsWith(' "$@"'), run);
  assert.ok(run.includes(`--ca-hash '${base.caHash}'`), run);
  assert.ok(cmd.indexOf("script_sha256") < cmd.indexOf('bash "$d/install.sh"'));
  // Never blind trust.
  assert.doesNotMatch(cmd, / -k | --insecure|CURL_CA_BUNDLE/);
  // The default is the hash of the install.sh this dashboard serves.
  assert.ok(installCommand(base).includes(`script_sha256='${INSTALL_SCRIPT_SHA256}'`));
});

Deno.test("install command: IP addresses, ports, and no CA pin", async () => {
  // host:port as the shell derives it from $url: run the derivation.
  const hostPort = async (cmd: string) => {
    const lines = cmd.split("\n");
    const script = [...lines.filter((l) => /^ {2}(url|hp)=/.test(l)), 'printf %s "$hp"'].join(
      "\n",
    );
    const o = await new Deno.Command("sh", { args: ["-c", script], stdout: "piped" }).output();
    return new TextDecoder().decode(o.stdout);
  };
  const ip = installCommand({ ...base, publicUrl: "https://10.0.0.5:8443" });
  assert.match(ip, /openssl s_client -connect "\$hp" -showcerts/, "no SNI for an IP");
  assert.equal(await hostPort(ip), "10.0.0.5:8443");
  const v6 = installCommand({ ...base, publicUrl: "https://[fd00::5]:8443" });
  assert.match(v6, /openssl s_client -connect "\$hp" -showcerts/);
  assert.equal(await hostPort(v6), "[fd00::5]:8443");
  assert.equal(await hostPort(installCommand(base)), "dash.example.com:443");
  const sub = installCommand({ ...base, publicUrl: "https://dash.example.com:8443/kd" });
  assert.equal(await hostPort(sub), "dash.example.com:8443");
  // An insecure (http) dashboard: plain curl, no CA, but still the script's hash.
  const plain = installCommand({
    ...base,
    publicUrl: "http://127.0.0.1:8080",
    agentUrl: "http://127.0.0.1:9090",
    caHash: null,
  });
  assert.doesNotMatch(plain, /openssl s_client|ca_hash|--cacert/);
  assert.match(plain, /curl -fsSL -o "\$d\/install\.sh" "\$url\/api\/agents\/install\.sh"/);
  assert.match(plain, /^ {2}url='http:\/\/127\.0\.0\.1:8080'$/m);
  assert.match(plain, / --insecure /);
  assert.match(plain, /script_sha256=/);
});

Deno.test("install command: hostile values stay quoted or are refused", async () => {
  // A cluster name with quotes and $(...) is one single-quoted word (the API refuses it anyway).
  const evil = `x'"; $(touch /tmp/pwned) \`id\``;
  const cmd = installCommand({ ...base, clusterName: evil });
  assert.ok(cmd.includes(`--cluster-name ${shellQuote(evil)}`), cmd);
  // bash parses it without running anything: the function is only defined, never called here.
  const defined = cmd.replace(new RegExp(`\\n${INSTALL_FUNCTION}$`), "\ntype " + INSTALL_FUNCTION);
  const o = await new Deno.Command("bash", { args: ["-c", defined], stdout: "piped" }).output();
  assert.equal(o.code, 0);
  assert.ok(new TextDecoder().decode(o.stdout).includes(shellQuote(evil)));
  for (
    const [params, want] of [
      [{ installScriptSha256: "abc" }, /installScriptSha256/],
      [{ installScriptSha256: `${"a".repeat(63)}'` }, /installScriptSha256/],
      [{ caHash: "sha256:'; id; '" }, /caHash/],
    ] as const
  ) {
    assert.throws(() => installCommand({ ...base, ...params }), want);
  }
});
