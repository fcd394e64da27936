// agent/install.sh end to end, and the public downloads the dashboard serves for it (the script
// and the packaged chart, checked with the REAL helm; other chart versions are 404): shellcheck;
// exactly the command the API generates, run by bash with the REAL helm and kubectl against a
// REAL kube-apiserver, downloading the script and the chart from a REAL dashboard; --dry-run; and
// the failures (bad arguments, no helm, an unreachable or under-privileged context) with their
// exit codes. Shims in front of helm, kubectl and curl record every command line, to show the
// token is never on one; the generated command carries no token (the script reads it from
// DASHBOARD_TOKEN_FILE, or asks on the terminal: tested through a real pty), and no process's
// command line holds it while the install runs. The command carries the chart's SHA-256: a chart
// changed on the way (a tampering proxy, or a local file) is refused with exit 8, before helm.
// The Helm alternative the API generates is run too: it reads the token from DASHBOARD_TOKEN_FILE
// (newline and all), never puts it on a command line, and stops before helm without the file.
// The install command trusts nothing it has not pinned: run verbatim (through a terminal, which
// answers the "Install into <context>?" question) with no CURL_CA_BUNDLE, it fetches the
// dashboard's minted CA, checks it against the pinned hash, downloads and checks install.sh, installs
// the chart with the configured image and waits until the agent (the real one, run with the
// chart's ServiceAccount token: no kubelet runs images here) has connected. A dashboard serving
// an install.sh changed by one byte is refused (exit 10), and a CA that is not the pinned one
// stops everything before helm (the command: curl refuses; install.sh --ca-file: exit 9).
import assert from "node:assert/strict";
import {
  type ControlPlane,
  createNode,
  ensureNamespace,
  kubeRequest,
  sharedControlPlane,
  tokenKubeconfig,
} from "../tools/testenv/mod.ts";
import { Hono } from "hono";
import { ROOT, startTestDashboard } from "../testing/harness.ts";
import { startChartAgent } from "../testing/chart.ts";
import { waitForAgentCluster } from "../testing/clusters.ts";
import { eventually } from "../testing/eventually.ts";
import { INSTALL_FUNCTION, installCommand } from "../backend/agents/install/command.ts";
import {
  agentAssetRoutes,
  chartSha256,
  INSTALL_SCRIPT,
  INSTALL_SCRIPT_SHA256,
  packChart,
} from "../backend/agents/install/assets.ts";
import { MIN_HELM, MIN_KUBECTL } from "../common/install_prerequisites.ts";
import { certificateHash } from "../proto/wire.ts";
import { DEFAULT_AGENT_IMAGE, VERSION } from "../common/version.ts";

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

