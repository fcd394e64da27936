// AuthService against both stores (PGlite and PostgreSQL). Each store case is one test whose
// steps share a migrated database, emptied between steps. Password hashing is scrypt with
// 32 MiB per hash, so most users are inserted directly with one precomputed hash.
import assert from "node:assert/strict";
import { AuthService, type Role, UserDisabledError } from "./service.ts";
import { hashPassword } from "./password.ts";
import { HttpError } from "../http/errors.ts";
import { randomToken, sha256Hex } from "../crypto/encoding.ts";
import { migrateUp } from "../store/migrate.ts";
import type { Db } from "../store/db.ts";
import { storeCases } from "../../testing/stores.ts";

const PASSWORD = "correct horse battery staple";
const passwordHash = await hashPassword(PASSWORD);

/** Inserts a user with PASSWORD without hashing again; returns its id. */
async function addUser(db: Db, username: string, role: Role): Promise<string> {
  const [{ id }] = await db.query<{ id: string }>(
    "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) RETURNING id",
    [username, passwordHash, role],
  );
  return id;
}

async function adminCount(db: Db): Promise<number> {
  const [{ n }] = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL",
  );
  return n;
}

const isHttp = (status: number, message?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof HttpError, `expected an HttpError, got ${err}`);
  assert.equal(err.status, status, err.message);
  if (message) assert.match(err.message, message);
  return true;
};

