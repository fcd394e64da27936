// Image references as the install commands carry them: split into repository, tag and digest, or
// refused with a message that says which part is wrong; and image pull Secret names.
import assert from "node:assert/strict";
import { parseImageRef, pullSecretsError } from "./agent_image.ts";
import { DEFAULT_AGENT_IMAGE, VERSION } from "./version.ts";

const D = `sha256:${"0123456789abcdef".repeat(4)}`;

Deno.test("parseImageRef: the parts of valid references", () => {
  const cases: Array<[string, { repository: string; tag?: string; digest?: string }]> = [
    [DEFAULT_AGENT_IMAGE, { repository: "ghcr.io/kube-dashboard/dashboard-agent", tag: VERSION }],
    ["dashboard-agent", { repository: "dashboard-agent" }],
    ["team/dashboard-agent:v1", { repository: "team/dashboard-agent", tag: "v1" }],
    [
      "registry.example.com:5000/team/sub/dashboard-agent:0.1.0-rc.1",
      { repository: "registry.example.com:5000/team/sub/dashboard-agent", tag: "0.1.0-rc.1" },
    ],
    ["localhost:5000/agent:x", { repository: "localhost:5000/agent", tag: "x" }],
    ["localhost/agent", { repository: "localhost/agent" }],
    ["10.0.0.5:5000/agent:1", { repository: "10.0.0.5:5000/agent", tag: "1" }],
    ["Registry.Example.com/a__b/c-d.e:TAG_1", {
      repository: "Registry.Example.com/a__b/c-d.e",
      tag: "TAG_1",
    }],
    [`mirror.local/agent@${D}`, { repository: "mirror.local/agent", digest: D }],
    [`mirror.local:443/agent:0.1.0@${D}`, {
      repository: "mirror.local:443/agent",
      tag: "0.1.0",
      digest: D,
    }],
  ];
  for (const [ref, want] of cases) assert.deepEqual(parseImageRef(ref), want, ref);
});

Deno.test("parseImageRef: refused, with the reason", () => {
  const cases: Array<[string, RegExp]> = [
    ["", /the image is empty/],
    ["Team/agent", /"Team" is not a path component/],
    ["registry.example.com/", /"" is not a path component/],
    ["registry.example.com//agent", /"" is not a path component/],
    ["/agent", /"" is not a path component/],
    ["agent:", /the tag "" must be/],
    ["agent:-x", /the tag "-x" must be/],
    [`agent:${"a".repeat(129)}`, /the tag .* must be 1-128/],
    ["agent@sha256:ABC", /the digest "sha256:ABC" is not sha256:<64 lowercase hex>/],
    [`agent@md5:${"a".repeat(32)}`, /the digest/],
    [`agent@${D}@${D}`, /the digest/],
    ["bad_host.example.com/agent", /the registry "bad_host.example.com" is not host\[:port\]/],
    ["reg.example.com:port/agent", /the registry .* is not host\[:port\]/],
    ["[::1]:5000/agent", /the registry/],
    ["a--/b", /"a--" is not a path component/],
    ["x'; touch /tmp/pwned; echo '", /use \[registry\[:port\]\/\]path/],
    ["agent:1\nimage: evil", /the tag/],
    ["agent $(id)", /is not a path component/],
    ["agent:1 --set x=y", /the tag/],
    ['agent"', /is not a path component/],
    ["a".repeat(513), /longer than 512/],
    [`r.io/${"a".repeat(260)}`, /longer than 255/],
  ];
  for (const [ref, want] of cases) {
    const r = parseImageRef(ref);
    assert.ok("error" in r, `${JSON.stringify(ref)} was accepted`);
    assert.match(r.error, want, JSON.stringify(ref));
    assert.match(r.error, /: use \[registry\[:port\]\/\]path\[:tag\]\[@sha256:<64 hex>\]/);
  }
});

Deno.test("pullSecretsError: DNS-1123 names, at most 8, no duplicates", () => {
  const cases: Array<[string[], RegExp | null]> = [
    [[], null],
    [["regcred"], null],
    [["a.b-c", "x1"], null],
    [Array.from({ length: 8 }, (_, i) => `s${i}`), null],
    [Array.from({ length: 9 }, (_, i) => `s${i}`), /at most 8 image pull Secrets/],
    [["RegCred"], /"RegCred" is not a Secret name/],
    [["-x"], /is not a Secret name/],
    [["a b"], /is not a Secret name/],
    [["x'; id; '"], /is not a Secret name/],
    [["a".repeat(254)], /is not a Secret name/],
    [["a", "a"], /named twice/],
  ];
  for (const [names, want] of cases) {
    const e = pullSecretsError(names);
    if (want) assert.match(e ?? "", want, names.join(","));
    else assert.equal(e, null, names.join(","));
  }
});
