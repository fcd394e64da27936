// agent/install.sh end to end, and the public downloads the dashboard serves for it (the script
// and the packaged chart, checked with the REAL helm; other chart versions are 404): shellcheck;
// exactly the command the API generates, run by bash with the REAL helm and kubectl against a
// REAL kube-apiserver, downloading the script and the chart from a REAL dashboard; --dry-run; and
// the failures (bad arguments, no helm, an unreachable or under-privileged context) with their
// exit codes. Shims in front of helm, kubectl and curl record every command line, to show the
// token is never on one.
import assert from "node:assert/strict";
import {
  type ControlPlane,
  ensureNamespace,
  kubeRequest,
  sharedControlPlane,
  tokenKubeconfig,
} from "../tools/testenv.ts";
import { ROOT, startTestDashboard } from "../backend/testing/harness.ts";
import { installCommand } from "../backend/cluster/install_command.ts";
import { INSTALL_SCRIPT, packChart } from "../backend/cluster/agent_assets.ts";
import { VERSION } from "../proto/version.ts";

const SCRIPT = `${ROOT}agent/install.sh`;
const HASH = `sha256:${"0f".repeat(32)}`;
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLWZvci10ZXN0cw";
const BASH = "/bin/bash";

interface Env {
  binDir: string;
  shimDir: string;
  argvLog: string;
  caFile: string;
  home: string;
}

/** helm, kubectl and curl shims that log their arguments, then run the real tool. */
async function makeShims(binDir: string): Promise<Pick<Env, "shimDir" | "argvLog">> {
  const shimDir = await Deno.makeTempDir({ prefix: "install-shims-" });
  const argvLog = `${shimDir}/argv.log`;
  const curl = new Deno.Command("bash", { args: ["-c", "command -v curl"], stdout: "piped" });
  const realCurl = new TextDecoder().decode((await curl.output()).stdout).trim();
  assert.ok(realCurl, "curl is needed");
  const tools: Record<string, string> = {
    helm: `${binDir}/helm`,
    kubectl: `${binDir}/kubectl`,
    curl: realCurl,
  };
  for (const [name, real] of Object.entries(tools)) {
    await Deno.writeTextFile(
      `${shimDir}/${name}`,
      `#!/bin/bash\nprintf '%s %s\\n' ${name} "$*" >>${argvLog}\nexec ${real} "$@"\n`,
      { mode: 0o755 },
    );
  }
  return { shimDir, argvLog };
}

