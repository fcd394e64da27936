// Interleaving log lines from several containers by their timestamps.
import assert from "node:assert/strict";
import {
  insertByTime,
  lineFilter,
  type LogLine,
  parseLine,
  prefixColour,
  Sources,
  trimTo,
} from "./log_lines.ts";

Deno.test("parseLine reads the kubelet's timestamp", () => {
  const cases: [string, { at: number; stamp: string; text: string }][] = [
    ["2026-01-01T00:00:09.000Z log line 9", {
      at: Date.UTC(2026, 0, 1, 0, 0, 9),
      stamp: "2026-01-01T00:00:09.000Z",
      text: "log line 9",
    }],
    ["2026-01-01T00:00:09.123456789Z nanos", {
      at: Date.UTC(2026, 0, 1, 0, 0, 9, 123),
      stamp: "2026-01-01T00:00:09.123456789Z",
      text: "nanos",
    }],
    ["2026-01-01T02:00:00+02:00 offset", {
      at: Date.UTC(2026, 0, 1, 0, 0, 0),
      stamp: "2026-01-01T02:00:00+02:00",
      text: "offset",
    }],
    ["no stamp here", { at: NaN, stamp: "", text: "no stamp here" }],
    ["2026-01-01T00:00:09Z", { at: NaN, stamp: "", text: "2026-01-01T00:00:09Z" }],
    ["", { at: NaN, stamp: "", text: "" }],
  ];
  for (const [line, want] of cases) assert.deepEqual(parseLine(3, line), { src: 3, ...want }, line);
});

Deno.test("insertByTime interleaves by time, arrival order among equals, unstamped last", () => {
  const at = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, "0")}.000Z`;
  const lines: LogLine[] = [];
  const arrivals: [number, string][] = [
    [0, `${at(1)} a1`],
    [0, `${at(3)} a3`],
    [1, `${at(2)} b2`],
    [1, `${at(3)} b3`],
    [0, "unstamped"],
    [1, `${at(0)} b0`],
    [0, `${at(4)} a4`],
  ];
  for (const [src, line] of arrivals) insertByTime(lines, parseLine(src, line));
  assert.deepEqual(lines.map((l) => l.text), ["b0", "a1", "b2", "a3", "b3", "a4", "unstamped"]);
});

Deno.test("trimTo keeps the newest lines", () => {
  const lines = [1, 2, 3, 4, 5].map((n) => parseLine(0, `l${n}`));
  trimTo(lines, 2);
  assert.deepEqual(lines.map((l) => l.text), ["l4", "l5"]);
  trimTo(lines, 5);
  assert.equal(lines.length, 2);
});

Deno.test("prefixColour cycles through the palette", () => {
  assert.equal(prefixColour(0), prefixColour(8));
  assert.notEqual(prefixColour(0), prefixColour(1));
});

Deno.test("Sources numbers streams on first sight and keeps the numbers (and colours)", () => {
  const s = new Sources();
  const seen = ["web-a/main", "web-b/main", "web-a/main", "web-a/sidecar", "web-b/main"]
    .map((n) => s.of(n));
  assert.deepEqual(seen, [0, 1, 0, 2, 1]);
  assert.equal(s.name(2), "web-a/sidecar");
  assert.equal(s.name(9), "");
  // Two streams seen one after the other never share a colour (within the palette's size).
  assert.notEqual(prefixColour(s.of("web-a/main")), prefixColour(s.of("web-b/main")));
});

Deno.test("lineFilter: case-insensitive substring of the shown line; blank keeps all", () => {
  const cases: [string, string, boolean][] = [
    ["", "anything", true],
    ["   ", "anything", true],
    ["error", "[web-a/main] ERROR: boom", true],
    ["web-b", "[web-a/main] log line 1 from web-a/main", false],
    ["web-a/main", "[web-a/main] x", true],
    ["line 7 ", "log line 7 from web-a/main", true],
    ["line 7 ", "log line 17 from web-a/main", false],
  ];
  for (const [q, line, want] of cases) assert.equal(lineFilter(q)(line), want, `${q} ~ ${line}`);
});
