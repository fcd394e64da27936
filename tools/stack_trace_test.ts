// The stack-trace tool against the real bundle and its map: a bundle position inside a known
// module maps back to that TypeScript file; text that is not a bundle position is left alone.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bundleMap, mapStackTrace } from "./stack_trace.ts";
import {
  DASHBOARD_BUNDLE_PATH,
  DASHBOARD_MAP_PATH,
  ensureDashboardBundle,
} from "../backend/bundle.ts";

let bundleText: Promise<string> | undefined;
/** The current build's bundle, built (once) and read (once). */
function bundle(): Promise<string> {
  bundleText ??= ensureDashboardBundle().then(() => Deno.readTextFile(DASHBOARD_BUNDLE_PATH));
  return bundleText;
}

/** The 1-based line and column of the first occurrence of needle in the bundle. */
async function bundlePosition(needle: string): Promise<{ line: number; column: number }> {
  const lines = (await bundle()).split("\n");
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, `${needle} is in the bundle`);
  return { line: line + 1, column: lines[line].indexOf(needle) + 1 };
}

Deno.test("deno task stack maps bundle positions back to the TypeScript files", async () => {
  assert.ok(!(await bundle()).includes("sourceMappingURL"), "the bundle does not link its map");
  const map = await bundleMap();
  const reducer = await bundlePosition('"memory reducer: full collection"');
  const hub = await bundlePosition(
    '"agent silent past its heartbeat deadline; closing its stream"',
  );
  const cases: [string, string, RegExp][] = [
    [
      "a frame with a file URL",
      `    at tick (file:///app/build/dashboard.js:${reducer.line}:${reducer.column})`,
      /^ {4}at tick \(common\/memory_reducer\.ts:\d+:\d+\)$/,
    ],
    [
      "a frame without a function name",
      `    at build/dashboard.js:${hub.line}:${hub.column}`,
      /^ {4}at backend\/agents\/liveness\.ts:\d+:\d+$/,
    ],
    [
      "a position past the end of the bundle is left as it was",
      "    at file:///app/build/dashboard.js:999999:1",
      /^ {4}at file:\/\/\/app\/build\/dashboard\.js:999999:1$/,
    ],
    [
      "other text is left as it was",
      "error: Uncaught Error: boom",
      /^error: Uncaught Error: boom$/,
    ],
  ];
  for (const [name, frame, want] of cases) assert.match(mapStackTrace(frame, map), want, name);
});

Deno.test("deno task stack: the map given by --map, and clear errors", async () => {
  const reducer = await bundlePosition('"memory reducer: full collection"');
  const frame = `    at x (file:///app/build/dashboard.js:${reducer.line}:${reducer.column})\n`;
  const cases: [string, string[], number, RegExp][] = [
    [
      "--map of the build",
      [`--map=${DASHBOARD_MAP_PATH}`],
      0,
      /at x \(common\/memory_reducer\.ts:\d+:\d+\)/,
    ],
    ["a missing map", ["--map=/nonexistent.map"], 1, /reading the source map \/nonexistent\.map/],
    ["an unknown flag", ["--mapp=x"], 2, /usage: deno task stack \[--map=<file>\]/],
  ];
  for (const [name, args, code, want] of cases) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        fileURLToPath(new URL("./stack_trace.ts", import.meta.url)),
        ...args,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(frame));
    await writer.close();
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, code, `${name}: ${text}`);
    assert.match(text, want, name);
  }
});
