import assert from "node:assert/strict";
import { absoluteTime, formatRtt, kubeAge, plural, timeAgo, timeUntil } from "./format.ts";

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

Deno.test("timeAgo", () => {
  const cases: [unknown, string][] = [
    [null, "never"],
    [undefined, "never"],
    ["not a date", "never"],
    [ago(0), "just now"],
    [ago(-30), "just now"],
    [ago(1), "1 s ago"],
    [ago(12), "12 s ago"],
    [ago(59), "59 s ago"],
    [ago(60), "1 min ago"],
    [ago(3599), "59 min ago"],
    [ago(3600), "1 h ago"],
    [ago(86399), "23 h ago"],
    [ago(86400 * 2), "2 d ago"],
    [ago(86400 * 30), "30 d ago"],
    [ago(86400 * 31), "2026-05-15"],
    [new Date(NOW - 5000), "5 s ago"],
    [NOW - 7000, "7 s ago"],
  ];
  for (const [input, want] of cases) {
    assert.equal(timeAgo(input as string, NOW), want, `timeAgo(${input})`);
  }
  assert.equal(timeAgo(null, NOW, "—"), "—");
});

Deno.test("kubeAge matches kubectl's HumanDuration", () => {
  const cases: [number, string][] = [
    [-5, "0s"],
    [0, "0s"],
    [45, "45s"],
    [119, "119s"],
    [120, "2m"],
    [150, "2m30s"],
    [600, "10m"],
    [3 * 3600 - 1, "179m"],
    [3 * 3600, "3h"],
    [3 * 3600 + 240, "3h4m"],
    [8 * 3600, "8h"],
    [47 * 3600, "47h"],
    [48 * 3600, "2d"],
    [50 * 3600, "2d2h"],
    [8 * 86400, "8d"],
    [400 * 86400, "400d"],
    [730 * 86400, "2y"],
    [731 * 86400, "2y1d"],
    [9 * 365 * 86400, "9y"],
  ];
  for (const [secs, want] of cases) assert.equal(kubeAge(ago(secs), NOW), want, `${secs}s`);
  assert.equal(kubeAge(undefined, NOW), "<unknown>");
});

Deno.test("timeUntil", () => {
  const cases: [number | null, string][] = [
    [null, "never"],
    [-10, "expired"],
    [0, "expired"],
    [30, "in 30 s"],
    [90, "in 1 min"],
    [3600 * 23, "in 23 h"],
    [3600 * 47, "in 47 h"],
    [86400 * 7, "in 7 d"],
  ];
  for (const [secs, want] of cases) {
    assert.equal(timeUntil(secs === null ? null : NOW + secs * 1000, NOW), want, `${secs}`);
  }
});

Deno.test("formatRtt, plural, absoluteTime", () => {
  const rtt: [number | null | undefined, string][] = [[null, "—"], [undefined, "—"], [NaN, "—"], [
    3.14,
    "3.1 ms",
  ], [
    42.4,
    "42 ms",
  ], [1234, "1.2 s"]];
  for (const [v, want] of rtt) assert.equal(formatRtt(v), want);
  assert.equal(plural(1, "node"), "1 node");
  assert.equal(plural(0, "node"), "0 nodes");
  assert.equal(plural(null, "node"), "—");
  assert.equal(plural(2, "CRD", "CRDs"), "2 CRDs");
  assert.equal(absoluteTime(NOW), "2026-06-15 12:00:00 UTC");
  assert.equal(absoluteTime(null), "");
});
