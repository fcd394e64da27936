// TLS for the dashboard's two ports (HTTPS for browsers/kubectl, gRPC for agents). An operator's
// certificate (GRPC_TLS_CERT/KEY, HTTP_TLS_CERT/KEY) is used when given; otherwise the dashboard
// mints its own CA and a server certificate on first start and keeps them in DATA_DIR (keys
// 0600). The leaf is re-issued by the same CA when the public host names change. Install
// commands carry the CA's sha256 so agents pin it, as kubeadm's --discovery-token-ca-cert-hash
// does; downloaded kubeconfigs embed the CA.
import "reflect-metadata"; // required by @peculiar/x509
import * as x509 from "@peculiar/x509";
import { join } from "node:path";
import { certificateHash, PINNED_SERVER_NAME } from "../proto/wire.ts";
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

interface Ca {
  pem: string;
  keys: CryptoKeyPair;
  cert: x509.X509Certificate;
}

async function mintCa(): Promise<Ca> {
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
  } else {
    ca = await mintCa();
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
