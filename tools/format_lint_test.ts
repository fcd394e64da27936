// The repository is formatted and lint-clean, so the test command (and CI, which runs it) fails
// on what `deno task check` would: `deno fmt --check` and `deno lint` over the whole repository,
// with the configuration in deno.json. (The type check is the test run's own.)
import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../common/project_root.ts";

Deno.test("deno fmt --check and deno lint pass on the repository", async (t) => {
  const cases: [string, string[]][] = [
    ["deno fmt --check", ["fmt", "--check"]],
    ["deno lint", ["lint"]],
  ];
  for (const [name, args] of cases) {
    await t.step(name, async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args,
        cwd: PROJECT_ROOT,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(
        out.code,
        0,
        `${name} failed (run deno fmt, or fix what deno lint names):\n${text}`,
      );
    });
  }
});