for (const store of storeCases) {
  Deno.test(`${store.name}: AuthService`, async (t) => {
    const { db, cleanup } = await store.open();
    try {
      await migrateUp(db);
      const auth = new AuthService(db, 12, 0); // no cache: steps edit the database directly
      const step = (name: string, fn: () => Promise<void>) =>
        t.step(name, async () => {
          await db.exec("TRUNCATE users CASCADE");
          await fn();
        });

      await step("bootstrapAdmin creates the first admin once only", async () => {
        const first = await auth.bootstrapAdmin();
        assert.ok(first?.password, "a generated password is returned");
        assert.equal(first.username, "admin");
        assert.equal(await auth.bootstrapAdmin(), null);
        assert.equal(await auth.bootstrapAdmin("chosen password"), null);
        const users = await auth.listUsers();
        assert.deepEqual(users.map((u) => [u.username, u.role]), [["admin", "admin"]]);
        assert.ok(await auth.login("admin", first.password), "the returned password works");
      });

      await step(
        "bootstrapAdmin called twice at once creates one admin and returns its password",
        async () => {
          const results = await Promise.all([auth.bootstrapAdmin(), auth.bootstrapAdmin()]);
          const made = results.filter((r) => r !== null);
          assert.equal(made.length, 1, `exactly one call bootstraps: ${JSON.stringify(results)}`);
          assert.equal((await auth.listUsers()).length, 1);
          assert.ok(
            await auth.login("admin", made[0]!.password!),
            "the returned password is the stored one",
          );
        },
      );

      await step("bootstrapAdmin with a chosen password does not echo it", async () => {
        assert.deepEqual(await auth.bootstrapAdmin(PASSWORD), {
          username: "admin",
          password: undefined,
        });
        assert.ok(await auth.login("admin", PASSWORD));
      });

      await step("login accepts the right password only", async () => {
        await addUser(db, "alice", "editor");
        const ok = await auth.login("alice", PASSWORD);
        assert.ok(ok);
        assert.equal(ok.user.username, "alice");
        assert.equal(ok.user.role, "editor");
        assert.ok(!("password_hash" in ok.user), "the hash never leaves the service");
        assert.ok(ok.expiresAt.getTime() > Date.now() + 11 * 3600_000);
        assert.match(ok.token, /^kds_[A-Za-z0-9_-]{43}$/);
        assert.equal(await auth.login("alice", "wrong password"), null);
        assert.equal(await auth.login("nobody", PASSWORD), null);
        // Only the hash of the token is stored.
        const stored = await db.query<{ token_hash: string }>("SELECT token_hash FROM sessions");
        assert.deepEqual(stored.map((s) => s.token_hash), [sha256Hex(ok.token)]);
      });

      await step(
        "authenticate resolves sessions and API tokens; revoked, expired, malformed → null",
        async () => {
          const aliceId = await addUser(db, "alice", "viewer");
          const { token: session } = (await auth.login("alice", PASSWORD))!;
          assert.equal((await auth.authenticate(session))?.username, "alice");
          await auth.logout(session);
          assert.equal(await auth.authenticate(session), null, "logged out");

          // Expired session.
          const old = randomToken("kds");
          await db.query(
            "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() - interval '1 second')",
            [aliceId, sha256Hex(old)],
          );
          assert.equal(await auth.authenticate(old), null, "expired session");

          // API tokens: work, record their use, then revoked / expired stop working.
          const api = await auth.createApiToken(aliceId, "ci");
          assert.match(api.token, /^kdt_[A-Za-z0-9_-]{43}$/);
          const user = await auth.authenticate(api.token);
          assert.deepEqual(user && [user.id, user.username, user.role], [
            aliceId,
            "alice",
            "viewer",
          ]);
          const [info] = await auth.listApiTokens(aliceId);
          assert.ok(info.last_used_at instanceof Date, "last_used_at set");
          await assert.rejects(auth.createApiToken(aliceId, "ci"), isHttp(409));
          await auth.revokeApiToken(aliceId, api.id);
          assert.equal(await auth.authenticate(api.token), null, "revoked token");
          await assert.rejects(auth.revokeApiToken(aliceId, api.id), isHttp(404));

          const expiring = await auth.createApiToken(aliceId, "short", 1);
          assert.ok(await auth.authenticate(expiring.token));
          await db.query(
            "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
            [expiring.id],
          );
          assert.equal(await auth.authenticate(expiring.token), null, "expired token");

          // A token of a deleted user.
          const bobId = await addUser(db, "bob", "viewer");
          const bobs = await auth.createApiToken(bobId, "x");
          await auth.deleteUser(bobId);
          assert.equal(await auth.authenticate(bobs.token), null, "token of a deleted user");

          // Malformed or unknown tokens.
          const unknown = randomToken("kdt");
          for (
            const bad of [
              "",
              "kdt_",
              "kdt_short",
              `${api.token}x`,
              api.token.slice(0, -1),
              `kdx_${api.token.slice(4)}`,
              ` ${api.token}`,
              `kdt_${"!".repeat(43)}`,
              unknown,
              randomToken("kds"),
              "' OR 1=1 --",
            ]
          ) {
            assert.equal(await auth.authenticate(bad), null, `token ${JSON.stringify(bad)}`);
          }
        },
      );

      await step("the last admin cannot be demoted or deleted", async () => {
        const admin = await addUser(db, "root", "admin");
        const editor = await addUser(db, "ed", "editor");
        await assert.rejects(auth.updateUser(admin, { role: "editor" }), isHttp(409));
        await assert.rejects(auth.deleteUser(admin), isHttp(409));
        assert.equal(
          (await auth.updateUser(admin, { role: "admin" })).role,
          "admin",
          "no-op stays allowed",
        );
        assert.equal(await adminCount(db), 1);
        await assert.rejects(auth.deleteUser(crypto.randomUUID()), isHttp(404));
        await assert.rejects(auth.updateUser(crypto.randomUUID(), { role: "viewer" }), isHttp(404));

        // With a second admin, the first may go.
        await auth.updateUser(editor, { role: "admin" });
        assert.equal((await auth.updateUser(admin, { role: "viewer" })).role, "viewer");
        await assert.rejects(auth.deleteUser(editor), isHttp(409), "editor is now the last admin");
        await auth.deleteUser(admin);
        assert.deepEqual((await auth.listUsers()).map((u) => [u.username, u.role]), [[
          "ed",
          "admin",
        ]]);
      });

      await step("two admins deleted or demoted at once: one admin always remains", async () => {
        for (let round = 0; round < 4; round++) {
          await db.exec("TRUNCATE users CASCADE");
          const a = await addUser(db, "a", "admin");
          const b = await addUser(db, "b", "admin");
          const ops = round % 2 === 0
            ? [auth.deleteUser(a), auth.deleteUser(b)]
            : [auth.deleteUser(a), auth.updateUser(b, { role: "viewer" })];
          const results = await Promise.allSettled(ops);
          const rejected = results.filter((r) => r.status === "rejected");
          assert.equal(rejected.length, 1, `round ${round}: ${JSON.stringify(results)}`);
          isHttp(409)((rejected[0] as PromiseRejectedResult).reason);
          assert.equal(await adminCount(db), 1, `round ${round}`);
        }
      });

      await step("createUser refuses a taken username with 409", async () => {
        const u = await auth.createUser("carol", "first password", "viewer");
        assert.deepEqual([u.username, u.role], ["carol", "viewer"]);
        assert.ok(u.created_at instanceof Date);
        await assert.rejects(auth.createUser("carol", "other password", "admin"), isHttp(409));
        const users = await auth.listUsers();
        assert.deepEqual(users.map((x) => [x.username, x.role]), [["carol", "viewer"]]);
      });

      await step("a password change ends the user's sessions, not other users'", async () => {
        const alice = await addUser(db, "alice", "editor");
        await addUser(db, "bob", "editor");
        const s1 = (await auth.login("alice", PASSWORD))!.token;
        const s2 = (await auth.login("bob", PASSWORD))!.token;
        const updated = await auth.updateUser(alice, { password: "a new password" });
        assert.equal(updated.role, "editor", "role unchanged");
        assert.equal(await auth.authenticate(s1), null, "alice's session ended");
        assert.equal((await auth.authenticate(s2))?.username, "bob", "bob's session kept");
        assert.equal(await auth.login("alice", PASSWORD), null, "old password refused");
        assert.ok(await auth.login("alice", "a new password"), "new password accepted");
        // A role change alone keeps sessions.
        const s3 = (await auth.login("bob", PASSWORD))!.token;
        await auth.updateUser((await auth.authenticate(s3))!.id, { role: "viewer" });
        assert.equal((await auth.authenticate(s3))?.role, "viewer");
      });

      await step("a password change ends the user's API tokens, not other users'", async () => {
        const alice = await addUser(db, "alice", "editor");
        const bob = await addUser(db, "bob", "editor");
        const aliceTokens = [
          await auth.createApiToken(alice, "default"),
          await auth.createApiToken(alice, "forever", null),
          await auth.createApiToken(alice, "minter", 7, { canCreateTokens: true }),
        ];
        const bobs = await auth.createApiToken(bob, "default");
        for (const t of aliceTokens) assert.ok(await auth.authenticate(t.token));
        await auth.updateUser(alice, { role: "viewer" });
        for (const t of aliceTokens) {
          assert.equal((await auth.authenticate(t.token))?.role, "viewer", "kept by a role change");
        }
        await auth.updateUser(alice, { password: "a new password" });
        for (const t of aliceTokens) {
          assert.equal(await auth.authenticate(t.token), null, `${t.id} ended`);
        }
        assert.equal((await auth.listApiTokens(alice)).length, 0, "none left");
        assert.equal((await auth.authenticate(bobs.token))?.username, "bob", "bob's token kept");
      });

      await step("API tokens: 90 days by default, never only when asked, rights", async () => {
        const alice = await addUser(db, "alice", "viewer");
        const days = (d: Date | null) => d && (d.getTime() - Date.now()) / 86400_000;
        const cases: {
          name: string;
          ttl?: number | null;
          canCreate?: boolean;
          days: number | null;
          mints: boolean;
        }[] = [
          { name: "default", days: 90, mints: false },
          { name: "week", ttl: 7, days: 7, mints: false },
          { name: "never", ttl: null, days: null, mints: false },
          { name: "minter", canCreate: true, days: 90, mints: true },
          { name: "plain minter", ttl: 1, canCreate: false, days: 1, mints: false },
        ];
        for (const c of cases) {
          const made = c.canCreate === undefined
            ? await auth.createApiToken(alice, c.name, c.ttl)
            : await auth.createApiToken(alice, c.name, c.ttl, { canCreateTokens: c.canCreate });
          const got = days(made.expires_at);
          if (c.days === null) assert.equal(got, null, c.name);
          else assert.ok(Math.abs(got! - c.days) < 0.01, `${c.name}: ${got} days`);
          assert.equal(made.can_create_tokens, c.mints, c.name);
          assert.equal(await auth.mayCreateApiTokens(made.token), c.mints, c.name);
          const [listed] = (await auth.listApiTokens(alice)).filter((t) => t.name === c.name);
          assert.equal(listed.can_create_tokens, c.mints, `${c.name} listed`);
        }
        // Sessions always may; an expired or unknown token never does.
        const { token: session } = (await auth.login("alice", PASSWORD))!;
        assert.equal(await auth.mayCreateApiTokens(session), true, "a session");
        const expired = await auth.createApiToken(alice, "expired", 1, { canCreateTokens: true });
        await db.query(
          "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
          [expired.id],
        );
        assert.equal(await auth.mayCreateApiTokens(expired.token), false, "expired");
        assert.equal(await auth.mayCreateApiTokens(randomToken("kdt")), false, "unknown");
        assert.equal(await auth.mayCreateApiTokens("garbage"), false, "malformed");
      });

      await step("login records the last sign-in; listUsers shows the lifecycle", async () => {
        const alice = await addUser(db, "alice", "editor");
        const [before] = await auth.listUsers();
        assert.deepEqual(
          [before.username, before.groups, before.disabled_at, before.last_login_at],
          ["alice", [], null, null],
        );
        assert.ok(before.created_at instanceof Date && before.updated_at instanceof Date);
        const ok = (await auth.login("alice", PASSWORD))!;
        assert.deepEqual(ok.user.groups, []);
        assert.ok(!("disabled_at" in ok.user), "the auth user stays small");
        const [after] = await auth.listUsers();
        assert.ok(after.last_login_at instanceof Date, "last_login_at set");
        assert.ok(Math.abs(after.last_login_at.getTime() - Date.now()) < 60_000);
        assert.equal(await auth.login("alice", "wrong password"), null);
        const [still] = await auth.listUsers();
        assert.equal(
          still.last_login_at!.getTime(),
          after.last_login_at.getTime(),
          "a failed login is no sign-in",
        );
        assert.equal((await auth.updateUser(alice, { role: "none" })).role, "none");
        assert.equal((await auth.authenticate(ok.token))?.role, "none", "the role 'none' exists");
      });

      await step("groups: checked, unique and sorted, seen by authenticate", async () => {
        const u = await auth.createUser("gina", "gina password 1", "viewer", ["web", "ops", "web"]);
        assert.deepEqual(u.groups, ["ops", "web"]);
        const { token } = (await auth.login("gina", "gina password 1"))!;
        assert.deepEqual((await auth.authenticate(token))?.groups, ["ops", "web"]);
        const changed = await auth.updateUser(u.id, {
          groups: ["team:a", "x@y.example", "a.b_c-d"],
        });
        assert.deepEqual(changed.groups, ["a.b_c-d", "team:a", "x@y.example"]);
        assert.deepEqual(
          (await auth.authenticate(token))?.groups,
          changed.groups,
          "no stale cache",
        );
        assert.deepEqual((await auth.updateUser(u.id, { role: "editor" })).groups, changed.groups);
        assert.deepEqual((await auth.updateUser(u.id, { groups: [] })).groups, []);
        for (
          const bad of [
            [""],
            ["Upper"],
            ["-leading"],
            ["with space"],
            ["a/b"],
            ["x".repeat(64)],
            Array.from({ length: 33 }, (_, i) => `g${i}`),
          ]
        ) {
          await assert.rejects(auth.updateUser(u.id, { groups: bad }), isHttp(400), bad.join());
          await assert.rejects(auth.createUser(`u${bad.length}`, "a password 123", "viewer", bad));
        }
        const max = Array.from({ length: 32 }, (_, i) => `g${i}`);
        assert.equal((await auth.updateUser(u.id, { groups: max })).groups.length, 32);
        assert.equal((await auth.listUsers()).length, 1, "no user made by a refused create");
      });

      await step("a lookup that a change overtook caches nothing", async () => {
        const alice = await addUser(db, "alice", "editor");
        // Every query's answer is held back while `held` is pending.
        let held: Promise<void> | undefined;
        const gated: Db = {
          ...db,
          query: async <T>(sql: string, params?: unknown[]) => {
            const rows = await db.query<T>(sql, params);
            await held;
            return rows;
          },
        };
        const cached = new AuthService(gated, 12);
        const token = (await cached.createApiToken(alice, "ci")).token;
        let release!: () => void;
        held = new Promise((r) => release = r);
        const reading = cached.authenticate(token);
        await new Promise((r) => setTimeout(r, 50)); // the lookup has read alice, still enabled
        // Disabled meanwhile, as by another replica, whose event clears this cache.
        await db.query("UPDATE users SET disabled_at = now() WHERE id = $1", [alice]);
        cached.forget();
        release();
        assert.equal((await reading)?.username, "alice", "read before the change");
        held = undefined;
        assert.equal(await cached.authenticate(token), null, "but not cached past the change");
      });

      await step("a disabled user: no session, no token, no sign-in; enabled again", async () => {
        const admin = await addUser(db, "root", "admin");
        const alice = await addUser(db, "alice", "editor");
        await addUser(db, "bob", "editor");
        // With the cache on, as the dashboard runs: disabling must still act at once.
        const cached = new AuthService(db, 12);
        const session = (await cached.login("alice", PASSWORD))!.token;
        const token = (await cached.createApiToken(alice, "ci")).token;
        const bobs = (await cached.login("bob", PASSWORD))!.token;
        assert.ok(await cached.authenticate(session));
        assert.ok(await cached.authenticate(token));

        const disabled = await cached.updateUser(alice, { disabled: true }, { actorId: admin });
        assert.ok(disabled.disabled_at instanceof Date);
        assert.equal(await cached.authenticate(session), null, "session ended at once");
        assert.equal(await cached.authenticate(token), null, "token ended at once");
        assert.equal((await cached.authenticate(bobs))?.username, "bob", "others kept");
        assert.equal((await cached.listApiTokens(alice)).length, 0, "tokens deleted");
        const [{ n }] = await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM sessions WHERE user_id = $1",
          [alice],
        );
        assert.equal(n, 0, "sessions deleted");

        // Sign-in: the wrong password says nothing about the account; the right one says 403.
        assert.equal(await cached.login("alice", "wrong password"), null);
        await assert.rejects(cached.login("alice", PASSWORD), (err) => {
          assert.ok(err instanceof UserDisabledError);
          assert.equal(err.status, 403);
          assert.equal(err.code, "user_disabled");
          assert.match(err.message, /disabled; ask an admin/);
          return true;
        });
        // Even a session or token row made behind the service's back does not authenticate.
        const sneaky = randomToken("kds");
        await db.query(
          "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 hour')",
          [alice, sha256Hex(sneaky)],
        );
        const sneakyToken = randomToken("kdt");
        await db.query(
          "INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, 'sneaky', $2)",
          [alice, sha256Hex(sneakyToken)],
        );
        assert.equal(await cached.authenticate(sneaky), null, "a disabled user's session row");
        assert.equal(await cached.authenticate(sneakyToken), null, "a disabled user's token row");
        assert.equal(await cached.mayCreateApiTokens(sneakyToken), false);

        // Disabling twice keeps the first time; enabling clears it and sign-in works again.
        const again = await cached.updateUser(alice, { disabled: true });
        assert.equal(again.disabled_at!.getTime(), disabled.disabled_at!.getTime());
        const enabled = await cached.updateUser(alice, { disabled: false });
        assert.equal(enabled.disabled_at, null);
        assert.ok(await cached.login("alice", PASSWORD), "signs in again");
        assert.equal(await cached.authenticate(token), null, "old tokens do not come back");
      });

      await step(
        "the last enabled admin cannot be disabled; nobody disables themselves",
        async () => {
          const a = await addUser(db, "a", "admin");
          const b = await addUser(db, "b", "admin");
          await assert.rejects(
            auth.updateUser(a, { disabled: true }, { actorId: a }),
            isHttp(409, /cannot disable your own account/),
          );
          await auth.updateUser(b, { disabled: true }, { actorId: a });
          // b is a disabled admin: a is the last enabled one.
          await assert.rejects(
            auth.updateUser(a, { disabled: true }, { actorId: b }),
            isHttp(409, /last enabled admin cannot be disabled/),
          );
          await assert.rejects(auth.updateUser(a, { role: "viewer" }), isHttp(409, /last admin/));
          await assert.rejects(auth.updateUser(a, { role: "none" }), isHttp(409, /last admin/));
          await assert.rejects(auth.deleteUser(a), isHttp(409, /last admin/));
          // A disabled admin may be changed or deleted freely.
          assert.equal((await auth.updateUser(b, { role: "editor" })).role, "editor");
          await auth.updateUser(b, { role: "admin", disabled: false });
          assert.equal(await adminCount(db), 2);
          // With another enabled admin, b may be disabled and deleted.
          await auth.updateUser(b, { disabled: true });
          await auth.deleteUser(b);
          assert.equal(await adminCount(db), 1);
          await assert.rejects(
            auth.updateUser(crypto.randomUUID(), { disabled: true }),
            isHttp(404),
          );
        },
      );

      await step("two admins disabled or demoted at once: one enabled admin remains", async () => {
        for (let round = 0; round < 4; round++) {
          await db.exec("TRUNCATE users CASCADE");
          const a = await addUser(db, "a", "admin");
          const b = await addUser(db, "b", "admin");
          const ops = round % 2 === 0
            ? [auth.updateUser(a, { disabled: true }), auth.updateUser(b, { disabled: true })]
            : [auth.updateUser(a, { disabled: true }), auth.updateUser(b, { role: "none" })];
          const results = await Promise.allSettled(ops);
          const rejected = results.filter((r) => r.status === "rejected");
          assert.equal(rejected.length, 1, `round ${round}: ${JSON.stringify(results)}`);
          isHttp(409)((rejected[0] as PromiseRejectedResult).reason);
          assert.equal(await adminCount(db), 1, `round ${round}`);
        }
      });

      await step(
        "changeOwnPassword: ends every session and token, gives a new session",
        async () => {
          const alice = await addUser(db, "alice", "editor");
          await addUser(db, "bob", "editor");
          const cached = new AuthService(db, 12);
          const s1 = (await cached.login("alice", PASSWORD))!.token;
          const s2 = (await cached.login("alice", PASSWORD))!.token;
          const t1 = (await cached.createApiToken(alice, "ci")).token;
          const bobs = (await cached.login("bob", PASSWORD))!.token;
          for (const t of [s1, s2, t1]) assert.ok(await cached.authenticate(t));

          await assert.rejects(
            cached.changeOwnPassword(alice, "not my password", "a new password 1"),
            isHttp(403, /current password is wrong/),
          );
          await assert.rejects(
            cached.changeOwnPassword(alice, PASSWORD, PASSWORD),
            isHttp(400, /different from the current one/),
          );
          for (const t of [s1, s2, t1]) {
            assert.ok(await cached.authenticate(t), "refusals end nothing");
          }

          const fresh = await cached.changeOwnPassword(alice, PASSWORD, "a new password 1");
          assert.match(fresh.token, /^kds_/);
          assert.deepEqual([fresh.user.id, fresh.user.username], [alice, "alice"]);
          assert.ok(fresh.expiresAt.getTime() > Date.now() + 11 * 3600_000);
          for (const t of [s1, s2, t1]) {
            assert.equal(await cached.authenticate(t), null, "old session or token ended");
          }
          assert.equal((await cached.authenticate(fresh.token))?.username, "alice", "new session");
          assert.equal((await cached.authenticate(bobs))?.username, "bob", "bob untouched");
          assert.equal(await cached.login("alice", PASSWORD), null, "old password refused");
          assert.ok(await cached.login("alice", "a new password 1"), "new password accepted");
          await assert.rejects(
            cached.changeOwnPassword(crypto.randomUUID(), PASSWORD, "a new password 2"),
            isHttp(403),
          );
        },
      );

      await step("deleting a user removes their cluster roles, not a group's", async () => {
        const carl = await addUser(db, "carl", "none");
        await db.exec("DELETE FROM cluster_role_bindings");
        await db.query(
          `INSERT INTO cluster_role_bindings (subject_kind, subject, cluster_selector, role)
           VALUES ('user', 'carl', '{"env":"prod"}', 'editor'),
                  ('group', 'carl', '{"env":"prod"}', 'viewer'),
                  ('user', 'dora', '{"env":"prod"}', 'viewer')`,
        );
        await auth.deleteUser(carl);
        const left = await db.query<{ subject_kind: string; subject: string }>(
          "SELECT subject_kind, subject FROM cluster_role_bindings ORDER BY subject",
        );
        assert.deepEqual(
          left.map((b) => `${b.subject_kind}:${b.subject}`),
          [
            "group:carl",
            "user:dora",
          ],
        );
        await db.exec("DELETE FROM cluster_role_bindings");
      });
    } finally {
      await cleanup();
    }
  });
}
