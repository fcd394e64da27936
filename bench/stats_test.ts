import assert from "node:assert/strict";
import { percentile, ratio, table } from "./stats.ts";

Deno.test("percentile by nearest rank", () => {
  const cases: Array<[number[], number, number]> = [
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
    [[10, 1], 50, 1],
    [[7], 99, 7],
  ];
  for (const [values, p, want] of cases) assert.equal(percentile(values, p), want);
  assert.ok(Number.isNaN(percentile([], 50)));
});

Deno.test("ratio guards against zero and non-finite input", () => {
  assert.equal(ratio(3, 2), 1.5);
  assert.ok(Number.isNaN(ratio(1, 0)));
  assert.ok(Number.isNaN(ratio(NaN, 1)));
});

Deno.test("table pads columns", () => {
  assert.equal(table(["a", "bb"], [["ccc", "d"]]), "| a   | bb |\n| --- | -- |\n| ccc | d  |");
});
