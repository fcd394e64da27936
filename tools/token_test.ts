// `deno task token` against a real dashboard: create prints the token (which an agent registers
// with) and how to pass it, then the install and Helm commands, which do not carry it; list shows
// the token, revoke revokes it; without an admin token it fails clearly.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { startTestDashboard } from "../testing/harness.ts";
import { rawClient, register } from "../testing/raw_agent.ts";
import { TOKEN_HINT, TOKEN_TITLE } from "../backend/agents/install/command.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The token `create` prints on the line after its title. */
function printedToken(stdout: string): string {
  const m = new RegExp(`^${TOKEN_TITLE} \\(single use\\):\\n(\\S+)$`, "m").exec(stdout);
  assert.ok(m, `no token printed:\n${stdout}`);
  assert.match(m[1], /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  return m[1];
}

Deno.test({
  name: "deno task token create | list | revoke",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await startTestDashboard({});
    const caFile = `${t.dataDir}/tls/ca.crt`;
    const api = await t.api("POST", "/api/tokens", { name: "cli" }, t.adminToken);
    const cli = async (args: string[], token = (api.json as { token: string }).token) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${ROOT}tools/token.ts`, ...args],
        env: { DASHBOARD_URL: t.d.url, DASHBOARD_TOKEN: token, DASHBOARD_CA_FILE: caFile },
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    };
    try {
      const created = await cli(["create", "from-cli", "--permissions", "operator"]);
      assert.equal(created.code, 0, created.stderr);
      const id = /token ([0-9a-f-]{36})/.exec(created.stdout)![1];
      // The token on its own, then how to pass it, then the commands, which do not carry it.
      const printed = printedToken(created.stdout);
      assert.ok(created.stdout.includes(TOKEN_HINT), created.stdout);
      const install = /^Install with:\n([\s\S]+?)\n\nor with Helm:/m.exec(created.stdout)?.[1] ??
        "";
      assert.match(install, /^dashboard_agent_install\(\) \($/m);
      assert.match(install, /--permissions 'operator'/);
      assert.match(install, / --chart-sha256 '[0-9a-f]{64}' "\$@"$/m);
      const helm = created.stdout.slice(created.stdout.indexOf("or with Helm:"));
      assert.match(helm, /--set-file token=<\(tr -d '\[:space:\]' < "\$DASHBOARD_TOKEN_FILE"\)/);
      for (const cmd of [install, helm]) {
        assert.ok(!cmd.includes(printed), `the token is not in a command:\n${cmd}`);
        assert.doesNotMatch(cmd, /AGENT_TOKEN=|--token /);
      }
      const listed = await cli(["list"]);
      assert.match(listed.stdout, new RegExp(`${id}\\tfrom-cli\\tpending`));
      const revoked = await cli(["revoke", id]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match((await cli(["list"])).stdout, new RegExp(`${id}\\tfrom-cli\\trevoked`));
      const denied = await cli(["list"], `kdt_${"A".repeat(43)}`);
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /HTTP 401/);
      // The printed token is the real one: an agent registers with it.
      const works = await cli(["create", "cli-works"]);
      assert.equal(works.code, 0, works.stderr);
      const client = rawClient(t.d.grpcAddr, await Deno.readTextFile(caFile));
      try {
        const reg = await register(client, printedToken(works.stdout));
        assert.equal(grpc.status[reg.code], "OK", reg.details);
        assert.match(reg.credential!, /^kda_/);
      } finally {
        client.close();
      }
      const bad = await cli(["create", 'x"; touch /tmp/pwned; echo "']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /HTTP 400/);
    } finally {
      await t.stop();
    }
  },
});
