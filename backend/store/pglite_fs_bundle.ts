// PGlite's file-system bundle (dist/pglite.data, 6.2 MB: PostgreSQL's share/ and lib/ files, which
// PGlite's in-memory file system serves from one buffer it keeps for the life of the instance),
// without the files a dashboard's PGlite never reads once its database exists. The buffer keeps
// the bundle's size and layout (PGlite checks the size, and its loader slices every file from it
// by offset), but the pages of the unread files are never written: allocated zero-filled (glibc
// maps a block this large on its own), they are never resident. ~4.7 MB less RSS
// (docs/benchmarks.md, "Dashboard footprint").
//
// Only for a database that exists: initdb reads the files skipped here, and it runs with the whole
// bundle (the template build, the Worker in pglite_db.ts, an in-memory database). The file table is
// read from PGlite's loader (dist/pglite.js); if that cannot be read as expected (another PGlite
// layout), PGlite gets no bundle of ours and loads its own, whole.
import { fileURLToPath } from "node:url";

/**
 * Files of the bundle PGlite never reads once the database exists: initdb's (the bootstrap
 * catalog, the SQL it runs, the SQL features list); the ICU data (the database's locale provider
 * is libc, locale "C"); the encoding conversions (client and server are both UTF-8); replication's
 * libraries; and the extension build kit (pgxs). Text search's dictionaries, the time zones and
 * the procedural language stay.
 */
export const UNREAD_FILES: readonly RegExp[] = [
  /^\/pglite\/share\/postgresql\/(postgres\.bki|[a-z_]+\.sql|sql_features\.txt)$/,
  /^\/pglite\/icu\//,
  /^\/pglite\/lib\/postgresql\/([a-z0-9]+(_[a-z0-9]+)*_and_[a-z0-9_]+|euc2004_sjis2004)\.so$/,
  /^\/pglite\/lib\/postgresql\/(libpqwalreceiver|pgoutput)\.so$/,
  /^\/pglite\/lib\/postgresql\/pgxs\//,
];

export interface BundleFile {
  name: string;
  start: number;
  end: number;
}

/**
 * The bundle's file table from its loader's source: every file's name and byte range, in order,
 * covering exactly `size` bytes; null when the source does not list them so.
 */
export function bundleFiles(loaderSource: string, size: number): BundleFile[] | null {
  const files = [...loaderSource.matchAll(/\{filename:"([^"]+)",start:(\d+),end:(\d+)\}/g)]
    .map(([, name, start, end]) => ({ name, start: Number(start), end: Number(end) }));
  let at = 0;
  for (const f of files) {
    if (f.start !== at || f.end < f.start) return null;
    at = f.end;
  }
  return files.length > 0 && at === size ? files : null;
}

/** What sparsePgliteBundle made: the bundle for PGlite's fsBundle option, and what it holds. */
export interface SparseBundle {
  /** PGlite reads it with arrayBuffer() only (typed as the Blob its option names). */
  bundle: Blob;
  keptBytes: number;
  skippedBytes: number;
}

/**
 * The bundle with the unread files left as zero pages; null when PGlite's file table cannot be
 * read as expected (the caller then lets PGlite load its own bundle).
 */
export async function sparsePgliteBundle(): Promise<SparseBundle | null> {
  const dist = new URL("./", import.meta.resolve("@electric-sql/pglite"));
  const dataPath = fileURLToPath(new URL("pglite.data", dist));
  const { size } = await Deno.stat(dataPath);
  const files = bundleFiles(await Deno.readTextFile(new URL("pglite.js", dist)), size);
  if (files === null) return null;
  const buffer = new ArrayBuffer(size);
  let keptBytes = 0;
  using data = await Deno.open(dataPath);
  for (const f of files) {
    if (UNREAD_FILES.some((re) => re.test(f.name))) continue;
    await data.seek(f.start, Deno.SeekMode.Start);
    const into = new Uint8Array(buffer, f.start, f.end - f.start);
    for (let read = 0; read < into.length;) {
      const n = await data.read(into.subarray(read));
      if (n === null) throw new Error(`${dataPath} ends before ${f.name}'s bytes`);
      read += n;
    }
    keptBytes += f.end - f.start;
  }
  const bundle = { arrayBuffer: () => Promise.resolve(buffer) } as unknown as Blob;
  return { bundle, keptBytes, skippedBytes: size - keptBytes };
}
