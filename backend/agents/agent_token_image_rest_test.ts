// POST /api/clusters/agent-token with the agent image and image pull Secrets (docs/agent.md,
// "Image"): refused with 400 and the field's message when they are not an image reference or
// Secret names; otherwise both commands carry them, the token lists them, and
// GET …/install-command renders the very same commands again. Without them the commands carry
// the dashboard's AGENT_IMAGE.
// Showing a token and its commands again reads the token's sealed text from the database, on
// PGlite and PostgreSQL: after a restart on the same DATA_DIR or database, and on a second
// dashboard on the same PostgreSQL with the same ENCRYPTION_KEY. The column holds the text only
// sealed (AES-256-GCM, bound to its row), and is cleared when the token is used, revoked or swept
// after expiring; those answer 410.
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestDashboard, type TestDashboard } from "../../testing/harness.ts";
import { SecretBox } from "../crypto/secretbox.ts";
import { AgentRegistry, deriveTokenKey } from "./registry.ts";

const AGENT_IMAGE = "registry.internal:5000/platform/dashboard-agent:0.1.0";
const D = `sha256:${"9a".repeat(32)}`;

interface Created {
  id: string;
  install_command: string;
  helm_command: string;
  image: string | null;
  image_pull_secrets: string[];
}

Deno.test("agent token: image and image_pull_secrets", async (t) => {
  const dash = await startTestDashboard({ agentImage: AGENT_IMAGE });
  const post = (body: Record<string, unknown>) =>
    dash.api("POST", "/api/clusters/agent-token", {
      cluster_name: "img",
      permissions: "read-only",
      ...body,
    }, dash.adminToken);
  try {
    await t.step("bad values: 400 with the field's message", async () => {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ image: "x'; touch /tmp/pwned; echo '" }, /^image: .* is not a path component/],
        [{ image: "Registry.io/Agent:1" }, /^image: "Agent" is not a path component/],
        [{ image: "agent@sha256:abc" }, /^image: the digest "sha256:abc" is not sha256/],
        [{ image: "agent:1\nimage: evil" }, /^image: the tag " evil" must be/],
        [{ image: "" }, /^image: the image is empty/],
        [{ image: 5 }, /^image: /],
        [
          { image_pull_secrets: ["Reg Cred"] },
          /^image_pull_secrets\.0: "Reg Cred" is not a Secret name/,
        ],
        [{ image_pull_secrets: "regcred" }, /^image_pull_secrets: /],
        [
          { image_pull_secrets: Array.from({ length: 9 }, (_, i) => `s${i}`) },
          /^image_pull_secrets: at most 8 image pull Secrets/,
        ],
        [
          { image_pull_secrets: ["a", "a"] },
          /^image_pull_secrets: an image pull Secret is named twice/,
        ],
        [{ image_pull_secret: ["a"] }, /image_pull_secret/],
      ];
      for (const [body, want] of cases) {
        const r = await post(body);
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
        const message = (r.json as { error: { message: string } }).error.message;
        assert.match(message, want, JSON.stringify(body));
      }
      const list = await dash.api("GET", "/api/clusters/agent-token", undefined, dash.adminToken);
      assert.deepEqual((list.json as { items: unknown[] }).items, [], "no token was created");
    });

    await t.step("no image: the dashboard's AGENT_IMAGE, no pull Secrets", async () => {
      const r = await post({ cluster_name: "img-default" });
      assert.equal(r.status, 201, r.text);
      const c = r.json as Created;
      assert.equal(c.image, null);
      assert.deepEqual(c.image_pull_secrets, []);
      assert.ok(c.install_command.includes(`--image '${AGENT_IMAGE}' --chart-sha256`));
      assert.match(
        c.helm_command,
        /^ {2}repository: "registry.internal:5000\/platform\/dashboard-agent"$/m,
      );
      assert.match(c.helm_command, /^ {2}tag: "0\.1\.0"$/m);
      assert.doesNotMatch(c.helm_command, /imagePullSecrets/);
    });

    await t.step("the token's own image and Secrets, rendered again the same", async () => {
      const image = `mirror.air.gap/dashboard-agent@${D}`;
      const r = await post({
        cluster_name: "img-own",
        image,
        image_pull_secrets: ["regcred", "mirror.pull"],
      });
      assert.equal(r.status, 201, r.text);
      const c = r.json as Created;
      assert.equal(c.image, image);
      assert.deepEqual(c.image_pull_secrets, ["regcred", "mirror.pull"]);
      assert.ok(
        c.install_command.includes(
          `--image '${image}' --image-pull-secret 'regcred' --image-pull-secret 'mirror.pull'`,
        ),
        c.install_command,
      );
      assert.match(c.helm_command, /^ {2}repository: "mirror.air.gap\/dashboard-agent"$/m);
      assert.match(c.helm_command, new RegExp(`^ {2}digest: "${D}"$`, "m"));
      assert.doesNotMatch(c.helm_command, /^ {2}tag:/m);
      assert.match(
        c.helm_command,
        /^imagePullSecrets: \[\{"name":"regcred"\},\{"name":"mirror.pull"\}\]$/m,
      );

      const again = await dash.api(
        "GET",
        `/api/clusters/agent-token/${c.id}/install-command`,
        undefined,
        dash.adminToken,
      );
      assert.equal(again.status, 200, again.text);
      const a = again.json as Created;
      assert.equal(a.install_command, c.install_command);
      assert.equal(a.helm_command, c.helm_command);

      const list = await dash.api("GET", "/api/clusters/agent-token", undefined, dash.adminToken);
      const mine = (list.json as { items: Created[] }).items.find((i) => i.id === c.id)!;
      assert.equal(mine.image, image);
      assert.deepEqual(mine.image_pull_secrets, ["regcred", "mirror.pull"]);
    });
  } finally {
    await dash.stop();
  }
});

