// TLS for the dashboard's two ports (HTTPS for browsers/kubectl, gRPC for agents). An operator's
// certificate (GRPC_TLS_CERT/KEY, HTTP_TLS_CERT/KEY) is used when given; otherwise the dashboard
// mints its own CA and a server certificate on first start and keeps them in DATA_DIR (keys
// 0600). The leaf is re-issued by the same CA when the public host names change. Install
// commands carry the CA's sha256 so agents pin it, as kubeadm's --discovery-token-ca-cert-hash
// does; downloaded kubeconfigs embed the CA.
//
// With PostgreSQL several replicas, each with its own DATA_DIR, serve one CA (agents pin one
// hash): it is kept in the table dashboard_ca, its private key sealed with the SecretBox
// (ENCRYPTION_KEY). The first replica stores the CA its DATA_DIR already has (an install upgrading
// from one replica) or a new one; replicas starting at once agree on the row that was inserted
// first. Each replica keeps its own server certificate, from that CA, in its DATA_DIR.
//
// The minted CA carries a critical NameConstraints extension permitting only the names its server
// certificate is for (DNS names with their subdomains, single IP addresses), so a CA imported into
// a system trust store cannot vouch for any other site even if its key leaks. A CA minted before
// that (no constraints) is kept, with a warning: replacing it would change the pin of every
// installed agent (docs/operations.md, "Rotating the CA"). The constraints are fixed when the CA
// is minted, for the first replica's hosts when it is shared: a dashboard whose PUBLIC_URL or
// GRPC_PUBLIC_ADDR host is outside them fails to start (ConfigError) saying so and what to do.
import "reflect-metadata"; // required by @peculiar/x509
import * as x509 from "@peculiar/x509";
import * as asn1 from "@peculiar/asn1-x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import { join } from "node:path";
import { certificateHash, PINNED_SERVER_NAME } from "../proto/wire.ts";
import { log } from "../common/log.ts";
import { encodeBase64 } from "./crypto/encoding.ts";
import type { SecretBox } from "./crypto/secretbox.ts";
import type { Queryable } from "./store/db.ts";
import { ConfigError } from "./config.ts";

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
    // The CA's subject as it is encoded (a CA made elsewhere may use UTF8String where this library
    // writes PrintableString): TLS clients such as rustls match issuer and subject byte for byte.
    issuer: ca.cert.subjectName,
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

/**
 * With PostgreSQL, where the CA every replica uses is kept: the dashboard's database and the
 * SecretBox (ENCRYPTION_KEY) that seals the CA's private key in it.
 */
export interface SharedCa {
  db: Queryable;
  box: SecretBox;
}

/** The additional data the CA's sealed key is bound to (SecretBox.seal). */
export const CA_SEAL_AD = "dashboard-ca";

/** What to do when a host is outside the constraints of a CA kept in DATA_DIR. */
const OWN_CA_FIX =
  `Restore PUBLIC_URL / GRPC_PUBLIC_ADDR, or rotate the CA (docs/operations.md "Rotating the CA"; every agent's --ca-hash changes)`;
/** The same for the CA the replicas share: it was minted for the first replica's hosts. */
const SHARED_CA_FIX =
  `Every replica uses this one CA, with the constraints it was minted with: give this replica a PUBLIC_URL / GRPC_PUBLIC_ADDR within those names, or rotate the CA (docs/operations.md "Rotating the CA"; every agent's --ca-hash changes)`;

interface TlsFiles {
  dir: string;
  ca: string;
  caKey: string;
  cert: string;
  key: string;
  hosts: string;
}

function tlsFiles(dataDir: string): TlsFiles {
  const dir = join(dataDir, "tls");
  return {
    dir,
    ca: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    cert: join(dir, "server.crt"),
    key: join(dir, "server.key"),
    hosts: join(dir, "server.hosts"),
  };
}

/** A CA from its certificate and its PKCS#8 private key, both PEM. */
async function caFrom(caPem: string, keyPem: string): Promise<Ca> {
  const keyDer = Uint8Array.from(
    atob(keyPem.replace(/-----[A-Z ]+-----|\s/g, "")),
    (c) => c.charCodeAt(0),
  );
  const privateKey = await crypto.subtle.importKey("pkcs8", keyDer, alg, true, ["sign"]);
  const cert = new x509.X509Certificate(caPem);
  return {
    pem: caPem,
    cert,
    keys: { privateKey, publicKey: await cert.publicKey.export(alg, ["verify"]) },
  };
}

async function caKeyPem(ca: Ca): Promise<string> {
  return pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", ca.keys.privateKey));
}

/**
 * Refuses to serve host names outside the CA's NameConstraints (ConfigError: `where` names the
 * CA, `fix` says what to do). A CA without constraints (an earlier version's) is kept, with a
 * warning.
 */
function checkConstraints(ca: Ca, hosts: string[], where: string, fix: string): void {
  const permitted = permittedNames(ca.cert);
  if (permitted === null) {
    log.warn(
      "the dashboard's CA has no name constraints (minted by an earlier version): whoever trusts it trusts it for every site; it is kept because replacing it changes every agent's pin, see docs/operations.md \"Rotating the CA\"",
      { ca: where },
    );
    return;
  }
  const outside = subjectAltNames(hosts).filter((n) => !permits(permitted, n));
  if (outside.length) {
    throw new ConfigError(
      `the server certificate would name ${
        outside.map((n) => n.value).join(", ")
      }, which the dashboard's CA (${where}) may not sign for: it was minted for ${
        permitted.map((p) => "dns" in p ? p.dns : "ip" in p ? p.ip : "?").join(", ")
      }. ${fix}`,
    );
  }
}

