// What can be proven about the images without building them (no Docker here): the agent's
// compile task grants exactly the permissions the tests run the agent with, its inputs
// type-check and bundle (the bundle's size is printed: docs/agent.md, "Image"), the agent runs
// under `deno run` with exactly those flags, and the Dockerfiles use the shared tasks/flags.
import assert from "node:assert/strict";
import { agentRunFlags, dashboardLaunch, ROOT } from "../../testing/harness.ts";
import { VERSION } from "../../common/version.ts";

const tasks = async () =>
  (JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as { tasks: Record<string, string> })
    .tasks;
const runFlags = (cmd: string) =>
  cmd.split(/\s+/).filter((w) =>
    w.startsWith("--allow-") || w.startsWith("--deny-") || w.startsWith("--v8-flags=")
  ).sort();

async function deno(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

Deno.test("agent:compile has exactly the agent task's permissions and V8 flags", async () => {
  const t = await tasks();
  assert.ok(t["agent:compile"].startsWith("deno compile "));
  assert.deepEqual(runFlags(t["agent:compile"]), runFlags(t.agent));
  // ...which are the flags the e2e harness runs every test agent with.
  assert.deepEqual(runFlags(t.agent), (await agentRunFlags()).sort());
  // The agent reads no file of its source tree at run time (agent.proto is compiled into static
  // code by `deno task proto`), so the binary embeds nothing besides the module graph.
  assert.doesNotMatch(t["agent:compile"], /--include/);
  assert.match(t["agent:compile"], /--output dist\/dashboard-agent agent\/main\.ts$/);
});

Deno.test("the Dockerfiles build with the shared tasks and flags", async () => {
  const agent = await Deno.readTextFile(`${ROOT}deploy/docker/Dockerfile.agent`);
  assert.match(agent, /^RUN .*deno task agent:compile/m);
  assert.match(agent, /npm install --global .*"deno@\$\(cat \.deno-version\)"/);
  assert.match(agent, /^ARG RUNTIME_IMAGE=gcr\.io\/distroless\/cc-debian12:nonroot$/m);
  assert.match(agent, /^USER 65532:65532$/m);
  assert.match(agent, /^ENTRYPOINT \["\/usr\/local\/bin\/dashboard-agent"\]$/m);
  assert.equal((agent.match(/^FROM /gm) ?? []).length, 2, "multi-stage");

  const dash = await Deno.readTextFile(`${ROOT}deploy/docker/Dockerfile`);
  // The steps `deno task start` runs before the dashboard are run when the image is built.
  const start = (await tasks()).start.split("&&").map((s) => s.trim());
  assert.deepEqual(start.slice(0, -1), [
    "deno task web:build",
    "deno task db:template",
    "deno task bundle",
  ]);
  const runs = [...dash.matchAll(/^RUN ((?:.*\\\n)*.*)$/gm)].map((m) => m[1]).join(" ");
  for (const step of start.slice(0, -1)) assert.ok(runs.includes(`&& ${step} `), step);
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dash);
  assert.ok(entry, "an exec-form ENTRYPOINT");
  const argv = JSON.parse(entry[1]) as string[];
  // Every flag of `deno task start` (permissions, V8's and Deno's: --no-code-cache), and only
  // --cached-only besides (the image has no network to fetch modules with).
  const { env, flags, main } = await dashboardLaunch();
  assert.deepEqual(
    argv.filter((w) => w.startsWith("--") && w !== "--cached-only").sort(),
    [...flags].sort(),
  );
  // ...and the environment `deno task start` sets (the allocator's settings).
  assert.ok(Object.keys(env).length > 0, "deno task start sets its environment");
  const envLines = [...dash.matchAll(/^ENV ((?:.*\\\n)*.*)$/gm)].map((m) => m[1]).join(" ");
  for (const [k, v] of Object.entries(env)) {
    assert.match(envLines, new RegExp(`(^|\\s)${k}=${v}(\\s|$)`), `the image sets ${k}=${v}`);
  }
  // ...and the file it runs (the bundle).
  assert.equal(`${ROOT}${argv.at(-1)}`, main);
  assert.match(dash, /^USER 65532:65532$/m);
  assert.equal((dash.match(/^FROM /gm) ?? []).length, 2, "multi-stage");
});

Deno.test("the agent type-checks, bundles, and runs with exactly the compile flags", async (t) => {
  await t.step("deno check agent/main.ts", async () => {
    const r = await deno(["check", "agent/main.ts"]);
    assert.equal(r.code, 0, r.err);
  });

  await t.step("deno bundle agent/main.ts (size for the image estimate)", async () => {
    const out = await Deno.makeTempFile({ prefix: "agent-bundle-", suffix: ".js" });
    const r = await deno(["bundle", "--quiet", "--platform", "deno", "-o", out, "agent/main.ts"]);
    assert.equal(r.code, 0, r.err);
    const size = (await Deno.stat(out)).size;
    console.log(`agent bundle: ${(size / 1e6).toFixed(2)} MB (${size} bytes)`);
    assert.ok(size > 100_000 && size < 10_000_000, `bundle size ${size} out of the expected range`);
    await Deno.remove(out);
  });

  await t.step("deno run <compile flags> agent/main.ts --version", async () => {
    const flags = runFlags((await tasks())["agent:compile"]);
    const r = await deno(["run", ...flags, "agent/main.ts", "--version"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), VERSION);
  });
});
