// Kubeconfigs at the REST API and in the store (against a real dashboard on PGlite): the contexts
// endpoint is admin-only like the uploads it serves; a kubeconfig smuggling a `token-file` through
// a YAML merge key is refused with a 400 on every route that reads one and is never read when
// stored either (the periodic check reads stored kubeconfigs through the same one parse). The
// file named is a FIFO nobody writes to: any read would block the dashboard, so these tests
// finishing proves it was never opened.
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestDashboard } from "../testing/harness.ts";
import { SecretBox } from "../crypto/secretbox.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

function kubeconfig(user: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: c",
    `  cluster: {server: "https://127.0.0.1:1", certificate-authority-data: ${btoa(PEM)}}`,
    "users:",
    "- name: u",
    `  user: ${user}`,
    "contexts:",
    "- name: ctx",
    "  context: {cluster: c, user: u}",
    "current-context: ctx",
  ].join("\n");
}

Deno.test({
  name: "kubeconfig routes: admin only, and a merge-key token-file is refused unread",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "kubeconfig-rest-" });
    const fifo = `${dir}/never-written`;
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success, "mkfifo");
    const t = await startTestDashboard({});
    try {
      const tokens: Record<string, string> = { admin: t.adminToken };
      for (const role of ["viewer", "editor"]) {
        const password = `${role}-password-for-tests`;
        const r = await t.api(
          "POST",
          "/api/users",
          { username: role, password, role },
          t.adminToken,
        );
        assert.equal(r.status, 201, r.text);
        tokens[role] = await t.login(role, password);
      }
      const good = kubeconfig("{token: t}");
      const smuggled = kubeconfig(`{<<: {token-file: ${fifo}}}`);
      const clusters = async () =>
        (await t.d.db.query<{ n: number }>("SELECT count(*)::int AS n FROM clusters"))[0].n;

      const cases: Array<{
        name: string;
        role: string;
        method: string;
        path: string;
        body: Record<string, string>;
        status: number;
        want: RegExp;
      }> = [
        {
          name: "viewer lists contexts",
          role: "viewer",
          method: "POST",
          path: "/api/clusters/kubeconfig-contexts",
          body: { kubeconfig: good },
          status: 403,
          want: /needs the admin role/,
        },
        {
          name: "editor lists contexts",
          role: "editor",
          method: "POST",
          path: "/api/clusters/kubeconfig-contexts",
          body: { kubeconfig: good },
          status: 403,
          want: /needs the admin role/,
        },
        {
          name: "editor sends a smuggled token-file",
          role: "editor",
          method: "POST",
          path: "/api/clusters/kubeconfig-contexts",
          body: { kubeconfig: smuggled },
          status: 403,
          want: /needs the admin role/,
        },
        {
          name: "admin lists contexts",
          role: "admin",
          method: "POST",
          path: "/api/clusters/kubeconfig-contexts",
          body: { kubeconfig: good },
          status: 200,
          want: /"contexts":\["ctx"\],"current":"ctx"/,
        },
        {
          name: "admin lists contexts of a smuggled token-file",
          role: "admin",
          method: "POST",
          path: "/api/clusters/kubeconfig-contexts",
          body: { kubeconfig: smuggled },
          status: 400,
          want: /merge keys \('<<'\) are not accepted/,
        },
        {
          name: "admin adds a cluster with a smuggled token-file",
          role: "admin",
          method: "POST",
          path: "/api/clusters",
          body: { name: "smuggled", kubeconfig: smuggled },
          status: 400,
          want: /merge keys \('<<'\) are not accepted/,
        },
        {
          name: "admin adds a cluster with an anchor and alias",
          role: "admin",
          method: "POST",
          path: "/api/clusters",
          body: { name: "aliased", kubeconfig: `x: &t {token: t}\n${kubeconfig("*t")}` },
          status: 400,
          want: /anchors \(&\) and aliases \(\*\) are not accepted/,
        },
      ];
      for (const c of cases) {
        const r = await t.api(c.method, c.path, c.body, tokens[c.role]);
        assert.equal(r.status, c.status, `${c.name}: ${r.text}`);
        assert.match(r.text, c.want, c.name);
      }
      assert.equal(await clusters(), 0, "nothing was stored");

      // A kubeconfig already stored (written before this check existed) goes through the same
      // parse when the periodic check builds its client: refused, reported, never read.
      const box = await SecretBox.fromBase64(
        (await Deno.readTextFile(join(t.dataDir, "encryption.key"))).trim(),
      );
      const id = crypto.randomUUID();
      await t.d.manager.store.createKubeconfigCluster({
        id,
        name: "stored-smuggled",
        sealed: await box.seal(smuggled, id),
        context: "ctx",
        server: "https://127.0.0.1:1",
        status: "connected",
      });
      await t.d.manager.check(id);
      const stored = await t.api("GET", `/api/clusters/${id}`, undefined, t.adminToken);
      assert.equal(stored.status, 200, stored.text);
      const { status, last_error } = stored.json as { status: string; last_error: string };
      assert.equal(status, "unreachable");
      assert.match(last_error, /merge keys \('<<'\) are not accepted/);
    } finally {
      await t.stop();
      await Deno.remove(t.dataDir, { recursive: true });
      await Deno.remove(dir, { recursive: true });
    }
  },
});
