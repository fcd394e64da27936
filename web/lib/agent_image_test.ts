// The Deploy agent dialog's advanced fields: what the token request carries, and the messages for
// what the API would refuse.
import assert from "node:assert/strict";
import { agentImageFields } from "./agent_image.ts";

const DEFAULT = "ghcr.io/kube-dashboard/dashboard-agent:0.1.0";

Deno.test("agentImageFields: the body sent, or the field's error", () => {
  const cases: Array<{
    name: string;
    image: string;
    secrets: string;
    body?: Record<string, unknown>;
    imageError?: RegExp;
    secretsError?: RegExp;
  }> = [
    { name: "the default image, no Secrets: nothing extra", image: DEFAULT, secrets: "", body: {} },
    { name: "an empty field means the default", image: "  ", secrets: "", body: {} },
    {
      name: "a private registry with a port",
      image: " registry.example.com:5000/team/dashboard-agent:0.1.0 ",
      secrets: "",
      body: { image: "registry.example.com:5000/team/dashboard-agent:0.1.0" },
    },
    {
      name: "a digest",
      image: `mirror.local/dashboard-agent@sha256:${"a".repeat(64)}`,
      secrets: "",
      body: { image: `mirror.local/dashboard-agent@sha256:${"a".repeat(64)}` },
    },
    {
      name: "pull Secrets separated by commas and spaces, deduplicated",
      image: DEFAULT,
      secrets: "regcred, mirror-pull regcred",
      body: { image_pull_secrets: ["regcred", "mirror-pull"] },
    },
    {
      name: "upper case in the path",
      image: "registry.example.com/Team/agent:1",
      secrets: "",
      imageError: /"Team" is not a path component/,
    },
    {
      name: "shell code",
      image: "x'; touch /tmp/pwned; echo '",
      secrets: "",
      imageError: /use \[registry\[:port\]\/\]path/,
    },
    {
      name: "a short digest",
      image: "agent@sha256:abc",
      secrets: "",
      imageError: /the digest "sha256:abc" is not sha256:<64 lowercase hex>/,
    },
    {
      name: "a tag with a slash",
      image: "agent:v1/x",
      secrets: "",
      imageError: /the registry "agent:v1" is not host\[:port\]/,
    },
    {
      name: "a Secret name with capitals",
      image: "",
      secrets: "RegCred",
      secretsError: /"RegCred" is not a Secret name/,
    },
    {
      name: "too many Secrets",
      image: "",
      secrets: "a b c d e f g h i",
      secretsError: /at most 8 image pull Secrets/,
    },
  ];
  for (const c of cases) {
    const r = agentImageFields(c.image, c.secrets, DEFAULT);
    if (c.imageError) assert.match(r.imageError ?? "", c.imageError, c.name);
    else assert.equal(r.imageError, null, c.name);
    if (c.secretsError) assert.match(r.pullSecretsError ?? "", c.secretsError, c.name);
    else assert.equal(r.pullSecretsError, null, c.name);
    if (c.body) assert.deepEqual(r.body, c.body, c.name);
  }
});
