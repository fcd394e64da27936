// The dashboard's minted CA (backend/tls.ts) is name-constrained to the hosts it serves: openssl
// shows a critical NameConstraints extension listing them; `openssl verify` accepts the
// dashboard's own server certificate and refuses certificates the same CA key signs for any other
// name (example.com, another IP, a look-alike suffix). A CA from an earlier version (no
// constraints) is kept as it is, pin unchanged; a host change within the constraints re-issues
// the leaf, one outside them is refused with a message saying what to do.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadMintedTls } from "./tls.ts";

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

async function openssl(args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

/** A leaf for `san` (openssl's subjectAltName syntax) signed by the CA in dir/tls. */
async function signedLeaf(dir: string, name: string, san: string): Promise<string> {
  const out = join(dir, `${name}.pem`);
  const r = await openssl([
    ...["req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
    ...["-keyout", join(dir, `${name}.key`), "-subj", `/CN=${name}`, "-days", "1"],
    ...["-addext", `subjectAltName=${san}`, "-addext", "extendedKeyUsage=serverAuth"],
    ...["-CA", join(dir, "tls", "ca.crt"), "-CAkey", join(dir, "tls", "ca.key"), "-out", out],
  ]);
  assert.equal(r.code, 0, r.out);
  return out;
}

Deno.test("the minted CA is name-constrained to the hosts it serves", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "tls-nc-" });
  try {
    const hosts = ["dash.example.org", "10.1.2.3", "fd00::7"];
    const tls = await loadMintedTls(dir, hosts);
    const caFile = join(dir, "tls", "ca.crt");

    await t.step(
      "openssl shows a critical NameConstraints extension with exactly those names",
      async () => {
        const r = await openssl(["x509", "-in", caFile, "-noout", "-text"]);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /X509v3 Name Constraints: critical\n\s+Permitted:\n/);
        const permitted = [...r.out.matchAll(/^\s+((?:DNS|IP):\S+)$/gm)].map((m) => m[1]).sort();
        assert.deepEqual(permitted, [
          "DNS:agent-endpoint.kube-dashboard.internal",
          "DNS:dash.example.org",
          "DNS:localhost",
          "IP:10.1.2.3/255.255.255.255",
          "IP:127.0.0.1/255.255.255.255",
          "IP:FD00:0:0:0:0:0:0:7/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF",
        ]);
        assert.doesNotMatch(r.out, /Excluded:/);
      },
    );

    await t.step("the dashboard's own server certificate verifies", async () => {
      const leaf = join(dir, "own.pem");
      await Deno.writeTextFile(leaf, tls.certPem.match(PEM_CERT)![0]);
      const r = await openssl(["verify", "-CAfile", caFile, leaf]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /own\.pem: OK/);
    });

    const cases: Array<{ name: string; san: string; ok: boolean }> = [
      { name: "served-dns", san: "DNS:dash.example.org", ok: true },
      { name: "subdomain", san: "DNS:api.dash.example.org", ok: true },
      { name: "served-ipv6", san: "IP:fd00::7", ok: true },
      { name: "loopback", san: "DNS:localhost,IP:127.0.0.1", ok: true },
      { name: "example-com", san: "DNS:example.com", ok: false },
      { name: "look-alike-suffix", san: "DNS:evildash.example.org", ok: false },
      { name: "parent-domain", san: "DNS:example.org", ok: false },
      { name: "other-ip", san: "IP:10.1.2.4", ok: false },
      { name: "other-ipv6", san: "IP:fd00::8", ok: false },
      { name: "served-and-foreign", san: "DNS:dash.example.org,DNS:bank.example.com", ok: false },
    ];
    for (const c of cases) {
      await t.step(
        `a leaf the CA key signs for ${c.san}: ${c.ok ? "verifies" : "refused"}`,
        async () => {
          const leaf = await signedLeaf(dir, c.name, c.san);
          const r = await openssl(["verify", "-CAfile", caFile, leaf]);
          if (c.ok) assert.equal(r.code, 0, r.out);
          else {
            assert.notEqual(r.code, 0, r.out);
            assert.match(r.out, /permitted subtree violation/);
          }
        },
      );
    }

    await t.step("the same hosts again: CA and leaf kept", async () => {
      const again = await loadMintedTls(dir, [...hosts].reverse());
      assert.equal(again.caHash, tls.caHash);
      assert.equal(again.certPem, tls.certPem);
    });

    await t.step("a host within the constraints: the leaf is re-issued, CA kept", async () => {
      const sub = await loadMintedTls(dir, ["api.dash.example.org", "10.1.2.3"]);
      assert.equal(sub.caHash, tls.caHash);
      assert.notEqual(sub.certPem, tls.certPem);
      const leaf = join(dir, "reissued.pem");
      await Deno.writeTextFile(leaf, sub.certPem.match(PEM_CERT)![0]);
      const r = await openssl(["verify", "-CAfile", caFile, leaf]);
      assert.equal(r.code, 0, r.out);
    });

    await t.step("a host outside the constraints is refused and nothing changes", async () => {
      const before = await Deno.readTextFile(join(dir, "tls", "server.crt"));
      await assert.rejects(
        loadMintedTls(dir, ["new.example.net", "10.1.2.3"]),
        /the server certificate would name new\.example\.net, which the dashboard's CA \(.*ca\.crt\) may not sign for: it was minted for localhost, .*dash\.example\.org.*Rotating the CA/,
      );
      assert.equal(await Deno.readTextFile(join(dir, "tls", "server.crt")), before);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a CA minted before name constraints is kept, pin unchanged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tls-legacy-" });
  try {
    const tlsDir = join(dir, "tls");
    await Deno.mkdir(tlsDir, { recursive: true });
    // A CA as earlier versions minted it: EC P-256, CA:TRUE, no NameConstraints; PKCS#8 key.
    const r = await openssl([
      ...["req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
      ...["-keyout", join(tlsDir, "ca.key"), "-out", join(tlsDir, "ca.crt"), "-days", "30"],
      ...[
        "-subj",
        "/CN=kube-dashboard CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE,pathlen:0",
      ],
      ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ]);
    assert.equal(r.code, 0, r.out);
    const caPem = await Deno.readTextFile(join(tlsDir, "ca.crt"));
    const tls = await loadMintedTls(dir, ["anything.example.com"]);
    assert.equal(tls.caPem, caPem, "the old CA is kept as it is");
    const leaf = join(dir, "leaf.pem");
    await Deno.writeTextFile(leaf, tls.certPem.match(PEM_CERT)![0]);
    const v = await openssl(["verify", "-CAfile", join(tlsDir, "ca.crt"), leaf]);
    assert.equal(v.code, 0, v.out);
    const text = await openssl(["x509", "-in", join(tlsDir, "ca.crt"), "-noout", "-text"]);
    assert.doesNotMatch(text.out, /Name Constraints/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
