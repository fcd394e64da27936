// `deno task db:template`: makes the PGlite template (pglite_template.ts says what it is for) in
// build/pglite-template unless a current one is there: initdb, then the migrations, through the
// same code a dashboard opens its store with.
import { PGlite } from "@electric-sql/pglite";
import { rename, rm } from "node:fs/promises";
import { log } from "../../common/log.ts";
import { migrateUp } from "./migrate.ts";
import { openPglite } from "./pglite_db.ts";
import {
  dataDir,
  PGLITE_TEMPLATE_DIR,
  stampFile,
  templateCurrent,
  templateStamp,
} from "./pglite_template.ts";

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
    // The directory exists now, so openPglite opens it as it is (the template argument is unused).
    const db = await openPglite(dataDir(building), undefined, building);
    try {
      await migrateUp(db);
    } finally {
      await db.close();
    }
    await Deno.writeTextFile(stampFile(building), await templateStamp() + "\n");
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

if (import.meta.main) {
  const made = await ensurePgliteTemplate();
  log.debug("PGlite template", { dir: PGLITE_TEMPLATE_DIR, made });
}
