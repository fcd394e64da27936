// The agent's entry point as a process: a health address it cannot bind (a second agent on one
// host, both on the default 0.0.0.0:8081) stops it with a configuration error, exit 2, no stack
// trace; its memory reducer runs. Runs agent/main.ts with exactly the flags of `deno task agent`.
import assert from "node:assert/strict";
import { agentRunFlags, ROOT, startAgent } from "../testing/harness.ts";
import { eventually } from "../testing/eventually.ts";

/** A kubeconfig the agent loads without contacting anything (it exits before dialling). */
const KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "current-context: ctx",
  "contexts:",
  "- name: ctx",
  "  context: {cluster: c, user: u}",
  "clusters:",
  "- name: c",
  "  cluster:",
  "    server: http://127.0.0.1:9",
  "users:",
  "- name: u",
  "  user:",
  "    token: abc.def.ghi",
  "",
].join("\n");

for (
  const c of [
    {
      how: "HEALTH_ADDR",
      args: (_addr: string) => [],
      env: (addr: string) => ({ HEALTH_ADDR: addr }),
    },
    { how: "--health-addr", args: (addr: string) => ["--health-addr", addr], env: () => ({}) },
  ]
) {
  Deno.test({
    name: `agent: a busy health address (${c.how}) is a configuration error naming it, exit 2`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "agent-busy-" });
      const occupant = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const addr = `127.0.0.1:${(occupant.addr as Deno.NetAddr).port}`;
      try {
        await Deno.writeTextFile(`${dir}/kubeconfig`, KUBECONFIG);
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            ...(await agentRunFlags()),
            `${ROOT}agent/main.ts`,
            "--kubeconfig",
            `${dir}/kubeconfig`,
            "--state-dir",
            `${dir}/state`,
            ...c.args(addr),
          ],
          env: {
            DASHBOARD_URL: "http://127.0.0.1:9",
            INSECURE: "true",
            LOG_LEVEL: "warn",
            ...c.env(addr),
          },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        const out = await child.output().finally(() => clearTimeout(timer));
        const stderr = new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 2, stderr);
        assert.deepEqual(stderr.split("\n").filter((l) => l && !l.startsWith("{")), [
          `agent configuration error: ${addr} is in use (set HEALTH_ADDR or --health-addr to a ` +
          "free address, e.g. 127.0.0.1:0 for any port)",
        ]);
        assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
      } finally {
        occupant.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "agent: its launch flags expose V8's gc, so the memory reducer runs",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "agent-reducer-" });
    await Deno.writeTextFile(`${dir}/kubeconfig`, KUBECONFIG);
    // The dashboard is unreachable: the agent keeps dialling with backoff, and stays up.
    const agent = await startAgent({
      dashboardUrl: "http://127.0.0.1:9",
      caHash: null,
      kubeconfig: `${dir}/kubeconfig`,
      stateDir: `${dir}/state`,
    });
    try {
      await eventually(
        "the agent's first memory-reducer collection (5 s after start)",
        async () => (await agent.logs()).includes('"msg":"memory reducer: full collection"'),
        { timeoutMs: 20_000, message: agent.logs },
      );
    } finally {
      await agent.stop("SIGKILL");
      await Deno.remove(agent.logFile);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
