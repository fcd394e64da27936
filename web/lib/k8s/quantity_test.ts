// Table tests of lib/k8s/quantity.ts: every suffix, exponents, malformed input, and the CPU and
// memory formats the metrics columns show.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { formatCpu, formatMemory, parseQuantity } from "./quantity.ts";

const close = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= Math.abs(b) * 1e-12;

Deno.test("parseQuantity: suffixes, exponents, plain numbers, malformed", () => {
  const cases: [string | null | undefined, number | null][] = [
    ["0", 0],
    ["1", 1],
    ["2.5", 2.5],
    [".5", 0.5],
    ["100n", 100e-9],
    ["12345678n", 0.012345678],
    ["500u", 0.0005],
    ["250m", 0.25],
    ["1500m", 1.5],
    ["1k", 1000],
    ["3M", 3e6],
    ["2G", 2e9],
    ["1T", 1e12],
    ["1P", 1e15],
    ["1E", 1e18],
    ["1Ki", 1024],
    ["64Mi", 64 * 1024 * 1024],
    ["1.5Gi", 1.5 * 1024 ** 3],
    ["2Ti", 2 * 1024 ** 4],
    ["1Pi", 1024 ** 5],
    ["1Ei", 1024 ** 6],
    ["1e3", 1000],
    ["1E3", 1000],
    ["5e-3", 0.005],
    ["+2", 2],
    ["-1m", -0.001],
    [" 7Mi ", 7 * 1024 * 1024],
    ["", null],
    ["Mi", null],
    ["12mi", null],
    ["1.2.3", null],
    ["1 Mi", null],
    ["abc", null],
    [null, null],
    [undefined, null],
  ];
  for (const [q, want] of cases) {
    const got = parseQuantity(q);
    if (!close(got, want)) {
      throw new Error(`parseQuantity(${JSON.stringify(q)}) = ${got}, want ${want}`);
    }
  }
});

Deno.test("formatCpu: millicores, rounded up like kubectl top", () => {
  const cases: [number | null, string][] = [
    [0, "0m"],
    [0.25, "250m"],
    [1.5, "1500m"],
    [0.012345678, "13m"],
    [0.0000001, "1m"],
    [2, "2000m"],
    [parseQuantity("12m"), "12m"],
    [parseQuantity("999999n"), "1m"],
    [null, "—"],
    [NaN, "—"],
  ];
  for (const [v, want] of cases) assertEquals([v, formatCpu(v)], [v, want]);
});

Deno.test("formatMemory: KiB, MiB, GiB", () => {
  const cases: [number | null, string][] = [
    [0, "0 MiB"],
    [1, "1 KiB"],
    [1536, "2 KiB"],
    [1024 * 1024, "1 MiB"],
    [parseQuantity("34Mi"), "34 MiB"],
    [parseQuantity("512Mi"), "512 MiB"],
    [parseQuantity("1023.9Mi"), "1 GiB"],
    [parseQuantity("1Gi"), "1 GiB"],
    [parseQuantity("1.25Gi"), "1.3 GiB"],
    [parseQuantity("2Gi"), "2 GiB"],
    [parseQuantity("100M"), "95 MiB"],
    [null, "—"],
  ];
  for (const [v, want] of cases) assertEquals([v, formatMemory(v)], [v, want]);
});
