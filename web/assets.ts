// Built assets (island bundles and CSS in web/static/build/, named by content hash) and the
// other static files in web/static/: where they are, the manifest that names the current
// build, serving them with the right cache headers, and building them on first start (web/build.ts
// in a subprocess: the server never imports the build tool).
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PROJECT_ROOT } from "../common/project_root.ts";

export const WEB_DIR = fileURLToPath(new URL("web", PROJECT_ROOT));
export const STATIC_DIR = join(WEB_DIR, "static");
export const BUILD_DIR = join(STATIC_DIR, "build");
export const MANIFEST = join(BUILD_DIR, "manifest.json");

/** What web/build.ts writes: the hashed entry script and stylesheet (paths under /static/build/). */
export interface Manifest {
  js: string;
  css: string;
  builtAt: string;
}

let cached: { mtime: number; manifest: Manifest } | null = null;

/** The current manifest (re-read when the file changes, so a rebuild needs no restart). */
export function readManifest(): Manifest | null {
  try {
    const st = Deno.statSync(MANIFEST);
    const mtime = st.mtime?.getTime() ?? 0;
    if (cached && cached.mtime === mtime) return cached.manifest;
    const manifest = JSON.parse(Deno.readTextFileSync(MANIFEST)) as Manifest;
    cached = { mtime, manifest };
    return manifest;
  } catch {
    return null;
  }
}

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  map: "application/json; charset=utf-8",
  json: "application/json; charset=utf-8",
  woff2: "font/woff2",
};

/** Names with a content hash (main-3F2A9C1B.js, chunk-ZENI6VJ4.js) never change: cache for a year. */
export const HASHED = /-[A-Z0-9]{8,}\.(js|css)$/i;

/**
 * Serves one file from web/static (`name` like "theme.js" or "build/main-ABC.js"). Only plain
 * names are accepted: no traversal, no hidden files.
 */
export async function serveStatic(name: string, req: Request): Promise<Response> {
  if (
    !/^(build\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes("..") ||
    name === "build/manifest.json"
  ) {
    return new Response("not found", { status: 404 });
  }
  const ext = name.slice(name.lastIndexOf(".") + 1).toLowerCase();
  const type = TYPES[ext];
  if (!type) return new Response("not found", { status: 404 });
  let file: Deno.FsFile;
  try {
    file = await Deno.open(join(STATIC_DIR, name), { read: true });
  } catch {
    return new Response("not found", { status: 404, headers: { "cache-control": "no-store" } });
  }
  const st = await file.stat();
  const immutable = name.startsWith("build/") && HASHED.test(name);
  const etag = `"${st.size.toString(16)}-${(st.mtime?.getTime() ?? 0).toString(16)}"`;
  const headers = new Headers({
    "content-type": type,
    "cache-control": immutable
      ? "public, max-age=31536000, immutable"
      : "public, max-age=300, must-revalidate",
    etag,
    "x-content-type-options": "nosniff",
  });
  if (req.headers.get("if-none-match") === etag) {
    file.close();
    return new Response(null, { status: 304, headers });
  }
  headers.set("content-length", String(st.size));
  if (req.method === "HEAD") {
    file.close();
    return new Response(null, { headers });
  }
  return new Response(file.readable, { headers });
}

/** Runs `deno <args>` in the project folder; fails with its stderr. */
export async function runDeno(args: string[], what: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: join(WEB_DIR, ".."),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    // deno-lint-ignore no-control-regex
    const err = new TextDecoder().decode(out.stderr).replace(/\x1b\[[0-9;]*m/g, "");
    throw new Error(`${what} failed:\n${err.slice(-4000)}`);
  }
}

let ensuring: Promise<void> | null = null;

/**
 * Builds the assets (web/build.ts) in a subprocess when web/static/build/manifest.json is
 * missing (first start of a fresh checkout). Concurrent callers share one build. Needs
 * --allow-run for `deno`; WEB_BUILD_CONFIG names another deno.json.
 */
export function ensureWebBuild(): Promise<void> {
  if (readManifest()) return Promise.resolve();
  ensuring ??= (async () => {
    console.error("web: assets are not built yet; building them now (deno task web:build)…");
    const config = Deno.env.get("WEB_BUILD_CONFIG");
    await runDeno([
      "run",
      "-A",
      ...(config ? [`--config=${config}`] : []),
      join(WEB_DIR, "build.ts"),
      ...(config ? [`--config=${config}`] : []),
    ], "web build");
    if (!readManifest()) throw new Error("the web build wrote no manifest");
  })().finally(() => (ensuring = null));
  return ensuring;
}
