// Per-cluster roles on both stores: the global role and every kind of binding (user or group, by
// cluster id or by label selector) give the expected role; the higher one wins; none hides the
// cluster; the cache sees changes at once. And the impersonation headers a person's requests carry.
import assert from "node:assert/strict";
import { migrateUp } from "../store/migrate.ts";
import { storeCases } from "../../testing/stores.ts";
import { ClusterAccess, type NewRoleBinding, type Person, selectorMatches } from "./access.ts";
import { impersonatedIdentity, impersonating, setImpersonation } from "./impersonation.ts";
import { ClusterStore } from "./store.ts";
import type { ClusterClient } from "./client.ts";
import { nodeHeaders, splitGroups } from "../../common/impersonation.ts";

const person = (role: Person["role"], groups: string[] = [], username = "alice"): Person => ({
  id: crypto.randomUUID(),
  username,
  role,
  groups,
});

for (const store of storeCases) {
  Deno.test(`cluster access [${store.name}]: global roles, bindings by id and label`, async (t) => {
    const { db, cleanup } = await store.open();
    try {
      await migrateUp(db);
      const clusters = new ClusterStore(db);
      const make = (name: string) =>
        clusters.createKubeconfigCluster({
          id: crypto.randomUUID(),
          name,
          sealed: new Uint8Array([1]),
          context: "ctx",
          server: "https://127.0.0.1:6443",
          status: "connected",
        });
      const prod = await clusters.update((await make("prod")).id, { labels: { env: "prod" } });
      const dev = await make("dev");
      // A long TTL: changes must show through forget(), not through expiry.
      const access = new ClusterAccess(db, 60_000);
      const bindings: NewRoleBinding[] = [
        {
          subject_kind: "user",
          subject: "bob",
          cluster_id: dev.id,
          cluster_selector: null,
          role: "editor",
        },
        {
          subject_kind: "group",
          subject: "ops",
          cluster_id: null,
          cluster_selector: { env: "prod" },
          role: "admin",
        },
        {
          subject_kind: "group",
          subject: "readers",
          cluster_id: null,
          cluster_selector: { env: "prod" },
          role: "viewer",
        },
        {
          subject_kind: "user",
          subject: "vic",
          cluster_id: prod.id,
          cluster_selector: null,
          role: "editor",
        },
      ];
      for (const b of bindings) await access.create(b);

      const cases: { name: string; who: Person; prod: string | null; dev: string | null }[] = [
        { name: "admin everywhere", who: person("admin"), prod: "admin", dev: "admin" },
        { name: "viewer everywhere", who: person("viewer"), prod: "viewer", dev: "viewer" },
        { name: "none sees nothing", who: person("none"), prod: null, dev: null },
        { name: "user binding by id", who: person("none", [], "bob"), prod: null, dev: "editor" },
        { name: "group binding by label", who: person("none", ["ops"]), prod: "admin", dev: null },
        {
          name: "higher of two group bindings",
          who: person("none", ["readers", "ops"]),
          prod: "admin",
          dev: null,
        },
        {
          name: "binding raises a global viewer",
          who: person("viewer", [], "vic"),
          prod: "editor",
          dev: "viewer",
        },
        {
          name: "global editor above a viewer binding",
          who: person("editor", ["readers"]),
          prod: "editor",
          dev: "editor",
        },
        {
          name: "another user's binding does not apply",
          who: person("none", [], "bobby"),
          prod: null,
          dev: null,
        },
      ];
      for (const c of cases) {
        await t.step(c.name, async () => {
          assert.equal(await access.roleOn(c.who, prod), c.prod);
          assert.equal(await access.roleOn(c.who, dev), c.dev);
          const visible = await access.visible(c.who, [prod, dev]);
          assert.deepEqual(
            visible.map((v) => v.name),
            [c.prod && "prod", c.dev && "dev"].filter(Boolean),
          );
        });
      }

      await t.step("a new or removed binding counts at once", async () => {
        const carl = person("none", [], "carl");
        assert.equal(await access.roleOn(carl, dev), null);
        const b = await access.create({
          subject_kind: "user",
          subject: "carl",
          cluster_id: dev.id,
          cluster_selector: null,
          role: "viewer",
        });
        assert.equal(await access.roleOn(carl, dev), "viewer");
        await access.delete(b.id);
        assert.equal(await access.roleOn(carl, dev), null);
        await assert.rejects(access.delete(b.id), /not found/);
      });

      await t.step("a deleted cluster takes its bindings along", async () => {
        await clusters.delete(dev.id);
        access.forget();
        assert.ok(!(await access.list()).some((b) => b.cluster_id === dev.id));
      });
    } finally {
      await cleanup();
    }
  });
}

Deno.test("label selectors: every pair must match", () => {
  const cases: [Record<string, string>, Record<string, string>, boolean][] = [
    [{ env: "prod" }, { env: "prod", team: "a" }, true],
    [{ env: "prod", team: "a" }, { env: "prod" }, false],
    [{ env: "prod" }, { env: "dev" }, false],
    [{}, {}, true],
  ];
  for (const [selector, labels, want] of cases) {
    assert.equal(selectorMatches(selector, labels), want);
  }
});

Deno.test("impersonation: the person's user and groups replace any Impersonate-* header", async () => {
  const who = impersonatedIdentity(
    { username: "alice", groups: ["team-x", "ops"] },
    "editor",
    "dashboard:",
  );
  assert.deepEqual(who, {
    user: "dashboard:alice",
    groups: ["dashboard:role:editor", "dashboard:team-x", "dashboard:ops"],
  });
  const h = new Headers({
    "Impersonate-User": "system:admin",
    "Impersonate-Group": "system:masters",
    "Impersonate-Uid": "0",
    "Impersonate-Extra-scopes": "all",
    accept: "application/json",
  });
  setImpersonation(h, who);
  assert.deepEqual([...h].sort(), [
    ["accept", "application/json"],
    ["impersonate-group", "dashboard:role:editor, dashboard:team-x, dashboard:ops"],
    ["impersonate-user", "dashboard:alice"],
  ]);
  // node:http sends one line per group.
  assert.deepEqual(nodeHeaders(h)["impersonate-group"], who.groups);
  assert.deepEqual(splitGroups(h.get("impersonate-group")), who.groups);

  const seen: Headers[] = [];
  const inner: ClusterClient = {
    fetch: (req) => {
      seen.push(req.headers);
      return Promise.resolve(new Response("{}"));
    },
    stream: (req) => {
      seen.push(req.headers);
      return Promise.reject(new Error("no stream"));
    },
    close: () => assert.fail("a person's client never closes the cluster's connections"),
  };
  const client = impersonating(inner, who);
  await client.fetch(
    new Request("http://cluster.invalid/api", { headers: { "impersonate-user": "root" } }),
  );
  await client.stream({
    path: "/api/v1/namespaces/a/pods/p/exec",
    protocols: ["v5.channel.k8s.io"],
    headers: new Headers({ "Impersonate-User": "root" }),
    signal: new AbortController().signal,
  }).catch(() => {});
  client.close();
  for (const h of seen) {
    assert.equal(h.get("impersonate-user"), "dashboard:alice");
    assert.deepEqual(splitGroups(h.get("impersonate-group")), who.groups);
  }
  assert.equal(seen.length, 2);
});
