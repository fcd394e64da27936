// Table-driven tests of the line diff (lib/line_diff.ts): alignment, line numbers, the bound past
// which the middle is shown unaligned, and the folding of unchanged runs into context.
import assert from "node:assert/strict";
import { diffLines, diffRows, splitLines } from "./line_diff.ts";

/** A diff as compact strings: " a", "-b", "+c". */
const compact = (a: string[], b: string[], maxCells?: number) =>
  diffLines(a, b, maxCells).lines.map((l) =>
    (l.op === "equal" ? " " : l.op === "remove" ? "-" : "+") + l.text
  );

Deno.test("splitLines: a final newline ends the last line", () => {
  const cases: [string, string[]][] = [
    ["", []],
    ["a", ["a"]],
    ["a\n", ["a"]],
    ["a\nb\n", ["a", "b"]],
    ["a\n\nb", ["a", "", "b"]],
    ["\n", [""]],
  ];
  for (const [text, want] of cases) assert.deepEqual(splitLines(text), want, JSON.stringify(text));
});

Deno.test("diffLines: the changes, aligned on the longest common subsequence", () => {
  const cases: { name: string; a: string[]; b: string[]; want: string[] }[] = [
    { name: "equal", a: ["a", "b"], b: ["a", "b"], want: [" a", " b"] },
    { name: "both empty", a: [], b: [], want: [] },
    { name: "all new", a: [], b: ["x", "y"], want: ["+x", "+y"] },
    { name: "all gone", a: ["x", "y"], b: [], want: ["-x", "-y"] },
    { name: "one changed", a: ["a", "b", "c"], b: ["a", "B", "c"], want: [" a", "-b", "+B", " c"] },
    { name: "inserted", a: ["a", "c"], b: ["a", "b", "c"], want: [" a", "+b", " c"] },
    { name: "deleted", a: ["a", "b", "c"], b: ["a", "c"], want: [" a", "-b", " c"] },
    {
      name: "moved line",
      a: ["a", "b", "c", "d"],
      b: ["b", "c", "a", "d"],
      want: ["-a", " b", " c", "+a", " d"],
    },
    {
      name: "yaml value",
      a: ["data:", "  color: blue", "  size: 1", "kind: ConfigMap"],
      b: ["data:", "  color: green", "  size: 1", "kind: ConfigMap"],
      want: [" data:", "-  color: blue", "+  color: green", "   size: 1", " kind: ConfigMap"],
    },
    {
      name: "repeated lines",
      a: ["x", "x", "y"],
      b: ["x", "y", "x", "y"],
      want: [" x", "+y", " x", " y"],
    },
  ];
  for (const c of cases) assert.deepEqual(compact(c.a, c.b), c.want, c.name);
});

Deno.test("diffLines: counts and line numbers", () => {
  const d = diffLines(["a", "b", "c"], ["a", "B", "c", "d"]);
  assert.equal(d.added, 2);
  assert.equal(d.removed, 1);
  assert.equal(d.aligned, true);
  assert.deepEqual(
    d.lines.map((l) => [l.op, l.oldLine ?? null, l.newLine ?? null]),
    [
      ["equal", 1, 1],
      ["remove", 2, null],
      ["add", null, 2],
      ["equal", 3, 3],
      ["add", null, 4],
    ],
  );
});

Deno.test("diffLines: past the bound the middle is removed then added, the ends still kept", () => {
  const a = ["head", "1", "2", "3", "tail"];
  const b = ["head", "3", "2", "1", "tail"];
  // The middle is 3×3 lines: a 16-cell table. Allowed 16: aligned; 15: not.
  const aligned = diffLines(a, b, 16);
  assert.equal(aligned.aligned, true);
  assert.equal(aligned.added, 2, "one line kept in common");
  const rough = diffLines(a, b, 15);
  assert.equal(rough.aligned, false);
  assert.deepEqual(compact(a, b, 15), [
    " head",
    "-1",
    "-2",
    "-3",
    "+3",
    "+2",
    "+1",
    " tail",
  ]);
  // A big object with one change costs nothing: the common head and tail are set aside first.
  const big = Array.from({ length: 50_000 }, (_, i) => `line ${i}`);
  const changed = big.with(25_000, "changed");
  const d = diffLines(big, changed, 100);
  assert.equal(d.aligned, true);
  assert.deepEqual([d.added, d.removed], [1, 1]);
});

Deno.test("diffRows: changes with context, unchanged runs folded", () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `l${i + 1}`);
  const show = (a: string[], b: string[], context: number) =>
    diffRows(diffLines(a, b).lines, context).map((r) =>
      r.op === "skip" ? `…${r.count}` : (r.op === "equal" ? " " : r.op === "remove" ? "-" : "+") +
        r.text
    );
  const a = lines(20);
  const b = a.with(9, "X");
  const cases: { name: string; a: string[]; b: string[]; context: number; want: string[] }[] = [
    { name: "no change: nothing", a, b: a, context: 3, want: [] },
    {
      name: "one change in the middle",
      a,
      b,
      context: 2,
      want: ["…7", " l8", " l9", "-l10", "+X", " l11", " l12", "…8"],
    },
    {
      name: "change at the start",
      a,
      b: a.with(0, "X"),
      context: 1,
      want: ["-l1", "+X", " l2", "…18"],
    },
    {
      name: "two changes close together share their context",
      a,
      b: a.with(4, "X").with(7, "Y"),
      context: 2,
      want: ["…2", " l3", " l4", "-l5", "+X", " l6", " l7", "-l8", "+Y", " l9", " l10", "…10"],
    },
    { name: "new object: every line added", a: [], b: ["x", "y"], context: 3, want: ["+x", "+y"] },
  ];
  for (const c of cases) assert.deepEqual(show(c.a, c.b, c.context), c.want, c.name);
});