/** The CA kept in DATA_DIR/tls (single replica), minted on first start. */
async function ownCa(f: TlsFiles, hosts: string[]): Promise<Ca> {
  if (await exists(f.caKey)) {
    const ca = await caFrom(await Deno.readTextFile(f.ca), await Deno.readTextFile(f.caKey));
    checkConstraints(ca, hosts, f.ca, OWN_CA_FIX);
    return ca;
  }
  const ca = await mintCa(hosts);
  await Deno.writeTextFile(f.caKey, await caKeyPem(ca), { mode: 0o600 });
  await Deno.writeTextFile(f.ca, ca.pem);
  return ca;
}

interface CaRow {
  cert_pem: string;
  key_sealed: Uint8Array;
}

/**
 * The CA the replicas share, from the table dashboard_ca. The first replica to start stores it:
 * the CA already in its DATA_DIR/tls (an install upgrading from one replica: its agents' pins
 * keep working), else a newly minted one. Replicas starting at once each try to insert theirs;
 * one row wins (ON CONFLICT DO NOTHING) and every replica reads that one back.
 */
async function sharedCa({ db, box }: SharedCa, f: TlsFiles, hosts: string[]): Promise<Ca> {
  const read = async () =>
    (await db.query<CaRow>("SELECT cert_pem, key_sealed FROM dashboard_ca WHERE id = 1"))[0];
  let row = await read();
  if (!row) {
    const own = await exists(f.caKey)
      ? await caFrom(await Deno.readTextFile(f.ca), await Deno.readTextFile(f.caKey))
      : undefined;
    const candidate = own ?? await mintCa(hosts);
    await db.query(
      "INSERT INTO dashboard_ca (id, cert_pem, key_sealed) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
      [candidate.pem, await box.seal(await caKeyPem(candidate), CA_SEAL_AD)],
    );
    row = await read();
    if (!row) throw new Error("the dashboard's CA was not stored in the table dashboard_ca");
    if (row.cert_pem === candidate.pem) {
      log.info(
        own
          ? "the CA in DATA_DIR/tls is now the CA of every replica: stored in the database, its key sealed with the encryption key"
          : "minted the CA of every replica: stored in the database, its key sealed with the encryption key",
        { caHash: await certificateHash(candidate.pem) },
      );
    }
  }
  let keyPem: string;
  try {
    keyPem = await box.open(row.key_sealed, CA_SEAL_AD);
  } catch (err) {
    throw new ConfigError(
      `the dashboard's CA in the database (table dashboard_ca) cannot be decrypted with this dashboard's encryption key (${
        (err as Error).message
      }): every replica must run with the same ENCRYPTION_KEY (a replica without ENCRYPTION_KEY uses its own DATA_DIR/encryption.key)`,
    );
  }
  const ca = await caFrom(row.cert_pem, keyPem);
  checkConstraints(ca, hosts, "in the database, table dashboard_ca", SHARED_CA_FIX);
  await keepCaCertIn(f, ca);
  return ca;
}

/**
 * Writes the shared CA's certificate (never its key) to DATA_DIR/tls/ca.crt, where people and
 * tools find the CA to trust and its pin. A different CA of this DATA_DIR's own (a replica that
 * once ran alone, not the one whose CA was stored) is moved aside as unused-ca-<hash>.*, not
 * deleted.
 */
async function keepCaCertIn(f: TlsFiles, ca: Ca): Promise<void> {
  const local = await Deno.readTextFile(f.ca).then(certificateHash).catch(() => null);
  if (local === await certificateHash(ca.pem)) return;
  if (await exists(f.caKey)) {
    const tag = local?.replace(/^sha256:/, "").slice(0, 16) ?? crypto.randomUUID().slice(0, 8);
    const moved: string[] = [];
    for (const [from, ext] of [[f.ca, "crt"], [f.caKey, "key"]]) {
      if (!(await exists(from))) continue;
      const to = join(f.dir, `unused-ca-${tag}.${ext}`);
      await Deno.rename(from, to);
      moved.push(to);
    }
    log.warn(
      "DATA_DIR/tls held a CA other than the one every replica uses (in the database): it is not used and was moved aside",
      { moved, caHash: local },
    );
  }
  await Deno.writeTextFile(f.ca, ca.pem);
}

/**
 * Whether the server certificate in path (the first in the file) can be served as it is: readable,
 * issued by ca, and not ending within 30 days.
 */
async function leafCurrent(path: string, ca: Ca): Promise<boolean> {
  try {
    const cert = new x509.X509Certificate(await Deno.readTextFile(path));
    return cert.notAfter.getTime() - Date.now() >= 30 * 86400_000 &&
      await cert.verify({ publicKey: ca.keys.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

/**
 * The dashboard's own CA and this dashboard's server certificate, minted or re-issued as needed.
 * The CA is kept in dataDir/tls, or, given `shared` (PostgreSQL), in the database, where every
 * replica finds the same one. The server certificate is each dashboard's own, in dataDir/tls: it
 * is re-issued when the host names change, when it ends within 30 days, cannot be read or was not
 * issued by the CA, or when its key is missing.
 */
export async function loadMintedTls(
  dataDir: string,
  hosts: string[],
  shared?: SharedCa,
): Promise<ServerTls> {
  const f = tlsFiles(dataDir);
  await Deno.mkdir(f.dir, { recursive: true, mode: 0o700 });
  x509.cryptoProvider.set(crypto);
  const ca = shared ? await sharedCa(shared, f, hosts) : await ownCa(f, hosts);
  const wanted = [...new Set(hosts)].sort().join("\n");
  const current = await exists(f.hosts) ? await Deno.readTextFile(f.hosts) : "";
  if (current !== wanted || !(await exists(f.key)) || !(await leafCurrent(f.cert, ca))) {
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
