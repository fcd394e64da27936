// The guard mutations of `deno task mutate`: the curated list's schema and loader, applying one
// mutation to a file's text, and reading which test caught it from `deno test` output. Pure
// logic, unit-tested in plan_test.ts; run.ts does the copying and running.
import { z } from "zod";

/** One guard broken on purpose: `find` (exactly once in `file`) becomes `replace`. */
export const Mutation = z.object({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "ids are kebab-case"),
  guard: z.string().min(1),
  file: z.string().regex(/^[A-Za-z0-9_./-]+$/).refine((f) => !f.split("/").includes(".."), {
    message: "file must be a path inside the repository",
  }),
  find: z.string().min(1),
  replace: z.string(),
  tests: z.array(z.string().regex(/^[A-Za-z0-9_./-]+_test\.tsx?$/)).min(1),
  /** Passed to `deno test --filter`, to run only the tests that matter (keeps the run short). */
  filter: z.string().optional(),
}).refine((m) => m.find !== m.replace, { message: "replace must differ from find" });
export type Mutation = z.infer<typeof Mutation>;

export const MutationList = z.object({
  version: z.literal(1),
  mutations: z.array(Mutation).min(1),
}).superRefine((list, ctx) => {
  const seen = new Set<string>();
  for (const m of list.mutations) {
    if (seen.has(m.id)) ctx.addIssue({ code: "custom", message: `duplicate id ${m.id}` });
    seen.add(m.id);
  }
});
export type MutationList = z.infer<typeof MutationList>;

export const LIST_PATH = "tools/mutate/mutations.json";

/** Parses the list, with an error that names the entry and field at fault. */
export function parseMutationList(text: string, source = LIST_PATH): MutationList {
  const parsed = MutationList.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`${source} is not a valid mutation list:\n  ${issues.join("\n  ")}`);
  }
  return parsed.data;
}

/** The file's text with the mutation applied; throws unless `find` occurs exactly once. */
export function applyMutation(text: string, m: Mutation): string {
  const first = text.indexOf(m.find);
  if (first < 0) {
    throw new Error(`${m.id}: its code is no longer in ${m.file}; update the entry's "find"`);
  }
  if (text.indexOf(m.find, first + 1) >= 0) {
    throw new Error(`${m.id}: its code occurs more than once in ${m.file}; make "find" unique`);
  }
  return text.slice(0, first) + m.replace + text.slice(first + m.find.length);
}

// deno test's summary lists failures as "<test name> => ./path/to/file_test.ts:12:6" (steps as
// "<test> ... <step>") after a line " FAILURES ".
const FAILURE_LINE = /^(.+?) => \.?\/?([^\s:]+_test\.tsx?):\d+:\d+$/;

/** The failing tests named in deno test's output (ANSI colours removed), in order, unique. */
export function failingTests(output: string): string[] {
  // deno-lint-ignore no-control-regex
  const lines = output.replace(/\x1b\[[0-9;]*m/g, "").split("\n");
  const start = lines.findLastIndex((l) => l.trim() === "FAILURES");
  const out: string[] = [];
  for (const line of lines.slice(Math.max(start, 0))) {
    const m = FAILURE_LINE.exec(line.trim());
    if (m && !out.includes(`${m[2]}: ${m[1]}`)) out.push(`${m[2]}: ${m[1]}`);
  }
  return out;
}

/** The mutation ids a document names as `mutate:<id>` (how docs/security.md links its guards). */
export function referencedIds(doc: string): string[] {
  return [...new Set([...doc.matchAll(/mutate:([a-z0-9]+(?:-[a-z0-9]+)*)/g)].map((m) => m[1]))];
}

/** How many tests ran, from deno test's closing line ("ok | 3 passed (2 steps) | 0 failed"). */
export function testsRun(output: string): number {
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const m = [...plain.matchAll(/\| (\d+) passed.*?\| (\d+) failed/g)].at(-1);
  return m ? Number(m[1]) + Number(m[2]) : 0;
}