interface Issued extends Created {
  token: string;
  expires_at: string;
}

/** Commands with the answering dashboard's own addresses and CA pin taken out. */
function sameCommands(d: TestDashboard["d"], command: string): string {
  let out = command.replaceAll(d.url, "<url>").replaceAll(d.agentUrl, "<agent-url>");
  if (d.caHash) out = out.replaceAll(d.caHash.replace(/^sha256:/, ""), "<ca-hash>");
  return out;
}

const SHARED_KEY = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));

for (const store of ["pglite", "postgres"] as const) {
  Deno.test(`${store}: a token's commands are shown again from the database until it is used, revoked or expired`, async (t) => {
    // PGlite: the key file in DATA_DIR; PostgreSQL: ENCRYPTION_KEY, shared with a second dashboard.
    const encryptionKey = store === "postgres" ? SHARED_KEY : undefined;
    const first = await startTestDashboard({ store, encryptionKey });
    const { dataDir, databaseUrl, dropDb } = first;
    let dash: TestDashboard | undefined = first;
    const keyB64 = encryptionKey ??
      (await Deno.readTextFile(join(dataDir, "encryption.key"))).trim();
    let second: TestDashboard | undefined;
    const on = () => dash!;
    /** Each token with the dashboard process that issued it. */
    const issuer = new Map<string, TestDashboard["d"]>();
    const issue = async (name: string) => {
      const r = await on().api("POST", "/api/clusters/agent-token", {
        cluster_name: name,
        permissions: "read-only",
      }, on().adminToken);
      assert.equal(r.status, 201, r.text);
      const issued = r.json as Issued;
      issuer.set(issued.id, on().d);
      return issued;
    };
    const showAgain = (d: TestDashboard, id: string) =>
      d.api("GET", `/api/clusters/agent-token/${id}/install-command`, undefined, d.adminToken);
    const assertShown = async (d: TestDashboard, issued: Issued) => {
      const r = await showAgain(d, issued.id);
      assert.equal(r.status, 200, r.text);
      const again = r.json as Issued;
      assert.equal(again.token, issued.token);
      assert.equal(again.expires_at, issued.expires_at);
      // The same commands, but for the answering process's addresses (port 0 here) and CA.
      const from = issuer.get(issued.id)!;
      for (const key of ["install_command", "helm_command"] as const) {
        assert.equal(sameCommands(d.d, again[key]), sameCommands(from, issued[key]), key);
        if (d.d === from) assert.equal(again[key], issued[key], key);
      }
    };
    const assertGone = async (id: string, message: RegExp) => {
      const r = await showAgain(on(), id);
      assert.equal(r.status, 410, r.text);
      const error = (r.json as { error: { code: string; message: string } }).error;
      assert.equal(error.code, "gone");
      assert.match(error.message, message);
    };
    const sealedOf = async (id: string) => {
      const [row] = await on().d.db.query<{ token_sealed: Uint8Array | null }>(
        "SELECT token_sealed FROM agent_tokens WHERE id = $1",
        [id],
      );
      return row.token_sealed;
    };
    const registry = async (key = keyB64) =>
      new AgentRegistry(on().d.db, await deriveTokenKey(key), await SecretBox.fromBase64(key));
    try {
      const kept = await issue("again-kept");
      const used = await issue("again-used");
      const revoked = await issue("again-revoked");
      const copied = await issue("again-copied");
      const all = [kept, used, revoked, copied];

      await t.step("the column holds each token's text sealed, never in plain form", async () => {
        const box = await SecretBox.fromBase64(keyB64);
        for (const issued of all) {
          const sealed = await sealedOf(issued.id);
          assert.ok(sealed instanceof Uint8Array, "the text is kept");
          const bytes = new TextDecoder().decode(sealed);
          const [header, payload, signature] = issued.token.split(".");
          for (const part of [issued.token, header, payload, signature]) {
            assert.ok(!bytes.includes(part), "no part of the token is stored in plain form");
          }
          assert.ok(!bytes.includes(btoa(issued.token).slice(0, 40)), "nor in base64");
          assert.equal(sealed.length, 1 + 12 + issued.token.length + 16, "version, nonce, tag");
          assert.equal(await box.open(sealed, `agent-token:${issued.id}`), issued.token);
          await assert.rejects(box.open(sealed, issued.id), /cannot decrypt/, "bound to its row");
        }
      });

      await t.step("shown again after the dashboard restarts on the same store", async () => {
        await assertShown(on(), kept);
        const stopping = dash!;
        dash = undefined;
        await stopping.stop();
        dash = await startTestDashboard({ store, dataDir, databaseUrl, encryptionKey });
        await assertShown(on(), kept);
        await assertShown(on(), used);
      });

      if (store === "postgres") {
        await t.step("shown by a second dashboard on the same database and key", async () => {
          second = await startTestDashboard({ databaseUrl, encryptionKey });
          await assertShown(second, kept);
          await assertShown(second, revoked);
        });
      }

      await t.step("another ENCRYPTION_KEY cannot open it", async () => {
        const other = btoa(String.fromCharCode(...new Uint8Array(32).fill(3)));
        await assert.rejects((await registry(other)).issued(kept.id), /cannot decrypt/);
      });

      await t.step("a ciphertext copied to another row does not open there", async () => {
        await on().d.db.query(
          `UPDATE agent_tokens SET token_sealed = (SELECT token_sealed FROM agent_tokens WHERE id = $1)
           WHERE id = $2`,
          [kept.id, copied.id],
        );
        const r = await showAgain(on(), copied.id);
        assert.equal(r.status, 500, r.text);
        assert.ok(!r.text.includes(kept.token) && !r.text.includes(copied.token));
        // A pending token without a kept text (issued before texts were kept) is gone too.
        await on().d.db.query("UPDATE agent_tokens SET token_sealed = NULL WHERE id = $1", [
          copied.id,
        ]);
        await assertGone(copied.id, /^the token's secret is not stored .*generate a new token$/);
      });

      await t.step("used: cleared by the claim, no longer shown (410)", async () => {
        const { cluster } = await (await registry()).register(used.token);
        assert.equal(cluster.name, "again-used");
        assert.equal(await sealedOf(used.id), null);
        await assertGone(used.id, /^the token is used; generate a new one$/);
        if (second) {
          const r = await showAgain(second, used.id);
          assert.equal(r.status, 410, "on the other dashboard too");
        }
      });

      await t.step("revoked: cleared by the revocation, no longer shown (410)", async () => {
        const r = await on().api(
          "DELETE",
          `/api/clusters/agent-token/${revoked.id}`,
          undefined,
          on().adminToken,
        );
        assert.equal(r.status, 200, r.text);
        assert.equal((r.json as { state: string }).state, "revoked");
        assert.equal(await sealedOf(revoked.id), null);
        await assertGone(revoked.id, /^the token is revoked; generate a new one$/);
        if (second) assert.equal((await showAgain(second, revoked.id)).status, 410);
      });

      await t.step("expired: not shown (410), its text swept when a token is issued", async () => {
        await assertShown(on(), kept);
        await on().d.db.query(
          "UPDATE agent_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
          [kept.id],
        );
        await assertGone(kept.id, /^the token is expired; generate a new one$/);
        const fresh = await issue("again-fresh");
        assert.equal(await sealedOf(kept.id), null);
        assert.ok(await sealedOf(fresh.id), "a pending token's text is kept");
        await assertShown(on(), fresh);
      });

      await t.step("a rotation's reinstall token is shown again too", async () => {
        const [{ id: clusterId }] = await on().d.db.query<{ id: string }>(
          "SELECT id FROM clusters WHERE name = 'again-used'",
        );
        const r = await on().api(
          "POST",
          `/api/clusters/${clusterId}/agent/rotate`,
          undefined,
          on().adminToken,
        );
        assert.equal(r.status, 200, r.text);
        const rotated = r.json as Issued;
        issuer.set(rotated.id, on().d);
        assert.ok(await sealedOf(rotated.id));
        await assertShown(on(), rotated);
        if (second) await assertShown(second, rotated);
      });
    } finally {
      await second?.stop();
      await dash?.stop();
      await dropDb?.();
    }
  });
}
