// `deno task mutate`: breaks each access-control guard of tools/mutate/mutations.json, one at a
// time, in a scratch copy of the working tree, runs the tests that claim to cover it, and
// reports KILLED (a test failed) or SURVIVED (every test passed: the guard is unproven). Exits
// 1 on any survivor, 2 when the list no longer matches the code.
//
//   deno task mutate [--only id,id] [--no-baseline] [--keep]
//
// Tests run with --no-check, so a mutation is caught by behaviour, never by the type checker.
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  applyMutation,
  failingTests,
  LIST_PATH,
  type Mutation,
  parseMutationList,
  testsRun,
} from "./plan.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(/\/$/, "");
const PER_RUN_TIMEOUT_MS = 10 * 60_000;
const TEST_FLAGS = [
  "test",
  "--no-check",
  "--unstable-no-legacy-abort",
  "--allow-all",
  "--v8-flags=--expose-gc",
  "--fail-fast",
];

interface Outcome {
  id: string;
  result: "KILLED" | "SURVIVED" | "TIMEOUT" | "NO TESTS";
  seconds: number;
  caughtBy: string[];
  log: string;
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** A copy of the work tree as it is (tracked and untracked, not ignored files), sharing the
 * installed node_modules and the built Kubernetes tools by symlink. */
async function scratchCopy(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kd-mutate-" });
  const files = (await run("git", ["ls-files", "-co", "--exclude-standard", "-z"], ROOT))
    .split("\0").filter(Boolean);
  for (const f of files) {
    const from = join(ROOT, f);
    const stat = await Deno.lstat(from).catch(() => null);
    if (!stat?.isFile) continue; // deleted in the work tree, or a symlink/directory entry
    await Deno.mkdir(join(dir, f, ".."), { recursive: true });
    await Deno.copyFile(from, join(dir, f));
  }
  for (const shared of ["node_modules", ".cache"]) {
    if (await Deno.lstat(join(ROOT, shared)).catch(() => null)) {
      await Deno.symlink(join(ROOT, shared), join(dir, shared));
    }
  }
  return dir;
}

async function denoTest(
  cwd: string,
  tests: string[],
  filter: string | undefined,
  logFile: string,
): Promise<{ code: number | null; output: string; seconds: number }> {
  const started = performance.now();
  const args = [...TEST_FLAGS, ...(filter ? ["--filter", filter] : []), ...tests];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), PER_RUN_TIMEOUT_MS);
  const out = await child.output();
  clearTimeout(timer);
  const output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  await Deno.writeTextFile(logFile, output);
  const seconds = (performance.now() - started) / 1000;
  return { code: out.signal === "SIGKILL" ? null : out.code, output, seconds };
}

async function mutateOnce(dir: string, m: Mutation, logDir: string): Promise<Outcome> {
  const path = join(dir, m.file);
  const original = await Deno.readTextFile(path);
  await Deno.writeTextFile(path, applyMutation(original, m));
  try {
    const log = join(logDir, `${m.id}.log`);
    const r = await denoTest(dir, m.tests, m.filter, log);
    // A filter that matches no test, or an empty file, proves nothing: never call that a kill.
    const result = r.code === null
      ? "TIMEOUT"
      : testsRun(r.output) === 0
      ? "NO TESTS"
      : r.code === 0
      ? "SURVIVED"
      : "KILLED";
    return { id: m.id, result, seconds: r.seconds, caughtBy: failingTests(r.output), log };
  } finally {
    await Deno.writeTextFile(path, original);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      only: { type: "string" },
      "no-baseline": { type: "boolean" },
      keep: { type: "boolean" },
    },
  });
  const list = parseMutationList(await Deno.readTextFile(join(ROOT, LIST_PATH)));
  const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((id) => !list.mutations.some((m) => m.id === id)) ?? [];
  if (unknown.length) {
    console.error(`mutate: no mutation with id ${unknown.join(", ")} in ${LIST_PATH}`);
    return 2;
  }
  const chosen = only ? list.mutations.filter((m) => only.includes(m.id)) : list.mutations;

  const dir = await scratchCopy();
  const logDir = join(dir, ".mutate-logs");
  await Deno.mkdir(logDir);
  try {
    // Every entry must still name code that exists exactly once: a stale list fails loudly.
    for (const m of chosen) applyMutation(await Deno.readTextFile(join(dir, m.file)), m);
    if (!values["no-baseline"]) {
      const tests = [...new Set(chosen.flatMap((m) => m.tests))];
      console.log(`baseline: ${tests.length} test files, unmutated`);
      const base = await denoTest(dir, tests, undefined, join(logDir, "baseline.log"));
      if (base.code !== 0) {
        values.keep = true;
        console.error(
          `mutate: the unmutated tests fail; fix them first:\n  ` +
            (failingTests(base.output).join("\n  ") || base.output.slice(-2000)),
        );
        return 2;
      }
      console.log(`baseline: passed in ${base.seconds.toFixed(0)} s`);
    }
    const outcomes: Outcome[] = [];
    const started = performance.now();
    for (const [i, m] of chosen.entries()) {
      const o = await mutateOnce(dir, m, logDir);
      outcomes.push(o);
      const by = o.caughtBy.length ? `  caught by ${o.caughtBy[0]}` : "";
      console.log(
        `${o.result.padEnd(8)} ${String(i + 1).padStart(2)}/${chosen.length} ${m.id.padEnd(36)} ` +
          `${o.seconds.toFixed(0).padStart(4)} s${by}`,
      );
      if (o.result === "SURVIVED") {
        console.log(`         guard: ${m.guard}\n         log: ${o.log}`);
      }
    }
    const survived = outcomes.filter((o) => o.result === "SURVIVED" || o.result === "NO TESTS");
    const total = (performance.now() - started) / 1000;
    console.log(
      `mutate: ${outcomes.length - survived.length} killed, ${survived.length} not killed ` +
        `in ${total.toFixed(0)} s`,
    );
    if (survived.length) values.keep = true;
    return survived.length ? 1 : 0;
  } catch (err) {
    console.error(`mutate: ${(err as Error).message}`);
    return 2;
  } finally {
    if (values.keep) console.log(`scratch copy kept: ${dir}`);
    else await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main());
