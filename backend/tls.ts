// TLS for the dashboard's two ports (HTTPS for browsers/kubectl, gRPC for agents). An operator's
// certificate (GRPC_TLS_CERT/KEY, HTTP_TLS_CERT/KEY) is used when given; otherwise the dashboard
// mints its own CA and a server certificate on first start and keeps them in DATA_DIR (keys
// 0600). The leaf is re-issued by the same CA when the public host names change. Install
// commands carry the CA's sha256 so agents pin it, as kubeadm's --discovery-token-ca-cert-hash
// does; downloaded kubeconfigs embed the CA.
//
// The minted CA carries a critical NameConstraints extension permitting only the names its server
// certificate is for (DNS names with their subdomains, single IP addresses), so a CA imported into
// a system trust store cannot vouch for any other site even if its key leaks. A CA minted before
// that (no constraints) is kept, with a warning: replacing it would change the pin of every
// installed agent (docs/operations.md, "Rotating the CA").
import "reflect-metadata"; // required by @peculiar/x509
import * as x509 from "@peculiar/x509";
import * as asn1 from "@peculiar/asn1-x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import { join } from "node:path";
import { certificateHash, PINNED_SERVER_NAME } from "../proto/wire.ts";
import { log } from "../common/log.ts";
import { encodeBase64 } from "./crypto/encoding.ts";

export interface ServerTls {
  /** PEM of the CA agents should trust (the operator's certificate chain when given). */
  caPem: string;
  certPem: string;
  keyPem: string;
  /** sha256:<hex> of caPem's first certificate. */
  caHash: string;
}

const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = encodeBase64(new Uint8Array(der)).replace(/(.{64})/g, "$1\n").trim();
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The names the server certificate covers: the public gRPC host, loopback, and
 * PINNED_SERVER_NAME, which agents that dial an IP address and pin the CA verify instead
 * (Deno's TLS client refuses IP addresses as server names).
 */
function subjectAltNames(hosts: string[]): x509.JsonGeneralName[] {
  const all = new Set([
    "localhost",
    PINNED_SERVER_NAME,
    "127.0.0.1",
    ...hosts.map((h) => h.replace(/^\[|\]$/g, "")),
  ]);
  return [...all].map((h) => ({
    type: /^[\d.]+$/.test(h) || h.includes(":") ? "ip" : "dns",
    value: h,
  }));
}

/** An IP address in its canonical text form (as the certificate library writes it back). */
function canonicalIp(ip: string): string {
  const name = new asn1.GeneralName({ iPAddress: ip });
  return AsnConvert.parse(AsnConvert.serialize(name), asn1.GeneralName).iPAddress!;
}

/** An IP address as a one-address subtree: "a.b.c.d/32" or "…/128". */
function ipSubtree(ip: string): string {
  const canonical = canonicalIp(ip);
  return `${canonical}/${canonical.includes(":") ? 128 : 32}`;
}

/**
 * A critical NameConstraints extension whose permitted subtrees are exactly `names`: each DNS
 * name (and its subdomains) and each IP address as a single address (/32 or /128). Both name
 * types the server certificate uses are constrained, so neither is left open.
 */
export function nameConstraintsExtension(names: x509.JsonGeneralName[]): x509.Extension {
  const subtrees = names.map((n) =>
    new asn1.GeneralSubtree({
      base: new asn1.GeneralName(
        n.type === "dns" ? { dNSName: n.value } : { iPAddress: ipSubtree(n.value) },
      ),
    })
  );
  const value = AsnConvert.serialize(
    new asn1.NameConstraints({ permittedSubtrees: new asn1.GeneralSubtrees(subtrees) }),
  );
  return new x509.Extension(asn1.id_ce_nameConstraints, true, value);
}

/**
 * What a CA's NameConstraints permit, null when it has none: DNS names and IP subtrees
 * ("address/prefix"). Other name types are kept as "other", so nothing is read as permitted that
 * is not.
 */
export function permittedNames(
  cert: x509.X509Certificate,
): Array<{ dns: string } | { ip: string } | { other: true }> | null {
  const ext = cert.getExtension(asn1.id_ce_nameConstraints);
  if (!ext) return null;
  const parsed = AsnConvert.parse(ext.value, asn1.NameConstraints);
  return (parsed.permittedSubtrees ?? []).map(({ base }) =>
    base.dNSName !== undefined
      ? { dns: base.dNSName.toLowerCase() }
      : base.iPAddress !== undefined
      ? { ip: base.iPAddress }
      : { other: true as const }
  );
}

/**
 * Whether a certificate name falls within a CA's permitted subtrees (RFC 5280, 4.2.1.10). The
 * dashboard mints one-address IP subtrees only, so an address must equal one of them.
 */
function permits(
  permitted: NonNullable<ReturnType<typeof permittedNames>>,
  name: x509.JsonGeneralName,
): boolean {
  if (name.type === "dns") {
    const host = name.value.toLowerCase();
    return permitted.some((p) =>
      "dns" in p && (host === p.dns || host.endsWith(p.dns.startsWith(".") ? p.dns : `.${p.dns}`))
    );
  }
  const subtree = ipSubtree(name.value);
  return permitted.some((p) => "ip" in p && p.ip === subtree);
}

interface Ca {
  pem: string;
  keys: CryptoKeyPair;
  cert: x509.X509Certificate;
}

async function mintCa(hosts: string[]): Promise<Ca> {
  x509.cryptoProvider.set(crypto);
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: crypto.randomUUID().replace(/-/g, ""),
    name: "CN=kube-dashboard CA",
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 10 * 365 * 86400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      nameConstraintsExtension(subjectAltNames(hosts)),
    ],
  });
  return { pem: cert.toString("pem") + "\n", keys, cert };
}