async function run(
  cmd: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

function baseEnv(e: Env, cp: ControlPlane, extra: Record<string, string> = {}) {
  return {
    PATH: `${e.shimDir}:${e.binDir}:/usr/local/bin:/usr/bin:/bin`,
    HOME: e.home,
    TMPDIR: e.home,
    KUBECONFIG: cp.kubeconfigPath,
    CURL_CA_BUNDLE: e.caFile,
    ARGV_LOG: e.argvLog,
    ...extra,
  };
}

/** Arguments that pass validation; each bad-argument case changes one. */
const goodArgs = (over: Record<string, string | null> = {}) => {
  const args: Record<string, string | null> = {
    "--dashboard-url": "https://127.0.0.1:9090",
    "--dashboard-http-url": "https://127.0.0.1:8080",
    "--cluster-name": "prod-1",
    "--permissions": "read-only",
    "--ca-hash": HASH,
    "--namespace": "dashboard-agent",
    ...over,
  };
  return Object.entries(args).flatMap(([k, v]) => v === null ? [] : v === "" ? [k] : [k, v]);
};

Deno.test("install.sh is shellcheck clean and knows the release version", async () => {
  const r = await run(["shellcheck", "--severity=style", SCRIPT], { PATH: "/usr/bin:/bin" })
    .catch((err) => {
      throw new Error(`shellcheck must be installed (apt-get install shellcheck): ${err}`);
    });
  assert.equal(r.code, 0, r.out + r.err);
  const text = await Deno.readTextFile(SCRIPT);
  assert.match(
    text,
    new RegExp(`^readonly CHART_VERSION="${VERSION.replaceAll(".", "\\.")}"$`, "m"),
  );
  assert.match(text, /^set -euo pipefail$/m);
  const help = await run([BASH, SCRIPT, "--help"], { PATH: "/usr/bin:/bin" });
  assert.equal(help.code, 0);
  assert.match(help.out, /--dashboard-url URL/);
  assert.match(help.out, /Exit codes: 0 ok/);
});

Deno.test("install.sh rejects bad arguments with exit code 2 and a clear message", async (t) => {
  const env = { PATH: "/usr/bin:/bin", AGENT_TOKEN: TOKEN };
  const cases: Array<
    { name: string; args: string[]; env?: Record<string, string>; error: RegExp }
  > = [
    {
      name: "cluster name with shell metacharacters",
      args: goodArgs({ "--cluster-name": 'x"; touch /tmp/pwned; echo "' }),
      error: /--cluster-name .* must be a DNS-1123 label/,
    },
    {
      name: "upper-case cluster name",
      args: goodArgs({ "--cluster-name": "Prod" }),
      error: /DNS-1123/,
    },
    {
      name: "missing cluster name",
      args: goodArgs({ "--cluster-name": null }),
      error: /--cluster-name is required/,
    },
    {
      name: "bad ca-hash",
      args: goodArgs({ "--ca-hash": "sha256:1234" }),
      error: /--ca-hash .* must look like sha256:<64 hex digits>/,
    },
    {
      name: "missing dashboard url",
      args: goodArgs({ "--dashboard-url": null }),
      error: /--dashboard-url is required/,
    },
    {
      name: "dashboard url with a path",
      args: goodArgs({ "--dashboard-url": "https://d:9090/x" }),
      error: /must be https:\/\/host:port/,
    },
    {
      name: "ftp url",
      args: goodArgs({ "--dashboard-url": "ftp://d:9090" }),
      error: /must be https:\/\/host:port/,
    },
    {
      name: "http without --insecure",
      args: goodArgs({ "--dashboard-url": "http://d:9090", "--ca-hash": null }),
      error: /uses http:\/\/ \(no TLS\): pass --insecure/,
    },
    {
      name: "https with --insecure",
      args: goodArgs({ "--insecure": "" }),
      error: /--insecure needs an http:\/\/ --dashboard-url/,
    },
    {
      name: "unknown preset",
      args: goodArgs({ "--permissions": "root" }),
      error: /--permissions root must be one of: read-only, operator, admin, custom/,
    },
    {
      name: "custom without rules",
      args: goodArgs({ "--permissions": "custom" }),
      error: /--permissions custom needs --rules/,
    },
    {
      name: "rules without custom",
      args: goodArgs({ "--rules": '[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]' }),
      error: /--rules is only accepted with --permissions custom/,
    },
    {
      name: "rules with a newline",
      args: goodArgs({ "--permissions": "custom", "--rules": '[]\ntoken: "x"' }),
      error: /--rules must be a JSON array on one line/,
    },
    {
      name: "bad namespace",
      args: goodArgs({ "--namespace": "Kube_System" }),
      error: /--namespace .* is not a valid namespace name/,
    },
    {
      name: "no token",
      args: goodArgs(),
      env: { AGENT_TOKEN: "" },
      error: /no registration token: set AGENT_TOKEN/,
    },
    {
      name: "not a token",
      args: goodArgs(),
      env: { AGENT_TOKEN: "hunter2" },
      error: /is not a registration token/,
    },
    {
      name: "no chart location",
      args: goodArgs({ "--dashboard-http-url": null }),
      error: /--dashboard-http-url .* or --chart-url is required/,
    },
    {
      name: "unknown flag",
      args: [...goodArgs(), "--frobnicate"],
      error: /unknown argument --frobnicate/,
    },
    {
      name: "flag without value",
      args: [...goodArgs(), "--namespace"],
      error: /--namespace needs a value/,
    },
    {
      name: "--values file missing",
      args: [...goodArgs(), "--values", "/nonexistent.yaml"],
      error: /--values \/nonexistent.yaml is not a readable file/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const r = await run([BASH, SCRIPT, ...c.args], { ...env, ...c.env });
      assert.equal(r.code, 2, `${r.out}${r.err}`);
      assert.match(r.err, /^install\.sh: error: /);
      assert.match(r.err, c.error);
      assert.ok(!r.err.includes(TOKEN) && !r.out.includes(TOKEN), "never prints the token");
    });
  }
});