/** Runs cmd in a new session: without a controlling terminal, so the script can never prompt. */
async function run(
  cmd: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command("/usr/bin/setsid", {
    args: ["--wait", ...cmd],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

/**
 * Runs a shell command in a real terminal (script(1) gives it a pty), answering `answer` once
 * `prompt` shows; stdout and stderr arrive mixed, as on a terminal.
 */
async function runTty(
  command: string,
  env: Record<string, string>,
  prompt: RegExp,
  answer: string,
): Promise<{ code: number; out: string; asked: boolean }> {
  const child = new Deno.Command("script", {
    args: ["--quiet", "--return", "--command", command, "/dev/null"],
    env: { ...env, SHELL: BASH },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  let out = "";
  let asked = false;
  const dec = new TextDecoder();
  const errText = new Response(child.stderr).text();
  for await (const chunk of child.stdout) {
    out += dec.decode(chunk, { stream: true });
    if (!asked && prompt.test(out)) {
      asked = true;
      await w.write(new TextEncoder().encode(answer));
    }
  }
  await w.close().catch(() => {});
  const status = await child.status;
  return { code: status.code, out: out + await errText, asked };
}

/** A CA and a server certificate for 127.0.0.1 signed by it, made with openssl. */
async function mintCa(dir: string): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const sh = async (script: string) => {
    const o = await new Deno.Command(BASH, { args: ["-c", script], cwd: dir, stderr: "piped" })
      .output();
    assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
  };
  await sh(
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 " +
      "-keyout ca.key -out ca.pem -subj /CN=other-ca " +
      "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign && " +
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout leaf.key " +
      "-out leaf.csr -subj /CN=127.0.0.1 && " +
      "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > ext && " +
      "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 " +
      "-extfile ext -out leaf.pem",
  );
  const caPem = await Deno.readTextFile(`${dir}/ca.pem`);
  return {
    caPem,
    certPem: (await Deno.readTextFile(`${dir}/leaf.pem`)) + caPem,
    keyPem: await Deno.readTextFile(`${dir}/leaf.key`),
  };
}

function baseEnv(e: Env, cp: ControlPlane, extra: Record<string, string> = {}) {
  return {
    PATH: `${e.shimDir}:${e.binDir}:/usr/local/bin:/usr/bin:/bin`,
    HOME: e.home,
    TMPDIR: e.home,
    KUBECONFIG: cp.kubeconfigPath,
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
  // The dialog shows the same minimum versions (common/install_prerequisites.ts).
  assert.match(
    text,
    new RegExp(`^readonly MIN_KUBECTL="${MIN_KUBECTL}" MIN_HELM="${MIN_HELM}"$`, "m"),
  );
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
      name: "--allow-impersonation with a value",
      args: [...goodArgs(), "--allow-impersonation=yes"],
      error: /--allow-impersonation takes no value/,
    },
    {
      name: "an impersonation prefix with capitals",
      args: [...goodArgs(), "--allow-impersonation", "--impersonation-prefix", "Dash:"],
      error: /--impersonation-prefix Dash: must be 2-64 characters/,
    },
    {
      name: "an impersonation prefix of Kubernetes' own names",
      args: [...goodArgs(), "--allow-impersonation", "--impersonation-prefix", "system:"],
      error: /--impersonation-prefix system: must be .* not start with system:/,
    },
    {
      name: "an impersonation prefix without impersonation",
      args: [...goodArgs(), "--impersonation-prefix", "kd-"],
      error: /--impersonation-prefix needs --allow-impersonation/,
    },
    {
      name: "bad namespace",
      args: goodArgs({ "--namespace": "Kube_System" }),
      error: /--namespace .* is not a valid namespace name/,
    },
    {
      name: "no token and no terminal to ask on",
      args: goodArgs(),
      env: { AGENT_TOKEN: "" },
      error: /no registration token: run this in a terminal .* DASHBOARD_TOKEN_FILE=/,
    },
    {
      name: "token file missing",
      args: goodArgs(),
      env: { AGENT_TOKEN: "", DASHBOARD_TOKEN_FILE: "/nonexistent/token" },
      error: /the token file \/nonexistent\/token .* is not a readable file/,
    },
    {
      name: "--token-file missing",
      args: [...goodArgs(), "--token-file", "/nonexistent/t2"],
      env: { AGENT_TOKEN: "" },
      error: /the token file \/nonexistent\/t2 .* is not a readable file/,
    },
    {
      name: "bad chart hash",
      args: [...goodArgs(), "--chart-sha256", "sha256:abc"],
      error: /--chart-sha256 sha256:abc must be 64 hex digits/,
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
      name: "an image with shell code",
      args: [...goodArgs(), "--image", "x'; touch /tmp/pwned; echo '"],
      error: /--image .* is not an image reference: use \[registry\[:port\]\/\]path\[:tag\]/,
    },
    {
      name: "an image with capitals in its path",
      args: [...goodArgs(), "--image", "registry.example.com/Team/agent:1"],
      error: /--image registry.example.com\/Team\/agent:1 is not an image reference/,
    },
    {
      name: "an image with a short digest",
      args: [...goodArgs(), "--image", "agent@sha256:abc"],
      error: /--image agent@sha256:abc is not an image reference/,
    },
    {
      name: "an image whose tag holds a newline",
      args: [...goodArgs(), "--image", "agent:1\nimage: evil"],
      error: /--image .* is not an image reference/,
    },
    {
      name: "an image pull Secret that is not a name",
      args: [...goodArgs(), "--image-pull-secret", "Reg Cred"],
      error: /--image-pull-secret .* is not a Secret name/,
    },
    {
      name: "too many image pull Secrets",
      args: [
        ...goodArgs(),
        ...Array.from({ length: 9 }, (_, i) => ["--image-pull-secret", `s${i}`]).flat(),
      ],
      error: /at most 8 --image-pull-secret/,
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

Deno.test("install.sh reads the token from a file or the terminal, never from argv", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "install-token-" });
  // No helm in PATH: once the token is accepted the script stops at the tool check (exit 3).
  const env = { PATH: "/usr/bin:/bin", HOME: dir };
  try {
    await t.step("DASHBOARD_TOKEN_FILE, with a trailing newline", async () => {
      const file = `${dir}/token`;
      await Deno.writeTextFile(file, `${TOKEN}\n`, { mode: 0o600 });
      const r = await run([BASH, SCRIPT, ...goodArgs()], { ...env, DASHBOARD_TOKEN_FILE: file });
      assert.equal(r.code, 3, r.out + r.err);
      assert.match(r.err, /helm is not installed/);
      await Deno.writeTextFile(file, "hunter2\n");
      const bad = await run([BASH, SCRIPT, ...goodArgs()], { ...env, DASHBOARD_TOKEN_FILE: file });
      assert.equal(bad.code, 2, bad.out + bad.err);
      assert.match(bad.err, /the token file .*token is not a registration token/);
      assert.ok(!bad.err.includes("hunter2"), "the file's content is not printed");
    });

    // script(1) gives the script a real terminal (a pty) and types our input into it.
    const typed = async (input: string) => {
      const cmd = [BASH, SCRIPT, ...goodArgs()].map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
        .join(" ");
      const child = new Deno.Command("script", {
        args: ["--quiet", "--return", "--command", cmd, "/dev/null"],
        env: { ...env, AGENT_TOKEN: "" },
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      // Typed once the prompt is up (what is typed earlier could be echoed by the terminal).
      await new Promise((r) => setTimeout(r, 500));
      await w.write(new TextEncoder().encode(input));
      await w.close();
      const o = await child.output();
      const dec = new TextDecoder();
      return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
    };
    await t.step("asked on the terminal with echo off", async () => {
      const r = await typed(`${TOKEN}\r`);
      assert.match(r.out, /Registration token for cluster prod-1 \(input hidden\): /);
      assert.equal(r.code, 3, r.out);
      assert.match(r.out, /helm is not installed/);
      assert.ok(!r.out.includes(TOKEN), `the token is not echoed:\n${r.out}`);
    });
    await t.step("what is typed is validated like any token", async () => {
      const r = await typed("hunter2\r");
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, /the token you entered is not a registration token/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Every process's command line, sampled until `done` settles: what `ps` would have shown. */
async function watchCommandLines<T>(done: Promise<T>): Promise<{ result: T; seen: Set<string> }> {
  const seen = new Set<string>();
  let finished = false;
  const result = done.finally(() => finished = true);
  while (!finished) {
    for await (const e of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const raw = await Deno.readFile(`/proc/${e.name}/cmdline`);
        seen.add(new TextDecoder().decode(raw).replaceAll("\0", " "));
      } catch { /* gone already */ }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { result: await result, seen };
}

Deno.test("install.sh end to end with the command the API generates", async (t) => {
  const cp = await sharedControlPlane();
  const home = await Deno.makeTempDir({ prefix: "install-home-" });
  const dash = await startTestDashboard();
  try {
    assert.ok(dash.d.httpCaPem, "the test dashboard serves HTTPS with its own CA");
    const caFile = `${home}/dashboard-ca.pem`;
    await Deno.writeTextFile(caFile, dash.d.httpCaPem);
    const e: Env = { binDir: cp.binDir, home, caFile, ...await makeShims(cp.binDir) };
    // The token as an admin saves it for a non-interactive run (the UI and docs/agent.md say how).
    const tokenFile = `${home}/agent-token`;
    const withToken = async (token: string) => {
      await Deno.writeTextFile(tokenFile, token, { mode: 0o600 });
      return { DASHBOARD_TOKEN_FILE: tokenFile };
    };

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
      "the generated command passes both URLs and the chart's hash, and no token",
      async () => {
        const { token, install_command } = await issue("cmd-shape");
        assert.ok(install_command.startsWith(`${INSTALL_FUNCTION}() (\n`), install_command);
        assert.ok(install_command.endsWith(`\n)\n${INSTALL_FUNCTION}`), install_command);
        assert.ok(install_command.includes(`\n  url='${dash.d.url}'\n`), install_command);
        assert.ok(install_command.includes(`"$url/api/agents/install.sh"`));
        assert.ok(install_command.includes(`--dashboard-url '${dash.d.agentUrl}'`));
        assert.ok(install_command.includes(`--dashboard-http-url '${dash.d.url}'`));
        assert.ok(install_command.includes(`  ca_hash='${dash.d.caHash}'\n`));
        assert.ok(install_command.includes(`--ca-hash '${dash.d.caHash}'`));
        // The hash of the script the dashboard serves, and of the pinned CA its HTTPS presents.
        const servedScript = new Uint8Array(
          await (await dash.fetch("/api/agents/install.sh")).arrayBuffer(),
        );
        const hex = (b: ArrayBuffer) =>
          Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
        const scriptSha = hex(await crypto.subtle.digest("SHA-256", servedScript));
        assert.equal(scriptSha, INSTALL_SCRIPT_SHA256);
        assert.ok(install_command.includes(`  script_sha256='${scriptSha}'\n`), install_command);
        assert.equal(await certificateHash(dash.d.httpCaPem!), dash.d.caHash);
        assert.match(install_command, /\n {2}openssl s_client -connect "\$hp" -showcerts /);
        assert.doesNotMatch(install_command, / -k | --insecure|CURL_CA_BUNDLE/);
        assert.ok(install_command.includes(`--image '${DEFAULT_AGENT_IMAGE}'`), install_command);
        const sha = await chartSha256();
        assert.match(sha, /^[0-9a-f]{64}$/);
        assert.ok(install_command.includes(`--chart-sha256 '${sha}'`), install_command);
        const served = new Uint8Array(
          await (await dash.fetch(`/api/agents/charts/dashboard-agent-${VERSION}.tgz`))
            .arrayBuffer(),
        );
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", served));
        assert.equal(sha, Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""));
        assert.ok(!install_command.includes(token), "the token is not in the command");
        assert.doesNotMatch(install_command, /AGENT_TOKEN|--token/);
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
        const r = await run(
          [BASH, "-c", `${install_command} --dry-run`],
          baseEnv(e, cp, await withToken(token)),
        );
        assert.equal(r.code, 0, r.out + r.err);
        assert.match(r.out, /dry run: nothing was changed/);
        assert.match(r.out, /helm upgrade --install dashboard-agent /);
        assert.match(r.out, /token: "<redacted>"/);
        assert.match(r.out, /preset: "custom"/);
        assert.ok(r.out.includes(`  rules: ${passed}`), r.out);
        assert.ok(!r.out.includes(token) && !r.err.includes(token), "the token is redacted");
        assert.match(await Deno.readTextFile(e.argvLog), /^curl .*dashboard-agent-0\.1\.0\.tgz$/m);
        assert.match(r.out, /chart verified: sha256 [0-9a-f]{64}/);
        const status = await cp.helm(["status", "dashboard-agent", "-n", "dashboard-agent"]);
        assert.notEqual(status.code, 0, "no release after a dry run");
        const ns = await kubeRequest(cp, "GET", "/api/v1/namespaces/dashboard-agent");
        assert.equal(ns.status, 404, "no namespace after a dry run");
      },
    );

    await t.step("a token's own image and pull Secrets reach the values (dry run)", async () => {
      const D = `sha256:${"5e".repeat(32)}`;
      const image = `registry.example.com:5000/mirror/dashboard-agent:${VERSION}@${D}`;
      const r0 = await dash.api("POST", "/api/clusters/agent-token", {
        cluster_name: "dry-image",
        permissions: "read-only",
        image,
        image_pull_secrets: ["regcred", "mirror.pull"],
      }, dash.adminToken);
      assert.equal(r0.status, 201, r0.text);
      const { token, install_command } = r0.json as { token: string; install_command: string };
      assert.ok(
        install_command.includes(
          `--image '${image}' --image-pull-secret 'regcred' --image-pull-secret 'mirror.pull'`,
        ),
        install_command,
      );
      const r = await run(
        [BASH, "-c", `${install_command} --dry-run`],
        baseEnv(e, cp, await withToken(token)),
      );
      assert.equal(r.code, 0, r.out + r.err);
      assert.ok(
        r.out.includes(
          [
            "  image:",
            '    repository: "registry.example.com:5000/mirror/dashboard-agent"',
            `    tag: "${VERSION}"`,
            `    digest: "${D}"`,
            "  imagePullSecrets:",
            '    - name: "regcred"',
            '    - name: "mirror.pull"',
          ].join("\n"),
        ),
        r.out,
      );
    });

    await t.step("admin: the command lets the agent impersonate (dry run)", async () => {
      const { token, install_command, helm_command } = await issue("dry-admin", "admin");
      assert.match(install_command, / --allow-impersonation /);
      assert.match(helm_command, /^allowImpersonation: true$/m);
      const r = await run(
        [BASH, "-c", `${install_command} --dry-run`],
        baseEnv(e, cp, await withToken(token)),
      );
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /preset: "admin"/);
      assert.match(r.out, /^ {2}allowImpersonation: true$/m);
      assert.doesNotMatch(r.out, /impersonationPrefix/, "the chart's default prefix");
      const kd = await run(
        [BASH, "-c", `${install_command} --impersonation-prefix kd- --dry-run`],
        baseEnv(e, cp, await withToken(token)),
      );
      assert.equal(kd.code, 0, kd.out + kd.err);
      assert.match(kd.out, /^ {2}impersonationPrefix: "kd-"$/m);
    });

    await t.step("the command is POSIX sh: dash runs it too (dry run)", async () => {
      const dash_ = await Deno.stat("/usr/bin/dash").then(() => "/usr/bin/dash", () => null);
      if (!dash_) return; // no dash on this machine: bash covered it above
      const { token, install_command } = await issue("posix-sh");
      const r = await run(
        [dash_, "-c", `${install_command} --dry-run`],
        baseEnv(e, cp, await withToken(token)),
      );
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /dashboard CA verified: sha256:[0-9a-f]{64}/);
      assert.match(r.out, /dry run: nothing was changed/);
    });

    await t.step("without a terminal and without --yes it stops before helm: exit 11", async () => {
      const { token, install_command } = await issue("not-confirmed");
      await Deno.writeTextFile(e.argvLog, "");
      const r = await run([BASH, "-c", install_command], baseEnv(e, cp, await withToken(token)));
      assert.equal(r.code, 11, r.out + r.err);
      assert.match(r.err, /not confirmed: there is no terminal to ask .* pass --yes/);
      assert.match(r.out, /kube context: \S+, cluster https:\/\/127\.0\.0\.1:\d+/);
      assert.doesNotMatch(await Deno.readTextFile(e.argvLog), /^helm upgrade/m);
      const status = await cp.helm(["status", "dashboard-agent", "-n", "dashboard-agent"]);
      assert.notEqual(status.code, 0, "no release");
    });

    await t.step("the API's command, verbatim: installs, the agent connects", async () => {
      const { token, install_command } = await issue("installed", "operator");
      await Deno.writeTextFile(e.argvLog, "");
      const env = baseEnv(e, cp, await withToken(token));
      assert.equal("CURL_CA_BUNDLE" in env, false, "no trust set up for curl");
      // The agent, as the chart's pod would run it, once the chart is installed (--wait waits
      // for it to register).
      let agent: Awaited<ReturnType<typeof startChartAgent>> | undefined;
      let stop = false;
      const agentStarted = (async () => {
        while (!stop) {
          const cm = await kubeRequest(
            cp,
            "GET",
            "/api/v1/namespaces/dashboard-agent/configmaps/dashboard-agent",
          );
          if (cm.status === 200) {
            agent = await startChartAgent(dash, cp, "dashboard-agent", { withToken: true });
            return;
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      try {
        // What `ps` shows while it runs: no process's command line ever holds the token.
        const { result: r, seen } = await watchCommandLines(
          runTty(install_command, env, /\[y\/N\] $/, "y\r"),
        );
        assert.equal(r.code, 0, r.out);
        assert.ok(r.asked, r.out);
        assert.match(
          r.out,
          /Install the agent for 'installed' into kube context \S+ \(https:\/\/127\.0\.0\.1:\d+\)\? \[y\/N\]/,
        );
        assert.match(r.out, /dashboard CA verified: sha256:[0-9a-f]{64}/);
        assert.match(r.out, /chart verified: sha256 [0-9a-f]{64}/);
        // No ready node here (no kubelet); with one (another test file's) the pod never runs.
        assert.match(
          r.out,
          /reachability check (skipped: the cluster has no ready node|inconclusive: the test pod did not run)/,
        );
        assert.ok([...seen].some((c) => c.includes("upgrade --install")), "sampled helm's argv");
        assert.deepEqual([...seen].filter((c) => c.includes(token)), [], "the token in a cmdline");
        assert.match(r.out, /installing release dashboard-agent in namespace dashboard-agent/);
        const cluster = await waitForAgentCluster(dash, "installed", 20_000);
        assert.match(r.out, /the agent is connected: cluster 'installed' is in the dashboard/);
        assert.ok(r.out.includes(`${dash.d.url}/clusters/${cluster.id}`), r.out);
      } finally {
        stop = true;
        await agentStarted;
        await agent?.stop();
      }
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
      const dep = await kubeRequest(
        cp,
        "GET",
        "/apis/apps/v1/namespaces/dashboard-agent/deployments/dashboard-agent",
      );
      const pod = (dep.body as {
        spec: { template: { spec: { containers: { image: string }[] } } };
      }).spec.template.spec;
      assert.equal(pod.containers[0].image, DEFAULT_AGENT_IMAGE, "the dashboard's AGENT_IMAGE");
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
      assert.match(argv, /^curl -fsSL --cacert \S+\/ca\.pem -o \S+\/install\.sh https:/m);
      assert.match(
        argv,
        /^helm upgrade --install dashboard-agent \S+\.tgz --namespace dashboard-agent --values \S+ --create-namespace --ca-file \S+\/ca\.pem$/m,
      );
      assert.match(argv, /^kubectl --request-timeout=10s auth can-i create clusterroles$/m);
      assert.ok(!argv.includes(token), "no tool ever had the token on its command line");

      // Again, without asking and without waiting: an upgrade of the same release.
      const again = await run(
        [BASH, "-c", `${install_command} --yes --no-wait`],
        baseEnv(e, cp, await withToken(token)),
      );
      assert.equal(again.code, 0, again.out + again.err);
      const st2 = await cp.helm(["status", "dashboard-agent", "-n", "dashboard-agent"]);
      assert.match(st2.stdout, /REVISION: 2/);
      // The temporary directories (the command's and install.sh's) are gone.
      const left = [...Deno.readDirSync(home)].filter((d) =>
        d.name.startsWith("dashboard-agent-install") || d.name.startsWith("tmp.")
      );
      assert.deepEqual(left, []);
    });

    await t.step("a CA that is not the pinned one stops everything before helm", async () => {
      const { token, install_command } = await issue("wrong-ca");
      // The command pinning another CA: the dashboard does not present it, and curl (with the
      // system's trust store only) refuses the minted certificate.
      const wrong = install_command.replaceAll(dash.d.caHash!, HASH);
      assert.notEqual(wrong, install_command);
      await Deno.writeTextFile(e.argvLog, "");
      const r = await run(
        // (--no-wait and no reachability check: should the guard break, this fails fast.)
        [
          BASH,
          "-c",
          `${wrong} --yes --no-wait --skip-reachability-check --namespace agent-wrong-ca`,
        ],
        baseEnv(e, cp, await withToken(token)),
      );
      assert.notEqual(r.code, 0, r.out + r.err);
      assert.match(r.err, /the dashboard did not present the CA sha256:(0f){32}/);
      const argv = await Deno.readTextFile(e.argvLog);
      assert.doesNotMatch(argv, /^(helm|kubectl) /m, "install.sh never ran");
      // install.sh given a CA file that is not the pinned CA: exit 9, before any download.
      const direct = await run(
        [
          BASH,
          SCRIPT,
          ...goodArgs({ "--dashboard-http-url": dash.d.url, "--namespace": "agent-wrong-ca" }),
          ...["--ca-file", e.caFile, "--yes", "--no-wait", "--skip-reachability-check"],
        ],
        baseEnv(e, cp, await withToken(token)),
      );
      assert.equal(direct.code, 9, direct.out + direct.err);
      assert.match(
        direct.err,
        /the dashboard CA in \S+ has hash sha256:[0-9a-f]{64}, but the install command pins sha256:(0f){32}: .*Nothing was installed/,
      );
      assert.doesNotMatch(
        await Deno.readTextFile(e.argvLog),
        /^helm (upgrade|template)|^curl .*\.tgz$/m,
      );
      const status = await cp.helm(["status", "dashboard-agent", "-n", "agent-wrong-ca"]);
      assert.notEqual(status.code, 0, "no release");
    });

    await t.step(
      "an install.sh changed by one byte on the server is refused: exit 10",
      async () => {
        // Another dashboard (its own CA, which the command pins) whose served install.sh differs
        // from the one the command was generated for by one byte; the genuine one passes.
        const dir = await Deno.makeTempDir({ prefix: "tampered-script-" });
        const tls = await mintCa(dir);
        const genuine = await Deno.readFile(INSTALL_SCRIPT);
        const bad = genuine.slice();
        const at = new TextDecoder().decode(genuine).indexOf("# Installs the kube-dashboard agent");
        bad[at + 2] = "i".charCodeAt(0);
        await Deno.writeFile(`${dir}/install.sh`, bad);
        const serve = (script: URL) =>
          new Hono().route("/api", agentAssetRoutes({ installScript: script }));
        let routes = serve(INSTALL_SCRIPT);
        const server = Deno.serve(
          {
            hostname: "127.0.0.1",
            port: 0,
            cert: tls.certPem,
            key: tls.keyPem,
            onListen: () => {},
          },
          (req) => routes.fetch(req),
        );
        try {
          const { token } = await issue("tampered-script");
          const cmd = installCommand({
            publicUrl: `https://127.0.0.1:${server.addr.port}`,
            agentUrl: dash.d.agentUrl,
            caHash: await certificateHash(tls.caPem),
            clusterName: "tampered-script",
            permissions: { preset: "read-only" },
            chartVersion: VERSION,
            chartSha256: await chartSha256(),
            namespace: "agent-tampered-script",
          });
          const ok = await run(
            [BASH, "-c", `${cmd} --dry-run`],
            baseEnv(e, cp, await withToken(token)),
          );
          assert.equal(ok.code, 0, ok.out + ok.err);
          assert.match(ok.out, /dashboard CA verified/);

          routes = serve(new URL(`file://${dir}/install.sh`));
          await Deno.writeTextFile(e.argvLog, "");
          const r = await run(
            [BASH, "-c", `${cmd} --yes --no-wait --skip-reachability-check`],
            baseEnv(e, cp, await withToken(token)),
          );
          assert.equal(r.code, 10, r.out + r.err);
          assert.match(
            r.err,
            new RegExp(
              `refusing install.sh: its SHA-256 is [0-9a-f]{64}, the command expects ${INSTALL_SCRIPT_SHA256}`,
            ),
          );
          assert.doesNotMatch(await Deno.readTextFile(e.argvLog), /^(helm|kubectl) /m);
          const status = await cp.helm([
            "status",
            "dashboard-agent",
            "-n",
            "agent-tampered-script",
          ]);
          assert.notEqual(status.code, 0, "no release");
        } finally {
          await server.shutdown();
          await Deno.remove(dir, { recursive: true });
        }
      },
    );

    await t.step("a helm older than the minimum: exit 3", async () => {
      const dir = await Deno.makeTempDir({ prefix: "old-helm-" });
      await Deno.writeTextFile(`${dir}/helm`, "#!/bin/sh\necho v3.5.4\n", { mode: 0o755 });
      await Deno.symlink(`${cp.binDir}/kubectl`, `${dir}/kubectl`);
      const r = await run(
        [BASH, SCRIPT, ...goodArgs()],
        { PATH: `${dir}:/usr/bin:/bin`, AGENT_TOKEN: TOKEN, HOME: dir },
      );
      assert.equal(r.code, 3, r.out + r.err);
      assert.match(
        r.err,
        new RegExp(`helm v3\\.5\\.4 is too old: install helm ${MIN_HELM} or later`),
      );
    });

    await t.step("the Helm command reads the token from DASHBOARD_TOKEN_FILE", async () => {
      const { token, helm_command } = await issue("helm-cmd");
      assert.ok(!helm_command.includes(token), "the token is not in the Helm command");
      assert.doesNotMatch(helm_command, /^token:/m);
      assert.ok(
        helm_command.includes(
          `--set-file token=<(tr -d '[:space:]' < "$DASHBOARD_TOKEN_FILE") --values - <<'EOF'\n`,
        ),
        helm_command,
      );
      // As a user with the dashboard's own CA would run it (docs/agent.md): helm downloads the
      // chart itself, so it gets --ca-file; another namespace keeps it apart from the steps above.
      const cmd = helm_command
        .replace("--namespace 'dashboard-agent'", "--namespace 'agent-helm'")
        .replace(" --values - ", ` --ca-file '${e.caFile}' --values - `);
      assert.ok(cmd.includes("'agent-helm'") && cmd.includes("--ca-file"), cmd);

      // Without the file: it stops before helm runs, and says what to do.
      await Deno.writeTextFile(e.argvLog, "");
      const unset = await run([BASH, "-c", cmd], baseEnv(e, cp));
      assert.notEqual(unset.code, 0, unset.out + unset.err);
      assert.match(
        unset.err,
        /DASHBOARD_TOKEN_FILE: save the registration token to a file and set DASHBOARD_TOKEN_FILE=\/path\/to\/file/,
      );
      assert.equal(await Deno.readTextFile(e.argvLog), "", "helm did not run");

      // The file as an editor or `cat >` writes it, with a final newline (CRLF even).
      const file = `${home}/helm-token`;
      await Deno.writeTextFile(file, `${token}\r\n`, { mode: 0o600 });
      const { result: r, seen } = await watchCommandLines(
        run([BASH, "-c", cmd], baseEnv(e, cp, { DASHBOARD_TOKEN_FILE: file })),
      );
      assert.equal(r.code, 0, r.out + r.err);
      assert.ok([...seen].some((c) => c.includes("--set-file token=/dev/fd/")), "sampled helm");
      assert.deepEqual([...seen].filter((c) => c.includes(token)), [], "the token in a cmdline");
      const argv = await Deno.readTextFile(e.argvLog);
      assert.match(
        argv,
        /^helm upgrade --install dashboard-agent \S+ .*--set-file token=\/dev\/fd\/\d+/m,
      );
      assert.ok(!argv.includes(token), "helm never had the token on its command line");
      const status = await cp.helm(["status", "dashboard-agent", "-n", "agent-helm"]);
      assert.match(status.stdout, /STATUS: deployed/, status.stdout + status.stderr);
      const sec = await kubeRequest(
        cp,
        "GET",
        "/api/v1/namespaces/agent-helm/secrets/dashboard-agent-token",
      );
      assert.equal(
        atob((sec.body as { data: { token: string } }).data.token),
        token,
        "the Secret holds exactly the token, without the file's newline",
      );
      const cm = await kubeRequest(
        cp,
        "GET",
        "/api/v1/namespaces/agent-helm/configmaps/dashboard-agent",
      );
      const data = (cm.body as { data: Record<string, string> }).data;
      assert.equal(data.DASHBOARD_URL, dash.d.agentUrl);
      assert.equal(data.CA_HASH, dash.d.caHash);
      assert.equal(data.CLUSTER_NAME, "helm-cmd");
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
        chartVersion: VERSION,
        chartSha256: await chartSha256(),
      });
      const ran = await run([BASH, "-c", cmd], baseEnv(e, cp, await withToken(TOKEN)));
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
          ...goodArgs({
            "--namespace": "agent-bad-values",
            "--dashboard-http-url": dash.d.url,
            "--ca-hash": dash.d.caHash!,
          }),
          ...["--ca-file", e.caFile],
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
      // install.sh run by hand without --ca-file: curl refuses the minted certificate, and the
      // script says what to do.
      const { token } = await issue("no-ca");
      const r = await run(
        [BASH, SCRIPT, ...goodArgs({ "--dashboard-http-url": dash.d.url })],
        baseEnv(e, cp, await withToken(token)),
      );
      assert.equal(r.code, 6, r.out + r.err);
      assert.match(
        r.err,
        /run the dashboard's install command, which passes --ca-file, or export CURL_CA_BUNDLE=/,
      );
      const wrongVersion = await run(
        [
          BASH,
          SCRIPT,
          ...goodArgs({ "--dashboard-http-url": null, "--ca-hash": dash.d.caHash! }),
          ...["--ca-file", e.caFile],
          "--chart-url",
          `${dash.d.url}/api/agents/charts/dashboard-agent-9.9.9.tgz`,
        ],
        baseEnv(e, cp, { AGENT_TOKEN: TOKEN }),
      );
      assert.equal(wrongVersion.code, 6, wrongVersion.out + wrongVersion.err);
      assert.match(wrongVersion.err, /404/);
    });

    await t.step("a chart changed on the way is refused: exit 8, helm never runs", async () => {
      const sha = await chartSha256();
      // The chart with one more template, as a tampering proxy or mirror would serve it: still a
      // valid chart, which helm would install.
      const dir = await Deno.makeTempDir({ prefix: "tampered-" });
      const copy = await new Deno.Command("cp", {
        args: ["-r", `${ROOT}deploy/helm/dashboard-agent`, `${dir}/chart`],
      }).output();
      assert.equal(copy.code, 0);
      await Deno.writeTextFile(
        `${dir}/chart/templates/extra.yaml`,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-from-the-dashboard\n",
      );
      const bytes = await packChart(new URL(`file://${dir}/chart/`));
      const tampered = `${dir}/dashboard-agent-${VERSION}.tgz`;
      await Deno.writeFile(tampered, bytes);
      const proxy = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        () => new Response(bytes, { headers: { "content-type": "application/gzip" } }),
      );
      try {
        const { token } = await issue("tampered");
        const cases = [
          { name: "downloaded", url: `http://127.0.0.1:${proxy.addr.port}/chart.tgz` },
          { name: "local file", url: tampered },
        ];
        for (const c of cases) {
          await Deno.writeTextFile(e.argvLog, "");
          const r = await run(
            [
              BASH,
              SCRIPT,
              ...goodArgs({ "--dashboard-http-url": null, "--namespace": "agent-tampered" }),
              ...["--chart-url", c.url, "--chart-sha256", sha],
            ],
            baseEnv(e, cp, await withToken(token)),
          );
          assert.equal(r.code, 8, `${c.name}: ${r.out}${r.err}`);
          assert.match(
            r.err,
            new RegExp(
              `the chart from .* has SHA-256 [0-9a-f]{64}, but the install command expects ${sha}: .*Nothing was installed`,
            ),
            c.name,
          );
          assert.doesNotMatch(
            await Deno.readTextFile(e.argvLog),
            /^helm (upgrade|template)/m,
            c.name,
          );
        }
        const status = await cp.helm(["status", "dashboard-agent", "-n", "agent-tampered"]);
        assert.notEqual(status.code, 0, "nothing installed");
        // The genuine chart under the same flags passes the check (stops later: not a tampering).
        const ok = await run(
          [
            BASH,
            SCRIPT,
            ...goodArgs({
              "--dashboard-http-url": null,
              "--namespace": "agent-tampered",
              "--ca-hash": dash.d.caHash!,
            }),
            ...["--ca-file", e.caFile],
            ...["--chart-url", `${dash.d.url}/api/agents/charts/dashboard-agent-${VERSION}.tgz`],
            ...["--chart-sha256", sha, "--dry-run"],
          ],
          baseEnv(e, cp, await withToken(token)),
        );
        assert.equal(ok.code, 0, ok.out + ok.err);
        assert.match(ok.out, new RegExp(`chart verified: sha256 ${sha}`));
      } finally {
        await proxy.shutdown();
        await Deno.remove(dir, { recursive: true });
      }
    });
    await t.step(
      "a test pod that never starts: the reachability check says so, no hang",
      async () => {
        // A ready Node (test-kubelet runs no containers): the check starts its pod, which never
        // runs; after --check-timeout it reports that it could not test, removes the pod and goes on.
        await createNode(cp, "install-reach");
        try {
          const { token } = await issue("reach");
          const started = Date.now();
          const r = await run(
            [
              BASH,
              SCRIPT,
              ...goodArgs({
                "--dashboard-http-url": dash.d.url,
                "--ca-hash": dash.d.caHash!,
                "--namespace": "agent-reach",
                "--cluster-name": "reach",
              }),
              ...["--ca-file", e.caFile, "--yes", "--no-wait", "--check-timeout", "3"],
            ],
            baseEnv(e, cp, await withToken(token)),
          );
          assert.equal(r.code, 0, r.out + r.err);
          assert.ok(Date.now() - started < 60_000, "bounded by --check-timeout");
          assert.match(
            r.out,
            /checking from a pod \(busybox:1\.36\) that the cluster reaches 127\.0\.0\.1:9090/,
          );
          assert.match(r.out, /reachability check inconclusive: the test pod did not run/);
          assert.match(
            r.out,
            /check yourself that pods in this cluster can open a TCP connection to 127\.0\.0\.1:9090/,
          );
          assert.match(r.out, /done \(--no-wait\)/);
          await eventually("the test pod removed", async () => {
            const pods = await kubeRequest(
              cp,
              "GET",
              "/api/v1/namespaces/default/pods?labelSelector=app.kubernetes.io%2Fname%3Ddashboard-agent-preflight",
            );
            return (pods.body as { items: unknown[] }).items.length === 0;
          });
        } finally {
          await kubeRequest(cp, "DELETE", "/api/v1/nodes/install-reach");
        }
      },
    );
  } finally {
    await dash.stop();
  }
});
