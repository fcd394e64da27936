// The PGlite template (pglite_template.ts, pglite_template_build.ts): a new data directory is a copy
// of a current template (same PostgreSQL system identifier, no initdb, already migrated), and is
// created by initdb when the template is missing, was made by another PGlite or for older
// migrations, or cannot be copied; an existing database is never replaced.
import assert from "node:assert/strict";
import { openPglite } from "./pglite_db.ts";
import { templateCurrent } from "./pglite_template.ts";
import { ensurePgliteTemplate } from "./pglite_template_build.ts";
import { migrateUp } from "./migrate.ts";

async function systemId(dir: string, template: string): Promise<string> {
  const db = await openPglite(dir, undefined, template);
  try {
    const [{ id }] = await db.query<{ id: string }>(
      "SELECT system_identifier::text AS id FROM pg_control_system()",
    );
    return id;
  } finally {
    await db.close();
  }
}

Deno.test("pglite template: copied into a new data directory when current, else initdb", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "pglite-template-" });
  try {
    const template = `${root}/template`;
    assert.equal(await templateCurrent(template), false);
    assert.equal(await ensurePgliteTemplate(template), true, "made");
    assert.equal(await ensurePgliteTemplate(template), false, "kept: already current");
    const templateId = await systemId(`${template}/pgdata`, `${root}/none`);
    // Nothing is left beside it from building it.
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["template"]);
    assert.equal(await templateCurrent(template), true);

    /** A template directory of its own with only a stamp: `stamp(the current one)`. */
    const restamped = async (name: string, stamp: (current: string) => string) => {
      const dir = `${root}/${name}`;
      await Deno.mkdir(dir);
      const current = (await Deno.readTextFile(`${template}/made-by`)).trim();
      await Deno.writeTextFile(`${dir}/made-by`, stamp(current) + "\n");
      return dir;
    };
    const stale = await restamped(
      "stale",
      (c) => c.replace(/^\S+/, "file:///elsewhere/pglite@0.0.1/dist/index.js"),
    );
    const older = await restamped("older", (c) => c.replace(/migrations:\S+/, "migrations:0000"));

    const broken = `${root}/broken`;
    await Deno.mkdir(broken);
    await Deno.copyFile(`${template}/made-by`, `${broken}/made-by`);

    const cases: [string, string, boolean][] = [
      ["a current template is copied", template, true],
      ["no template: initdb", `${root}/none`, false],
      ["a template of another PGlite version: initdb", stale, false],
      ["a template made for older migrations: initdb", older, false],
      ["a current stamp without its data directory (copy fails): initdb", broken, false],
    ];
    for (const [name, from, copied] of cases) {
      await t.step(name, async () => {
        const dataDir = await Deno.makeTempDir({ dir: root, prefix: "data-" });
        const dir = `${dataDir}/pgdata`;
        const id = await systemId(dir, from);
        assert.equal(id === templateId, copied, `${id} vs the template's ${templateId}`);
        // A usable database either way: migrated already (a copy) or the migrations apply, and it
        // opens again as it is.
        const db = await openPglite(dir, undefined, from);
        try {
          const applied = await migrateUp(db);
          assert.equal(applied.length === 0, copied, `applied ${applied}`);
        } finally {
          await db.close();
        }
        assert.equal(await systemId(dir, template), id, "reopened, not replaced");
        assert.deepEqual(
          [...Deno.readDirSync(dataDir)].map((e) => e.name),
          ["pgdata"],
        );
      });
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