Deno.test("install.sh end to end with the command the API generates", async (t) => {
  const cp = await sharedControlPlane();
  const home = await Deno.makeTempDir({ prefix: "install-home-" });
  const dash = await startTestDashboard();
  try {
    assert.ok(dash.d.httpCaPem, "the test dashboard serves HTTPS with its own CA");
    const caFile = `${home}/dashboard-ca.pem`;
    await Deno.writeTextFile(caFile, dash.d.httpCaPem);
    const e: Env = { binDir: cp.binDir, home, caFile, ...await makeShims(cp.binDir) };

    await t.step("GET /api/agents/install.sh, no credentials", async () => {
      const res = await dash.fetch("/api/agents/install.sh");
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/x-shellscript/);
      assert.equal(await res.text(), await Deno.readTextFile(INSTALL_SCRIPT));
    });

    await t.step(`GET /api/agents/charts/dashboard-agent-${VERSION}.tgz is the chart`, async () => {
      const res = await dash.fetch(`/api/agents/charts/dashboard-agent-${VERSION}.tgz`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/gzip");
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.deepEqual([...bytes.slice(0, 2)], [0x1f, 0x8b], "gzip");
      // Built once, and deterministic: the same bytes as a fresh pack, on every request.
      assert.deepEqual(bytes, await packChart());
      const again = new Uint8Array(
        await (await dash.fetch(`/api/agents/charts/dashboard-agent-${VERSION}.tgz`)).arrayBuffer(),
      );
      assert.deepEqual(again, bytes);

      const dir = await Deno.makeTempDir({ prefix: "chart-dl-" });
      const file = `${dir}/dashboard-agent-${VERSION}.tgz`;
      await Deno.writeFile(file, bytes);
      const list = await new Deno.Command("tar", { args: ["-tzf", file], stdout: "piped" })
        .output();
      const names = new TextDecoder().decode(list.stdout).trim().split("\n");
      assert.ok(names.every((n) => n.startsWith("dashboard-agent/")), names.join(", "));
      for (
        const n of [
          "Chart.yaml",
          "values.yaml",
          "values.schema.json",
          "templates/deployment.yaml",
          "templates/_helpers.tpl",
          "templates/NOTES.txt",
        ]
      ) {
        assert.ok(names.includes(`dashboard-agent/${n}`), n);
      }
      const helm = await new Deno.Command(`${cp.binDir}/helm`, {
        args: ["show", "chart", file],
        env: { HOME: dir },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(helm.code, 0, new TextDecoder().decode(helm.stderr));
      assert.match(new TextDecoder().decode(helm.stdout), new RegExp(`^version: ${VERSION}$`, "m"));
    });

    await t.step("other versions and names are 404", async () => {
      for (
        const f of ["dashboard-agent-0.0.1.tgz", "other-0.1.0.tgz", `dashboard-agent-${VERSION}`]
      ) {
        const res = await dash.fetch(`/api/agents/charts/${f}`);
        assert.equal(res.status, 404, f);
        const body = await res.json() as { error: { code: string; message: string } };
        assert.equal(body.error.code, "not_found");
        assert.match(body.error.message, new RegExp(`dashboard-agent-${VERSION}\\.tgz`));
      }
    });

    await t.step("the rest of the API still needs a login", async () => {
      const res = await dash.fetch("/api/clusters");
      await res.body?.cancel();
      assert.equal(res.status, 401);
    });

    const issue = async (name: string, permissions = "read-only", rules?: unknown[]) => {
      const r = await dash.api("POST", "/api/clusters/agent-token", {
        cluster_name: name,
        permissions,
        ...(rules ? { rules } : {}),
      }, dash.adminToken);
      assert.equal(r.status, 201, r.text);
      return r.json as { token: string; install_command: string; helm_command: string };
    };

    await t.step(
      "the generated command passes both URLs and keeps the token off argv",
      async () => {
        const { token, install_command } = await issue("cmd-shape");
        assert.ok(
          install_command.startsWith(`curl -fsSL '${dash.d.url}/api/agents/install.sh' | `),
        );
        assert.ok(install_command.includes(`| AGENT_TOKEN='${token}' bash -s -- `));
        assert.ok(install_command.includes(`--dashboard-url '${dash.d.agentUrl}'`));
        assert.ok(install_command.includes(`--dashboard-http-url '${dash.d.url}'`));
        assert.ok(install_command.includes(`--ca-hash '${dash.d.caHash}'`));
        assert.equal(install_command.split(token).length, 2, "the token appears once, as env");
      },
    );

    await t.step(
      "--dry-run checks everything, prints the plan redacted and changes nothing",
      async () => {
        // A custom preset: its rules travel as one JSON argument into the values file.
        const rules = [{
          apiGroups: ["", "apps"],
          resources: ["pods", "deployments"],
          verbs: ["get"],
        }];
        const { token, install_command } = await issue("dry-run", "custom", rules);
        const passed = /--rules '([^']+)'/.exec(install_command)?.[1];
        assert.deepEqual(JSON.parse(passed!), rules);
        await Deno.writeTextFile(e.argvLog, "");
        const r = await run([BASH, "-c", `${install_command} --dry-run`], baseEnv(e, cp));
        assert.equal(r.code, 0, r.out + r.err);
        assert.match(r.out, /dry run: nothing was changed/);
        assert.match(r.out, /helm upgrade --install dashboard-agent /);
        assert.match(r.out, /token: "<redacted>"/);
        assert.match(r.out, /preset: "custom"/);
        assert.ok(r.out.includes(`  rules: ${passed}`), r.out);
        assert.ok(!r.out.includes(token) && !r.err.includes(token), "the token is redacted");
        assert.match(await Deno.readTextFile(e.argvLog), /^curl .*dashboard-agent-0\.1\.0\.tgz$/m);
        const status = await cp.helm(["status", "dashboard-agent", "-n", "dashboard-agent"]);
        assert.notEqual(status.code, 0, "no release after a dry run");
        const ns = await kubeRequest(cp, "GET", "/api/v1/namespaces/dashboard-agent");
        assert.equal(ns.status, 404, "no namespace after a dry run");
      },
    );

    await t.step("installs, then upgrades in place when run again", async () => {
      const { token, install_command } = await issue("installed", "operator");
      await Deno.writeTextFile(e.argvLog, "");
      const r = await run([BASH, "-c", install_command], baseEnv(e, cp));
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /installing release dashboard-agent in namespace dashboard-agent/);
      const status = await cp.helm(["status", "dashboard-agent", "-n", "dashboard-agent"]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /STATUS: deployed/);
      assert.match(status.stdout, /REVISION: 1/);

      const cm = await kubeRequest(
        cp,
        "GET",
        "/api/v1/namespaces/dashboard-agent/configmaps/dashboard-agent",
      );
      const data = (cm.body as { data: Record<string, string> }).data;
      assert.equal(data.DASHBOARD_URL, dash.d.agentUrl);
      assert.equal(data.CA_HASH, dash.d.caHash);
      assert.equal(data.CLUSTER_NAME, "installed");
      const sec = await kubeRequest(
        cp,
        "GET",
        "/api/v1/namespaces/dashboard-agent/secrets/dashboard-agent-token",
      );
      assert.equal(atob((sec.body as { data: { token: string } }).data.token), token);
      const role = await kubeRequest(
        cp,
        "GET",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/dashboard-agent:dashboard-agent",
      );
      assert.equal(role.status, 200);
      assert.equal(
        (role.body as { metadata: { annotations: Record<string, string> } }).metadata
          .annotations["dashboard.kube/preset"],
        "operator",
      );

      const argv = await Deno.readTextFile(e.argvLog);
      assert.match(
        argv,
        /^helm upgrade --install dashboard-agent \S+\.tgz --namespace dashboard-agent --values \S+ --create-namespace$/m,
      );
      assert.match(argv, /^kubectl --request-timeout=10s auth can-i create clusterroles$/m);
      assert.ok(!argv.includes(token), "no tool ever had the token on its command line");

      // Again: an upgrade of the same release (the namespace exists now).
      const again = await run([BASH, "-c", install_command], baseEnv(e, cp));
      assert.equal(again.code, 0, again.out + again.err);
      const st2 = await cp.helm(["status", "dashboard-agent", "-n", "dashboard-agent"]);
      assert.match(st2.stdout, /REVISION: 2/);
      // The temporary values files are gone.
      const left = [...Deno.readDirSync(home)].filter((d) =>
        d.name.startsWith("dashboard-agent-install")
      );
      assert.deepEqual(left, []);
    });

    await t.step("a cluster name that is shell code is refused and never run", async () => {
      const marker = `/tmp/pwned-${crypto.randomUUID()}`;
      const evil = `x"; touch ${marker}; echo "`;
      const r = await dash.api("POST", "/api/clusters/agent-token", {
        cluster_name: evil,
        permissions: "read-only",
      }, dash.adminToken);
      assert.equal(r.status, 400, r.text);
      // Even a command rendered around such a name (bypassing the API's check) is inert: the
      // quoting holds and the script refuses the name.
      const cmd = installCommand({
        publicUrl: dash.d.url,
        agentUrl: dash.d.agentUrl,
        caHash: dash.d.caHash,
        clusterName: evil,
        permissions: { preset: "read-only" },
        token: TOKEN,
        chartVersion: VERSION,
      });
      const ran = await run([BASH, "-c", cmd], baseEnv(e, cp));
      assert.equal(ran.code, 2, ran.out + ran.err);
      assert.match(ran.err, /must be a DNS-1123 label/);
      assert.equal(await Deno.stat(marker).then(() => true, () => false), false, "never executed");
    });

    await t.step("without helm in PATH: exit 3", async () => {
      const dir = await Deno.makeTempDir({ prefix: "no-helm-" });
      await Deno.symlink(`${cp.binDir}/kubectl`, `${dir}/kubectl`);
      const r = await run([BASH, SCRIPT, ...goodArgs()], { PATH: dir, AGENT_TOKEN: TOKEN });
      assert.equal(r.code, 3, r.out + r.err);
      assert.match(r.err, /helm is not installed \(or not in PATH\)/);
    });

    await t.step("unreachable kube context: exit 4", async () => {
      const kc = `${home}/unreachable.kubeconfig`;
      await Deno.writeTextFile(
        kc,
        `apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: gone, context: {cluster: gone, user: u}}]
current-context: gone
`,
      );
      const r = await run(
        [BASH, SCRIPT, ...goodArgs()],
        baseEnv(e, cp, { KUBECONFIG: kc, AGENT_TOKEN: TOKEN }),
      );
      assert.equal(r.code, 4, r.out + r.err);
      assert.match(r.err, /cannot reach the cluster of the current kube context/);
      const ctx = await run(
        [BASH, SCRIPT, ...goodArgs(), "--kube-context", "no-such-context"],
        baseEnv(e, cp, { AGENT_TOKEN: TOKEN }),
      );
      assert.equal(ctx.code, 4, ctx.out + ctx.err);
      assert.match(ctx.err, /kube context no-such-context/);
    });

    await t.step("a user who may not create ClusterRoles: exit 5", async () => {
      await ensureNamespace(cp, "nobody");
      await kubeRequest(cp, "POST", "/api/v1/namespaces/nobody/serviceaccounts", {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "nobody" },
      });
      const kc = await tokenKubeconfig(cp, await cp.serviceAccountToken("nobody", "nobody"));
      const r = await run(
        [BASH, SCRIPT, ...goodArgs({ "--namespace": "agent-nobody" })],
        baseEnv(e, cp, { KUBECONFIG: kc, AGENT_TOKEN: TOKEN }),
      );
      assert.equal(r.code, 5, r.out + r.err);
      assert.match(r.err, /may not install the agent/);
      assert.match(r.err, /kubectl auth can-i create clusterroles/);
      assert.match(r.err, /kubectl auth can-i create namespaces/);
    });

    await t.step("values the chart's schema refuses: exit 7, nothing installed", async () => {
      const extra = `${home}/bad-values.yaml`;
      await Deno.writeTextFile(extra, "logLevel: chatty\n");
      const r = await run(
        [
          BASH,
          SCRIPT,
          ...goodArgs({ "--namespace": "agent-bad-values", "--dashboard-http-url": dash.d.url }),
          "--values",
          extra,
        ],
        baseEnv(e, cp, { AGENT_TOKEN: TOKEN }),
      );
      assert.equal(r.code, 7, r.out + r.err);
      assert.match(r.err, /at '\/logLevel': value must be one of/);
      assert.match(r.err, /the chart refused these values/);
      const status = await cp.helm(["status", "dashboard-agent", "-n", "agent-bad-values"]);
      assert.notEqual(status.code, 0);
    });

    await t.step("a chart that cannot be downloaded: exit 6", async () => {
      // Without the dashboard's CA curl refuses the certificate, and the script says what to do.
      const { install_command } = await issue("no-ca");
      const direct = install_command.replace(/^curl .*? \| /, "").replace(
        " bash -s -- ",
        ` ${BASH} ${SCRIPT} `,
      );
      const r = await run([BASH, "-c", direct], baseEnv(e, cp, { CURL_CA_BUNDLE: "" }));
      assert.equal(r.code, 6, r.out + r.err);
      assert.match(r.err, /export CURL_CA_BUNDLE=/);
      const wrongVersion = await run(
        [
          BASH,
          SCRIPT,
          ...goodArgs({ "--dashboard-http-url": null }),
          "--chart-url",
          `${dash.d.url}/api/agents/charts/dashboard-agent-9.9.9.tgz`,
        ],
        baseEnv(e, cp, { AGENT_TOKEN: TOKEN }),
      );
      assert.equal(wrongVersion.code, 6, wrongVersion.out + wrongVersion.err);
      assert.match(wrongVersion.err, /404/);
    });
  } finally {
    await dash.stop();
  }
});
