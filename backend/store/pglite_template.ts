// A ready-made PGlite data directory, initialised and migrated (PostgreSQL's initdb and the
// migrations, done once per PGlite version and set of migrations by `deno task db:template`,
// pglite_template_build.ts, which `deno task start` and the image's build run), copied into
// DATA_DIR/pgdata on a dashboard's first start instead of creating the database in the dashboard.
// initdb peaks at several hundred MB and leaves tens of MB resident in the process that ran it,
// the migrations ~9 MB (docs/benchmarks.md, "Dashboard footprint"); a copy takes a fraction of a
// second and leaves none. Without a current template (another PGlite version or older migrations
// made it, or none was built), the dashboard creates the database itself as before (pglite_db.ts).
import { cp, rename, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { log } from "../../common/log.ts";
import { PROJECT_ROOT } from "../../common/project_root.ts";
import { loadMigrations } from "./migrate.ts";

/** Where `deno task db:template` puts the template (git-ignored; kept in the image). */
export const PGLITE_TEMPLATE_DIR = fileURLToPath(
  new URL("build/pglite-template", PROJECT_ROOT),
);

/** The PGlite build a template is for: its resolved module URL, which names its version. */
const pgliteBuild = () => import.meta.resolve("@electric-sql/pglite");
export const stampFile = (template: string) => `${template}/made-by`;
export const dataDir = (template: string) => `${template}/pgdata`;

let stamp: Promise<string> | undefined;

/**
 * What a current template's stamp reads: the PGlite build, and a SHA-256 over the migrations
 * (migrations/) applied to it. Both are fixed for the life of the process, so the migrations are
 * read for it once.
 */
export function templateStamp(): Promise<string> {
  stamp ??= (async () => {
    const migrations = (await loadMigrations()).map((m) => [m.version, m.name, m.up]);
    const digest = await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(JSON.stringify(migrations)),
    );
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
      .join("");
    return `${pgliteBuild()} migrations:${hex}`;
  })();
  return stamp;
}

/** Whether path exists (other errors than its absence are thrown). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Whether template holds a data directory made by the PGlite this process runs, with the
 * migrations it has.
 */
export async function templateCurrent(template: string): Promise<boolean> {
  try {
    return (await Deno.readTextFile(stampFile(template))).trim() === await templateStamp();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Copies a current template's data directory to dir, which must not exist (a new DATA_DIR);
 * false, leaving dir absent, when there is no current template or it cannot be copied (the caller
 * then creates the database itself). Copied beside dir and renamed, so an interrupted copy is
 * never taken for a database.
 */
export async function copyPgliteTemplate(template: string, dir: string): Promise<boolean> {
  const current = await templateCurrent(template).catch((err: Error) => {
    log.warn("the PGlite template's stamp cannot be read; creating the database", {
      template,
      err: err.message,
    });
    return null;
  });
  if (current === null) return false;
  if (!current) {
    if (await pathExists(template)) {
      log.warn(
        "the PGlite template was made by another PGlite version or for older migrations; creating the database",
        {
          template,
          fix: "run deno task db:template",
        },
      );
    }
    return false;
  }
  const copying = `${dir}.copying`;
  try {
    await rm(copying, { recursive: true, force: true });
    await cp(dataDir(template), copying, { recursive: true, errorOnExist: true });
    await rename(copying, dir);
    return true;
  } catch (err) {
    await rm(copying, { recursive: true, force: true });
    log.warn("the PGlite template could not be copied; creating the database", {
      template,
      err: (err as Error).message,
    });
    return false;
  }
}
