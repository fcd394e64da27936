// Single-sign-on accounts against both stores: created at first sign-in and tied to the
// provider's subject, kept in step with the provider's groups, refused when disabled or when the
// username is someone else's, the last admin kept, access ended; and what an admin or the person
// may not change about such an account (the provider decides its role, groups and password).
import assert from "node:assert/strict";
import { AuthService, ManagedByProviderError, UserDisabledError } from "../service.ts";
import { hashPassword } from "../password.ts";
import { migrateUp } from "../../store/migrate.ts";
import { storeCases } from "../../../testing/stores.ts";
import { SsoAccounts, UsernameTaken } from "./accounts.ts";
import type { SsoIdentity } from "./identity.ts";

const ISSUER = "https://idp.example";
const who = (subject: string, username: string, more: Partial<SsoIdentity> = {}): SsoIdentity => ({
  issuer: ISSUER,
  subject,
  username,
  groups: ["developers"],
  role: "editor",
  droppedGroups: 0,
  ...more,
});

for (const store of storeCases) {
  Deno.test(`${store.name}: single-sign-on accounts`, async (t) => {
    const { db, cleanup } = await store.open();
    try {
      await migrateUp(db);
      const auth = new AuthService(db, 12, 0);
      const logged: string[] = [];
      const accounts = new SsoAccounts(db, auth, (m) => logged.push(m));
      const step = (name: string, fn: () => Promise<void>) =>
        t.step(name, async () => {
          await db.exec("TRUNCATE users CASCADE");
          logged.length = 0;
          await fn();
        });
      const localAdmin = async (username = "admin") =>
        (await auth.createUser(username, "correct horse battery", "admin")).id;

      await step("first sign-in creates the account; the session works", async () => {
        await localAdmin();
        const first = await accounts.signIn(who("s-1", "alice"));
        assert.equal(first.user.source, "sso");
        const me = await auth.authenticate(first.token);
        assert.deepEqual(
          [me?.username, me?.role, me?.groups, me?.source],
          ["alice", "editor", ["developers"], "sso"],
        );
        const [row] = await db.query<
          { sso_issuer: string; sso_subject: string; password_hash: string }
        >(
          "SELECT sso_issuer, sso_subject, password_hash FROM users WHERE username = 'alice'",
        );
        assert.deepEqual(row, { sso_issuer: ISSUER, sso_subject: "s-1", password_hash: "!" });
      });

      await step(
        "later sign-ins follow the provider's groups and role; the name stays",
        async () => {
          await localAdmin();
          const a = await accounts.signIn(who("s-1", "alice"));
          const b = await accounts.signIn(
            who("s-1", "alice.renamed", { groups: ["auditors"], role: "viewer" }),
          );
          assert.equal(b.user.id, a.user.id, "the same account (matched by subject, not name)");
          assert.deepEqual([b.user.username, b.user.role, b.user.groups], ["alice", "viewer", [
            "auditors",
          ]]);
          assert.equal((await auth.listUsers()).length, 2);
        },
      );

      await step("a provider name equal to a local account's is refused, not merged", async () => {
        await localAdmin("alice");
        await assert.rejects(
          accounts.signIn(who("s-9", "alice", { role: "admin" })),
          UsernameTaken,
        );
        const users = await auth.listUsers();
        assert.deepEqual(users.map((u) => [u.username, u.source]), [["alice", "local"]]);
      });

      await step("a disabled account stays out", async () => {
        await localAdmin();
        const { user } = await accounts.signIn(who("s-1", "alice"));
        await auth.updateUser(user.id, { disabled: true });
        await assert.rejects(accounts.signIn(who("s-1", "alice")), UserDisabledError);
      });

      await step("the last enabled admin keeps the admin role", async () => {
        const { user } = await accounts.signIn(who("s-1", "root", { role: "admin" }));
        const again = await accounts.signIn(who("s-1", "root", { role: "viewer" }));
        assert.equal(again.user.role, "admin");
        assert.match(logged.join("\n"), /keeps the admin role .* last enabled admin/);
        // With another admin, the provider's role applies.
        await localAdmin();
        const third = await accounts.signIn(who("s-1", "root", { role: "viewer" }));
        assert.equal(third.user.id, user.id);
        assert.equal(third.user.role, "viewer");
      });

      await step("endAccess ends the person's sessions and API tokens", async () => {
        await localAdmin();
        const { token, user } = await accounts.signIn(who("s-1", "alice"));
        const api = await auth.createApiToken(user.id, "ci");
        assert.ok(await auth.authenticate(api.token));
        assert.equal(await accounts.endAccess(ISSUER, "s-1"), true);
        assert.equal(await auth.authenticate(token), null);
        assert.equal(await auth.authenticate(api.token), null);
        assert.equal(await accounts.endAccess(ISSUER, "unknown"), false);
      });

      await step(
        "the provider decides role, groups and password; disable and delete stay",
        async () => {
          const adminId = await localAdmin();
          const { user } = await accounts.signIn(who("s-1", "alice"));
          for (
            const change of [{ role: "admin" as const }, { groups: ["x"] }, {
              password: "new password 123",
            }]
          ) {
            await assert.rejects(
              auth.updateUser(user.id, change, { actorId: adminId }),
              ManagedByProviderError,
              JSON.stringify(change),
            );
          }
          await assert.rejects(
            auth.changeOwnPassword(user.id, "!", "new password 123"),
            ManagedByProviderError,
          );
          // The stored "!" is no password: nothing signs in as the person with one.
          for (const password of ["!", "", "correct horse battery"]) {
            assert.equal(await auth.login("alice", password), null);
          }
          await auth.updateUser(user.id, { disabled: true }, { actorId: adminId });
          await auth.updateUser(user.id, { disabled: false }, { actorId: adminId });
          await auth.deleteUser(user.id);
          assert.deepEqual((await auth.listUsers()).map((u) => u.username), ["admin"]);
        },
      );

      await step("the users table refuses half a provider identity", async () => {
        const hash = await hashPassword("whatever password");
        await assert.rejects(
          db.query(
            "INSERT INTO users (username, password_hash, role, sso_issuer) VALUES ('x', $1, 'viewer', $2)",
            [hash, ISSUER],
          ),
        );
      });
    } finally {
      await cleanup();
    }
  });
}
