// The single-use claim of a registration token is atomic: 50 registrations with one token, started
// together straight on AgentRegistry (no gRPC in between, which would deliver them one after
// another), on PGlite and on a real PostgreSQL whose connection pool lets the transactions really
// overlap. Exactly one may succeed, for a first-registration token and for a reinstall token;
// every other caller must be told the token was already used. A claim done as SELECT-then-UPDATE
// lets several reinstalls through on PostgreSQL (each gets a credential, the last one wins) and
// turns first-registration losers into "cluster already exists" failures. The winning claim also
// clears the token's sealed text (it can no longer be shown again).
import assert from "node:assert/strict";
import { migrateUp } from "../store/migrate.ts";
import { sha256Hex } from "../crypto/encoding.ts";
import { storeCases } from "../../testing/stores.ts";
import { SecretBox } from "../crypto/secretbox.ts";
import { AgentRegistry, deriveTokenKey, RegistrationError } from "./registry.ts";

const CALLS = 50;
const KEY_B64 = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
/** PostgreSQL's pool: large enough for the registrations' transactions to overlap. */
const POOL = 25;

interface Kind {
  name: string;
  /** A fresh token of this kind, and the cluster it must end up registering. */
  token(registry: AgentRegistry, n: number): Promise<{ token: string; clusterId?: string }>;
}

const kinds: Kind[] = [
  {
    name: "first-registration token",
    async token(registry, n) {
      const { token } = await registry.createToken(`first-${n}`, { preset: "read-only" }, null);
      return { token };
    },
  },
  {
    name: "reinstall token",
    async token(registry, n) {
      const first = await registry.createToken(`again-${n}`, { preset: "read-only" }, null);
      const { cluster } = await registry.register(first.token);
      const { token } = await registry.rotateCredential(cluster.id, null);
      return { token, clusterId: cluster.id };
    },
  },
];

for (const store of storeCases) {
  const label = store.name === "postgres" ? `postgres (pool of ${POOL})` : store.name;
  Deno.test(`${label}: ${CALLS} concurrent registrations with one token, exactly one wins`, async (t) => {
    const { db, cleanup } = await store.open({ max: POOL });
    try {
      await migrateUp(db);
      const registry = new AgentRegistry(
        db,
        await deriveTokenKey(KEY_B64),
        await SecretBox.fromBase64(KEY_B64),
      );
      for (const [n, kind] of kinds.entries()) {
        await t.step(kind.name, async () => {
          const { token, clusterId } = await kind.token(registry, n);
          const results = await Promise.allSettled(
            Array.from({ length: CALLS }, () => registry.register(token)),
          );
          const won = results.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
          const lost = results.flatMap((r) => r.status === "rejected" ? [r.reason] : []);
          const wrong = lost.filter((e) =>
            !(e instanceof RegistrationError && /has already been used/.test(e.message))
          ).map((e) => String(e));
          assert.equal(
            won.length,
            1,
            `${won.length} of ${CALLS} registrations succeeded with one single-use token`,
          );
          assert.deepEqual(
            wrong,
            [],
            "every other registration is refused because the token was already used",
          );
          const winner = won[0];
          if (clusterId) assert.equal(winner.cluster.id, clusterId, "the same cluster again");
          const holder = await registry.clusterForCredential(winner.credential);
          assert.equal(holder?.id, winner.cluster.id, "the winner's credential is the live one");
          const [{ n: clusters }] = await db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM clusters WHERE name = $1",
            [winner.cluster.name],
          );
          assert.equal(clusters, 1, "one cluster with that name");
          const [claimed] = await db.query<{ token_sealed: Uint8Array | null }>(
            "SELECT token_sealed FROM agent_tokens WHERE token_hash = $1",
            [sha256Hex(token)],
          );
          assert.equal(claimed.token_sealed, null, "the used token's text is no longer kept");
        });
      }
    } finally {
      await cleanup();
    }
  });
}

Deno.test("a rotated credential's reinstall token keeps the image the agent was installed from", async () => {
  const { db, cleanup } = await storeCases[0].open();
  try {
    await migrateUp(db);
    const registry = new AgentRegistry(
      db,
      await deriveTokenKey(KEY_B64),
      await SecretBox.fromBase64(KEY_B64),
    );
    const image = "registry.internal:5000/platform/dashboard-agent:0.1.0";
    const first = await registry.createToken("imaged", { preset: "read-only" }, null, undefined, {
      image,
      imagePullSecrets: ["regcred"],
    });
    const { cluster } = await registry.register(first.token);
    const once = await registry.rotateCredential(cluster.id, null);
    assert.equal(once.info.image, image);
    assert.deepEqual(once.info.image_pull_secrets, ["regcred"]);
    // A second rotation before the first reinstall token was used still keeps it.
    const twice = await registry.rotateCredential(cluster.id, null);
    assert.equal(twice.info.image, image);
  } finally {
    await cleanup();
  }
});
