/**
 * Builds the web UI's assets into web/static/build/:
 *
 *  - the island bundle: `deno bundle` of web/client/main.ts for the browser, ESM, minified, with
 *    code splitting (one chunk per island, loaded on demand). esbuild names chunks by content
 *    hash; the entry is renamed main-<hash>.js here.
 *  - the stylesheet: Tailwind CSS v4 (npm @tailwindcss/cli, run by Deno) over web/styles.css,
 *    minified, named app-<hash>.css. Its `@import "<npm package>/<file>.css"` lines (xterm.js's
 *    stylesheet) are rewritten to the installed package's file.
 *  - manifest.json naming the current entry and stylesheet (read by the server per request, so
 *    a rebuild needs no restart). Files of older builds are removed after a day.
 *
 * Usage: deno run -A web/build.ts [--config=deno.json]   (deno task web:build)
 * The dashboard calls ensureWebBuild() (assets.ts) at start: it runs this script in a subprocess
 * once when the manifest is missing, so the server never loads this module.
 */
import { join } from "node:path";
import { BUILD_DIR, MANIFEST, type Manifest, runDeno, WEB_DIR } from "./assets.ts";

const KEEP_OLD_MS = 24 * 3600_000;

async function hash(data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return Array.from(d.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

/** The installed tailwindcss package's index.css (a file path the Tailwind CLI can import). */
async function tailwindIndexCss(): Promise<string> {
  await import("tailwindcss");
  const url = import.meta.resolve("tailwindcss/index.css");
  if (!url.startsWith("file:")) {
    throw new Error(`cannot locate tailwindcss on disk (resolved to ${url})`);
  }
  return decodeURIComponent(new URL(url).pathname);
}

/**
 * The file of an installed npm package that the stylesheet imports (`@xterm/xterm/css/xterm.css`),
 * as a path the Tailwind CLI can read: the package is resolved through deno.json's imports (the
 * island bundle, built first, has installed it).
 */
function packageCss(specifier: string): string {
  const url = import.meta.resolve(specifier);
  if (!url.startsWith("file:")) {
    throw new Error(`cannot locate ${specifier} on disk (resolved to ${url})`);
  }
  return decodeURIComponent(new URL(url).pathname);
}

export interface BuildResult extends Manifest {
  files: string[];
  ms: number;
}

/** `config`: a deno.json other than the project's (passed on to the deno subprocesses). */
export async function buildWeb(opts: { config?: string } = {}): Promise<BuildResult> {
  const started = performance.now();
  const cfg = opts.config ? [`--config=${opts.config}`] : [];
  await Deno.mkdir(BUILD_DIR, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: BUILD_DIR, prefix: ".tmp-" });
  try {
    // 1. Islands bundle.
    const jsDir = join(tmp, "js");
    await runDeno(
      [
        "bundle",
        ...cfg,
        "--quiet",
        "--platform",
        "browser",
        "--format",
        "esm",
        "--code-splitting",
        "--minify",
        "--outdir",
        jsDir,
        join(WEB_DIR, "client", "main.ts"),
      ],
      "deno bundle",
    );
    const files: string[] = [];
    let js = "";
    for await (const e of Deno.readDir(jsDir)) {
      if (!e.isFile) continue;
      const data = await Deno.readFile(join(jsDir, e.name));
      const name = e.name === "main.js" ? `main-${await hash(data)}.js` : e.name;
      if (e.name === "main.js") js = name;
      await Deno.writeFile(join(BUILD_DIR, name), data);
      files.push(name);
    }
    if (!js) throw new Error("deno bundle wrote no main.js");

    // 2. Tailwind CSS.
    const input = (await Deno.readTextFile(join(WEB_DIR, "styles.css")))
      .replace(/@import\s+"tailwindcss"/, `@import ${JSON.stringify(await tailwindIndexCss())}`)
      .replace(
        /@import\s+"((?:@[\w.-]+\/)?[\w.-]+\/[^"]+\.css)"/g,
        (_m, spec) => `@import ${JSON.stringify(packageCss(spec))}`,
      )
      .replace(
        /@source(\s+not)?\s+"\.\/([^"]*)"/g,
        (_m, not, rel) => `@source${not ?? ""} ${JSON.stringify(join(WEB_DIR, rel))}`,
      );
    const inFile = join(tmp, "input.css");
    const outFile = join(tmp, "app.css");
    await Deno.writeTextFile(inFile, input);
    await runDeno([
      "run",
      ...cfg,
      "-A",
      "npm:@tailwindcss/cli@^4.3.5",
      "-i",
      inFile,
      "-o",
      outFile,
      "--minify",
    ], "tailwindcss");
    const cssData = await Deno.readFile(outFile);
    const css = `app-${await hash(cssData)}.css`;
    await Deno.writeFile(join(BUILD_DIR, css), cssData);
    files.push(css);

    // 3. Manifest (atomic), then prune old builds.
    const manifest: Manifest = { js, css, builtAt: new Date().toISOString() };
    await Deno.writeTextFile(join(tmp, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    await Deno.rename(join(tmp, "manifest.json"), MANIFEST);
    const keep = new Set([...files, "manifest.json"]);
    for await (const e of Deno.readDir(BUILD_DIR)) {
      if (!e.isFile || keep.has(e.name)) continue;
      const st = await Deno.stat(join(BUILD_DIR, e.name));
      if (Date.now() - (st.mtime?.getTime() ?? 0) > KEEP_OLD_MS) {
        await Deno.remove(join(BUILD_DIR, e.name));
      }
    }
    return { ...manifest, files, ms: Math.round(performance.now() - started) };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const config = Deno.args.find((a) => a.startsWith("--config="))?.slice("--config=".length);
  const r = await buildWeb({ config });
  console.log(`web: built ${r.js} and ${r.css} (${r.files.length} files) in ${r.ms} ms`);
}
