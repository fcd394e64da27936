// Table tests of lib/sparkline.ts: scaling into the box (0 at the bottom, the largest value at
// the top, the newest at the right edge), flat and zero series, gaps, one sample.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { sparklineCoords, sparklinePoints } from "./sparkline.ts";

Deno.test("sparklineCoords: scaling", () => {
  const cases: [(number | null)[], number, number, number, [number, number][]][] = [
    // values, width, height, pad, want
    [[0, 5, 10], 100, 20, 0, [[0, 20], [50, 10], [100, 0]]],
    [[0, 5, 10], 100, 22, 1, [[0, 21], [50, 11], [100, 1]]],
    [[10, 10, 10], 60, 20, 0, [[0, 0], [30, 0], [60, 0]]],
    [[0, 0], 60, 20, 2, [[0, 18], [60, 18]]],
    [[4], 60, 20, 0, [[60, 0]]],
    [[2, null, 4], 60, 20, 0, [[0, 10], [60, 0]]],
    [[1, 2, 3, 4], 90, 30, 0, [[0, 22.5], [30, 15], [60, 7.5], [90, 0]]],
    [[3, 1], 10, 9, 0, [[0, 0], [10, 6]]],
    [[-1, 1], 10, 10, 0, [[0, 10], [10, 0]]],
    [[], 10, 10, 0, []],
  ];
  for (const [values, w, h, pad, want] of cases) {
    assertEquals([values, sparklineCoords(values, w, h, pad)], [values, want]);
  }
});

Deno.test("sparklinePoints: the polyline attribute; one point is a short dash", () => {
  assertEquals(sparklinePoints([0, 10], 100, 20, 0), "0,20 100,0");
  assertEquals(sparklinePoints([7], 100, 20, 0), "96,0 100,0");
  assertEquals(sparklinePoints([], 100, 20, 0), "");
});