async function mintLeaf(ca: Ca, hosts: string[]): Promise<{ certPem: string; keyPem: string }> {
  x509.cryptoProvider.set(crypto);
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const now = Date.now();
  const names = subjectAltNames(hosts);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: crypto.randomUUID().replace(/-/g, ""),
    subject: "CN=kube-dashboard",
    issuer: ca.cert.subject,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 2 * 365 * 86400_000),
    signingKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  // The chain includes the CA so agents can find the certificate their pin names.
  return {
    certPem: cert.toString("pem") + "\n" + ca.pem,
    keyPem: pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey)),
  };
}

/** Whether the first certificate in a PEM file ends within 30 days (then it is re-issued). */
async function expiresSoon(path: string): Promise<boolean> {
  try {
    const cert = new x509.X509Certificate(await Deno.readTextFile(path));
    return cert.notAfter.getTime() - Date.now() < 30 * 86400_000;
  } catch {
    return true;
  }
}

/** Reads an operator-provided certificate chain and key; the last certificate is the CA to pin. */
export async function loadOperatorTls(
  certFile: string,
  keyFile: string,
  what: string,
): Promise<ServerTls> {
  const certPem = await Deno.readTextFile(certFile);
  const keyPem = await Deno.readTextFile(keyFile);
  const chain = certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ??
    [];
  if (!chain.length) throw new Error(`${what} ${certFile} holds no PEM certificate`);
  const caPem = chain[chain.length - 1] + "\n";
  return { caPem, certPem, keyPem, caHash: await certificateHash(caPem) };
}

/** The dashboard's own CA and server certificate in dataDir, minted or re-issued as needed. */
export async function loadMintedTls(dataDir: string, hosts: string[]): Promise<ServerTls> {
  const dir = join(dataDir, "tls");
  const f = {
    ca: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    cert: join(dir, "server.crt"),
    key: join(dir, "server.key"),
    hosts: join(dir, "server.hosts"),
  };
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const wanted = [...new Set(hosts)].sort().join("\n");
  x509.cryptoProvider.set(crypto);
  let ca: Ca;
  if (await exists(f.caKey)) {
    const caPem = await Deno.readTextFile(f.ca);
    const keyDer = Uint8Array.from(
      atob((await Deno.readTextFile(f.caKey)).replace(/-----[A-Z ]+-----|\s/g, "")),
      (c) => c.charCodeAt(0),
    );
    const privateKey = await crypto.subtle.importKey("pkcs8", keyDer, alg, true, ["sign"]);
    const cert = new x509.X509Certificate(caPem);
    ca = {
      pem: caPem,
      cert,
      keys: { privateKey, publicKey: await cert.publicKey.export(alg, ["verify"]) },
    };
    const permitted = permittedNames(cert);
    if (permitted === null) {
      log.warn(
        "the dashboard's CA has no name constraints (minted by an earlier version): whoever trusts it trusts it for every site; it is kept because replacing it changes every agent's pin, see docs/operations.md \"Rotating the CA\"",
        { ca: f.ca },
      );
    } else {
      const outside = subjectAltNames(hosts).filter((n) => !permits(permitted, n));
      if (outside.length) {
        throw new Error(
          `the server certificate would name ${
            outside.map((n) => n.value).join(", ")
          }, which the dashboard's CA (${f.ca}) may not sign for: it was minted for ${
            permitted.map((p) => "dns" in p ? p.dns : "ip" in p ? p.ip : "?").join(", ")
          }. Restore PUBLIC_URL / GRPC_PUBLIC_ADDR, or rotate the CA (docs/operations.md "Rotating the CA"; every agent's --ca-hash changes)`,
        );
      }
    }
  } else {
    ca = await mintCa(hosts);
    await Deno.writeTextFile(
      f.caKey,
      pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", ca.keys.privateKey)),
      {
        mode: 0o600,
      },
    );
    await Deno.writeTextFile(f.ca, ca.pem);
  }
  const current = await exists(f.hosts) ? await Deno.readTextFile(f.hosts) : "";
  if (current !== wanted || !(await exists(f.key)) || await expiresSoon(f.cert)) {
    const leaf = await mintLeaf(ca, hosts);
    await Deno.writeTextFile(f.key, leaf.keyPem, { mode: 0o600 });
    await Deno.writeTextFile(f.cert, leaf.certPem);
    await Deno.writeTextFile(f.hosts, wanted);
  }
  return {
    caPem: ca.pem,
    certPem: await Deno.readTextFile(f.cert),
    keyPem: await Deno.readTextFile(f.key),
    caHash: await certificateHash(ca.pem),
  };
}
