// `deno task token` against a real dashboard: create prints the install command, list shows the
// token, revoke revokes it; without an admin token it fails clearly.
import assert from "node:assert/strict";
import { startTestDashboard } from "../backend/testing/harness.ts";

const ROOT = new URL("../", import.meta.url).pathname;

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
      assert.match(created.stdout, /curl -fsSL .*install\.sh.*AGENT_TOKEN=/s);
      const id = /token ([0-9a-f-]{36})/.exec(created.stdout)![1];
      const listed = await cli(["list"]);
      assert.match(listed.stdout, new RegExp(`${id}\\tfrom-cli\\tpending`));
      const revoked = await cli(["revoke", id]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match((await cli(["list"])).stdout, new RegExp(`${id}\\tfrom-cli\\trevoked`));
      const denied = await cli(["list"], `kdt_${"A".repeat(43)}`);
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /HTTP 401/);
      const bad = await cli(["create", 'x"; touch /tmp/pwned; echo "']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /HTTP 400/);
    } finally {
      await t.stop();
    }
  },
});
