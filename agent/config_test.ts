// The agent's impersonation settings (./config.ts): ALLOW_IMPERSONATION / --allow-impersonation
// and IMPERSONATION_PREFIX / --impersonation-prefix, their defaults, and what is refused and why.
import assert from "node:assert/strict";
import { type AgentConfig, AgentConfigError, loadAgentConfig } from "./config.ts";

const ENV = { DASHBOARD_URL: "https://dashboard.example.com:9090" };

Deno.test("impersonation settings: defaults, flags, environment, refusals", () => {
  const PREFIX_WHY =
    /^IMPERSONATION_PREFIX=.* must be 2-64 characters of a-z, 0-9, ':', '\.', '_', '-', start with a letter or digit, end with ':' or '-', and not start with "system:"/;
  const cases: Array<{
    name: string;
    env?: Record<string, string>;
    args?: string[];
    want: Pick<AgentConfig, "allowImpersonation" | "impersonationPrefix"> | RegExp;
  }> = [
    {
      name: "defaults: off, dashboard:",
      want: { allowImpersonation: false, impersonationPrefix: "dashboard:" },
    },
    {
      name: "the chart's ConfigMap",
      env: { ALLOW_IMPERSONATION: "true", IMPERSONATION_PREFIX: "dashboard:" },
      want: { allowImpersonation: true, impersonationPrefix: "dashboard:" },
    },
    {
      name: "flags",
      args: ["--allow-impersonation", "--impersonation-prefix", "kd-"],
      want: { allowImpersonation: true, impersonationPrefix: "kd-" },
    },
    {
      name: "the flag wins over the variable",
      env: { IMPERSONATION_PREFIX: "kd-" },
      args: ["--impersonation-prefix=team.x:"],
      want: { allowImpersonation: false, impersonationPrefix: "team.x:" },
    },
    {
      name: "an empty variable counts as unset",
      env: { IMPERSONATION_PREFIX: "" },
      want: { allowImpersonation: false, impersonationPrefix: "dashboard:" },
    },
    {
      name: "64 characters",
      env: { IMPERSONATION_PREFIX: `${"a".repeat(63)}:` },
      want: { allowImpersonation: false, impersonationPrefix: `${"a".repeat(63)}:` },
    },
    {
      name: "65 characters",
      env: { IMPERSONATION_PREFIX: `${"a".repeat(64)}:` },
      want: PREFIX_WHY,
    },
    { name: "no final separator", env: { IMPERSONATION_PREFIX: "dashboard" }, want: PREFIX_WHY },
    { name: "capitals", env: { IMPERSONATION_PREFIX: "Dashboard:" }, want: PREFIX_WHY },
    { name: "a space", env: { IMPERSONATION_PREFIX: "dash board:" }, want: PREFIX_WHY },
    { name: "a comma", env: { IMPERSONATION_PREFIX: "a,b:" }, want: PREFIX_WHY },
    { name: "a separator alone", env: { IMPERSONATION_PREFIX: ":" }, want: PREFIX_WHY },
    { name: "Kubernetes' own names", env: { IMPERSONATION_PREFIX: "system:" }, want: PREFIX_WHY },
    {
      name: "under Kubernetes' own names",
      args: ["--impersonation-prefix", "system:serviceaccount:"],
      want: PREFIX_WHY,
    },
    {
      name: "not a boolean",
      env: { ALLOW_IMPERSONATION: "maybe" },
      want: /^ALLOW_IMPERSONATION="maybe" must be true or false$/,
    },
  ];
  for (const c of cases) {
    const load = () => loadAgentConfig({ ...ENV, ...c.env }, c.args ?? []) as AgentConfig;
    if (c.want instanceof RegExp) {
      assert.throws(load, (err: unknown) => {
        assert.ok(err instanceof AgentConfigError, c.name);
        assert.match(err.message, c.want as RegExp, c.name);
        return true;
      });
    } else {
      const cfg = load();
      assert.deepEqual(
        {
          allowImpersonation: cfg.allowImpersonation,
          impersonationPrefix: cfg.impersonationPrefix,
        },
        c.want,
        c.name,
      );
    }
  }
});
