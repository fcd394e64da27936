// The encoding helpers against known values: SHA-256 test vectors (FIPS 180-2) for the digests
// the database stores, and the shape of random tokens.
import assert from "node:assert/strict";
import { encodeBase64Url, randomToken, sha256Hex } from "./encoding.ts";

Deno.test("sha256Hex matches the standard test vectors, for strings and bytes", () => {
  const cases: [string | Uint8Array, string][] = [
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    [
      new TextEncoder().encode("abc"),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ],
    [
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    ],
  ];
  for (const [input, want] of cases) assert.equal(sha256Hex(input), want);
});

Deno.test("randomToken: prefix, 43 base64url characters, never the same twice", () => {
  const a = randomToken("kdt");
  assert.match(a, /^kdt_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, randomToken("kdt"));
  assert.equal(encodeBase64Url(new Uint8Array([251, 255, 191])), "-_-_");
});
