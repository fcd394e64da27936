// Builds build/dashboard.js, the form of the dashboard that `deno task start` and the image run:
// backend/main.ts and everything it imports (npm packages too) as one minified file, with its
// source map beside it (build/dashboard.js.map) but not linked from it: Deno parses a linked map
// into ~10 MB of native memory the first time any stack trace is formatted (something at start-up
// does) and keeps it for the life of the process. A crash's stack trace names positions in the
// bundle; `deno task stack` (tools/stack_trace.ts) maps them back to the TypeScript files.
//
// Why: V8 keeps every module's source text for as long as the process lives (functions compile
// lazily, from source). Run from its ~1,000 modules, the dashboard held 15.5 MB of strings in its
// heap, mostly that source: comments, whitespace and, for each TypeScript module, Deno's inline
// source map, which carries the whole original file again in base64 (a module with one
// non-Latin-1 character, such as an em dash in a comment, is even stored at two bytes a
// character). The bundle is 2.3 MB of one-byte text: strings 5.9 MB, the idle heap 30 -> 25 MB
// (docs/benchmarks.md, "The eleventh round").
//
// PGlite stays an import (resolved through deno.json and node_modules at run time): it finds its
// WASM and data files beside its own module. The files the dashboard reads at run time are found
// from common/project_root.ts, which works in both forms.
//
// Usage: deno task bundle. Tests and benchmarks that run the dashboard as a process call
// ensureDashboardBundle(), which builds it once per test process.
import { rename, rm } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { PROJECT_ROOT } from "../common/project_root.ts";
import { runDeno } from "../web/assets.ts";

/** The bundle (`deno task start` runs build/dashboard.js), and its source map beside it. */
export const DASHBOARD_BUNDLE_PATH = fileURLToPath(new URL("build/dashboard.js", PROJECT_ROOT));
export const DASHBOARD_MAP_PATH = `${DASHBOARD_BUNDLE_PATH}.map`;

/** Packages left as imports: they locate files relative to their own module. */
const EXTERNAL = ["@electric-sql/pglite"];

/**
 * Bundles backend/main.ts into build/dashboard.js (and its .map), written in a directory of its own
 * and renamed into place, so a dashboard starting meanwhile reads either the old or the new
 * bundle.
 */
export async function buildDashboardBundle(): Promise<void> {
  const target = DASHBOARD_BUNDLE_PATH;
  const name = basename(target);
  await Deno.mkdir(dirname(target), { recursive: true });
  // Both files are made under their final names (the bundle's last line names its map), in a
  // directory as deep as build/ (the map's paths are relative to it).
  const temp = await Deno.makeTempDir({ dir: fileURLToPath(PROJECT_ROOT), prefix: ".bundling-" });
  try {
    await runDeno([
      "bundle",
      "--quiet",
      "--platform=deno",
      "--minify",
      "--sourcemap=external",
      ...EXTERNAL.map((p) => `--external=${p}`),
      `--output=${temp}/${name}`,
      "backend/main.ts",
    ], "bundling the dashboard (deno bundle backend/main.ts)");
    await rename(`${temp}/${name}.map`, DASHBOARD_MAP_PATH);
    await rename(`${temp}/${name}`, target);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

let building: Promise<void> | null = null;

/** Builds the bundle from the current sources once per process (tests and benchmarks). */
export function ensureDashboardBundle(): Promise<void> {
  building ??= buildDashboardBundle();
  return building;
}

if (import.meta.main) await buildDashboardBundle();
