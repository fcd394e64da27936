// Built assets (island bundles and CSS in web/static/build/, named by content hash) and the
// other static files in web/static/: where they are, the manifest that names the current
// build, and serving them with the right cache headers.
import { join } from "node:path";

export const WEB_DIR = decodeURIComponent(new URL(".", import.meta.url).pathname).replace(
  /\/$/,
  "",
);
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
