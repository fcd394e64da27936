// Kubeconfigs at the REST API and in the store (against a real dashboard on PGlite): the contexts
// endpoint is admin-only like the uploads it serves; a kubeconfig smuggling a `token-file` through
// a YAML merge key is refused with a 400 on every route that reads one and is never read when
// stored either (the periodic check reads stored kubeconfigs through the same one parse). The
// file named is a FIFO nobody writes to: any read would block the dashboard, so these tests
// finishing proves it was never opened.
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestDashboard } from "../../testing/harness.ts";
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

      // [role, what it does, the kubeconfig, status, what the answer says, and for an upload
      // the cluster's name]: the contexts endpoint without a name, POST /api/clusters with one.
      const aliased = `x: &t {token: t}\n${kubeconfig("*t")}`;
      const adminOnly = /needs the admin role/;
      const mergeKeys = /merge keys \('<<'\) are not accepted/;
      const aliases = /anchors \(&\) and aliases \(\*\) are not accepted/;
      const cases: Array<[string, string, string, number, RegExp, string?]> = [
        ["viewer", "lists contexts", good, 403, adminOnly],
        ["editor", "lists contexts", good, 403, adminOnly],
        ["editor", "sends a smuggled token-file", smuggled, 403, adminOnly],
        ["admin", "lists contexts", good, 200, /"contexts":\["ctx"\],"current":"ctx"/],
        ["admin", "lists contexts of a smuggled token-file", smuggled, 400, mergeKeys],
        ["admin", "adds a cluster, smuggled token-file", smuggled, 400, mergeKeys, "smuggled"],
        ["admin", "adds a cluster, anchor and alias", aliased, 400, aliases, "aliased"],
      ];
      for (const [role, what, kubeconfig, status, want, name] of cases) {
        const r = name
          ? await t.api("POST", "/api/clusters", { name, kubeconfig }, tokens[role])
          : await t.api("POST", "/api/clusters/kubeconfig-contexts", { kubeconfig }, tokens[role]);
        assert.equal(r.status, status, `${role} ${what}: ${r.text}`);
        assert.match(r.text, want, `${role} ${what}`);
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
      assert.match(last_error, mergeKeys);
    } finally {
      await t.stop();
      await Deno.remove(t.dataDir, { recursive: true });
      await Deno.remove(dir, { recursive: true });
    }
  },
});
