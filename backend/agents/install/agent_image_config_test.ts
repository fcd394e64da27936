// AGENT_IMAGE (and --agent-image): the image install commands set, DEFAULT_AGENT_IMAGE when unset,
// refused at start with the reason when it is not an image reference.
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../config.ts";
import { DEFAULT_AGENT_IMAGE } from "../../../common/version.ts";

Deno.test("AGENT_IMAGE: default, custom registries, flag, refusals", () => {
  const D = `sha256:${"ab".repeat(32)}`;
  // [env value, flag value, image or an error pattern]
  const cases: Array<[string | undefined, string | undefined, string | RegExp]> = [
    [undefined, undefined, DEFAULT_AGENT_IMAGE],
    ["", undefined, DEFAULT_AGENT_IMAGE],
    [
      "registry.example.com:5000/dashboard-agent:0.1.0",
      undefined,
      "registry.example.com:5000/dashboard-agent:0.1.0",
    ],
    [`mirror.local/agent@${D}`, undefined, `mirror.local/agent@${D}`],
    ["a.io/x:1", "b.io/y:2", "b.io/y:2"],
    [
      "Registry.io/Agent:1",
      undefined,
      /AGENT_IMAGE="Registry.io\/Agent:1": "Agent" is not a path component/,
    ],
    ["agent@sha256:1", undefined, /AGENT_IMAGE=.*the digest "sha256:1" is not/],
    ["x'; rm -rf /; '", undefined, /AGENT_IMAGE=.*use \[registry\[:port\]\/\]path\[:tag\]/],
    [undefined, "a b", /AGENT_IMAGE="a b"/],
  ];
  for (const [env, flag, want] of cases) {
    const label = `env ${env} flag ${flag}`;
    const load = () =>
      loadConfig({ AGENT_IMAGE: env }, flag === undefined ? [] : [`--agent-image=${flag}`]);
    if (want instanceof RegExp) {
      assert.throws(
        load,
        (err: unknown) => err instanceof ConfigError && want.test(err.message),
        label,
      );
    } else {
      assert.equal(load().agentImage, want, label);
    }
  }
});
