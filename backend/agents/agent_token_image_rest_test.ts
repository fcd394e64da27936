// POST /api/clusters/agent-token with the agent image and image pull Secrets (docs/agent.md,
// "Image"): refused with 400 and the field's message when they are not an image reference or
// Secret names; otherwise both commands carry them, the token lists them, and
// GET …/install-command renders the very same commands again. Without them the commands carry
// the dashboard's AGENT_IMAGE.
import assert from "node:assert/strict";
import { startTestDashboard } from "../../testing/harness.ts";

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
