// A ready-made, empty PGlite data directory (PostgreSQL's initdb, done once per PGlite version by
// `deno task db:template`, which `deno task start` and the image's build run), copied into
// DATA_DIR/pgdata on a dashboard's first start instead of running initdb in the dashboard. initdb
// peaks at several hundred MB and leaves tens of MB resident in the process that ran it
// (docs/benchmarks.md, "Dashboard footprint"); a copy takes a fraction of a second and none.
// Without a current template (another PGlite version made it, or none was built), the dashboard
// creates the database itself as before (pglite_db.ts).
import { PGlite } from "@electric-sql/pglite";
import { cp, rename, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { log } from "../../common/log.ts";

/** Where `deno task db:template` puts the template (git-ignored; kept in the image). */
export const PGLITE_TEMPLATE_DIR = fileURLToPath(
  new URL("../../build/pglite-template", import.meta.url),
);

/** The PGlite build a template is for: its resolved module URL, which names its version. */
const pgliteBuild = () => import.meta.resolve("@electric-sql/pglite");
const stampFile = (template: string) => `${template}/made-by`;
const dataDir = (template: string) => `${template}/pgdata`;

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

/** Whether template holds a data directory made by the PGlite this process runs. */
export async function templateCurrent(template: string): Promise<boolean> {
  try {
    return (await Deno.readTextFile(stampFile(template))).trim() === pgliteBuild();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Makes the template in `template` unless a current one is there (true if it made one). It is
 * built beside it and renamed into place, so a crash leaves the old one or none, never half.
 */
export async function ensurePgliteTemplate(template = PGLITE_TEMPLATE_DIR): Promise<boolean> {
  if (await templateCurrent(template)) return false;
  const building = `${template}.building-${crypto.randomUUID()}`;
  try {
    await Deno.mkdir(building, { recursive: true });
    const pg = await PGlite.create(dataDir(building));
    await pg.close();
    await Deno.writeTextFile(stampFile(building), pgliteBuild() + "\n");
    // Another `deno task db:template` may have finished meanwhile: keep its template.
    if (await templateCurrent(template)) return false;
    await rm(template, { recursive: true, force: true });
    await rename(building, template);
    return true;
  } catch (err) {
    throw new Error(`making the PGlite template in ${template}: ${(err as Error).message}`);
  } finally {
    await rm(building, { recursive: true, force: true });
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
      log.warn("the PGlite template was made by another PGlite version; creating the database", {
        template,
        fix: "run deno task db:template",
      });
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

if (import.meta.main) {
  const made = await ensurePgliteTemplate();
  log.debug("PGlite template", { dir: PGLITE_TEMPLATE_DIR, made });
}
