// Maps a stack trace of the bundled dashboard (build/dashboard.js) back to the TypeScript files.
// The bundle's source map is written beside it but not linked from it: Deno would parse the 8.7 MB
// map into ~10 MB of native memory the first time any stack trace is formatted, and keep it for
// the life of the process (docs/benchmarks.md, "The twelfth round"). So a crash prints positions
// in the bundle, and this tool translates them with the map of the same build.
//
// Usage: deno task stack [--map=<file>] [crash.txt]   (the trace on stdin without a file). The map
// defaults to this checkout's build/dashboard.js.map; an image's is /app/build/dashboard.js.map.
import { originalPositionFor, TraceMap } from "@jridgewell/trace-mapping";
import { parseArgs } from "node:util";
import { DASHBOARD_MAP_PATH } from "../backend/bundle.ts";

/** `dashboard.js:LINE:COLUMN` in a stack frame, with or without the file's directory or URL. */
const BUNDLE_POSITION = /(?:file:\/\/)?[^\s()]*dashboard\.js:(\d+):(\d+)/g;

/**
 * text with every bundle position replaced by `file.ts:line:column` (paths relative to the
 * project), followed by the original name in brackets where the map has one. A position the map
 * does not cover is left as it was.
 */
export function mapStackTrace(text: string, map: TraceMap): string {
  return text.replace(BUNDLE_POSITION, (whole, line: string, column: string) => {
    // Stack traces count columns from 1; source maps from 0.
    const at = originalPositionFor(map, { line: Number(line), column: Number(column) - 1 });
    if (at.source === null) return whole;
    const file = at.source.replace(/^(\.\.\/)+/, "");
    return `${file}:${at.line}:${(at.column ?? 0) + 1}${at.name ? ` [${at.name}]` : ""}`;
  });
}

/** The map in path, by default the current build's (deno task bundle). */
export async function bundleMap(path = DASHBOARD_MAP_PATH): Promise<TraceMap> {
  try {
    return new TraceMap(await Deno.readTextFile(path));
  } catch (err) {
    throw new Error(
      `reading the source map ${path}: ${
        (err as Error).message
      } (run deno task bundle, or give the map of the build that crashed with --map=<file>)`,
    );
  }
}

if (import.meta.main) {
  let args;
  try {
    args = parseArgs({
      args: Deno.args,
      options: { map: { type: "string" } },
      allowPositionals: true,
    });
  } catch (err) {
    console.error(`${(err as Error).message}\nusage: deno task stack [--map=<file>] [crash.txt]`);
    Deno.exit(2);
  }
  const [file] = args.positionals;
  try {
    const text = file
      ? await Deno.readTextFile(file)
      : await new Response(Deno.stdin.readable).text();
    console.log(mapStackTrace(text, await bundleMap(args.values.map)));
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(1);
  }
}
