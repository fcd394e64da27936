// The mutation list's logic, and the list itself kept honest: every entry names code that exists
// exactly once and tests that exist, and docs/security.md and the list name the same guards.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  applyMutation,
  failingTests,
  LIST_PATH,
  type Mutation,
  parseMutationList,
  referencedIds,
  testsRun,
} from "./plan.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(/\/$/, "");

const entry = (over: Partial<Mutation> = {}): Mutation => ({
  id: "role-check",
  guard: "viewers may not write",
  file: "backend/x.ts",
  find: "if (a) deny();",
  replace: "if (false) deny();",
  tests: ["backend/x_test.ts"],
  ...over,
});

Deno.test("applyMutation replaces exactly one occurrence, or says why it cannot", () => {
  const cases: [string, string, string | RegExp][] = [
    ["once", "x;\nif (a) deny();\ny;", "x;\nif (false) deny();\ny;"],
    ["missing", "x;", /no longer in backend\/x\.ts/],
    ["twice", "if (a) deny();if (a) deny();", /more than once/],
  ];
  for (const [name, text, want] of cases) {
    if (typeof want === "string") assert.equal(applyMutation(text, entry()), want, name);
    else assert.throws(() => applyMutation(text, entry()), want, name);
  }
});

Deno.test("failingTests reads deno test's FAILURES section", () => {
  const output = [
    "running 3 tests from ./a_test.ts",
    "outer fails => ./a_test.ts:1:6",
    "error: Error: x",
    "",
    " FAILURES ",
    "",
    "outer fails => ./a_test.ts:1:6",
    "with steps ... inner step => ./backend/b_test.ts:2:48",
    "outer fails => ./a_test.ts:1:6",
    "",
    "FAILED | 1 passed | 2 failed (1 step) (19ms)",
  ].join("\n");
  assert.deepEqual(failingTests(output), [
    "a_test.ts: outer fails",
    "backend/b_test.ts: with steps ... inner step",
  ]);
  assert.deepEqual(failingTests("ok | 3 passed | 0 failed"), []);
});

Deno.test("testsRun counts passed and failed tests from the closing line", () => {
  const cases: [string, number][] = [
    ["ok | 3 passed (12 steps) | 0 failed (2s)", 3],
    ["FAILED | 1 passed | 2 failed (1 step) (19ms)", 3],
    ["\x1b[0m\x1b[32mok\x1b[0m | 0 passed | 0 failed | 4 filtered out (0ms)", 0],
    ["error: Module not found", 0],
  ];
  for (const [output, want] of cases) assert.equal(testsRun(output), want, output);
});

Deno.test("parseMutationList names the entry and field at fault", () => {
  const cases: [string, unknown, RegExp | null][] = [
    ["valid", { version: 1, mutations: [entry()] }, null],
    ["bad id", { version: 1, mutations: [entry({ id: "Bad Id" })] }, /mutations\.0\.id/],
    ["escapes", { version: 1, mutations: [entry({ file: "../x.ts" })] }, /inside the repository/],
    ["not a test", { version: 1, mutations: [entry({ tests: ["x.ts"] })] }, /tests\.0/],
    ["no-op", { version: 1, mutations: [entry({ replace: "if (a) deny();" })] }, /must differ/],
    ["dup", { version: 1, mutations: [entry(), entry()] }, /duplicate id role-check/],
    ["version", { version: 2, mutations: [entry()] }, /version/],
  ];
  for (const [name, value, want] of cases) {
    const text = JSON.stringify(value);
    if (want) assert.throws(() => parseMutationList(text), want, name);
    else assert.equal(parseMutationList(text).mutations.length, 1, name);
  }
});

Deno.test("referencedIds finds mutate:<id> links", () => {
  assert.deepEqual(
    referencedIds("a (`mutate:role-check`), b mutate:csrf-no-header; again mutate:role-check."),
    ["role-check", "csrf-no-header"],
  );
});

Deno.test("the mutation list matches the code and docs/security.md", async () => {
  const list = parseMutationList(await Deno.readTextFile(join(ROOT, LIST_PATH)));
  for (const m of list.mutations) {
    applyMutation(await Deno.readTextFile(join(ROOT, m.file)), m); // throws when stale
    for (const t of m.tests) {
      assert.ok((await Deno.stat(join(ROOT, t))).isFile, `${m.id}: test file ${t} does not exist`);
    }
  }
  const ids = list.mutations.map((m) => m.id);
  const documented = referencedIds(await Deno.readTextFile(join(ROOT, "docs/security.md")));
  const undocumented = ids.filter((id) => !documented.includes(id));
  const unlisted = documented.filter((id) => !ids.includes(id));
  assert.deepEqual(undocumented, [], "mutations that docs/security.md does not name");
  assert.deepEqual(unlisted, [], `guards in docs/security.md without an entry in ${LIST_PATH}`);
});
