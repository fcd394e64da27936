/**
 * testenv/certs: the certificates of a control plane, made by openssl in its temp dir: a CA, the
 * apiserver serving cert, an admin client cert (CN=admin, O=system:masters), the test kubelet's
 * serving cert, a ServiceAccount signing key pair and the aggregation layer's front-proxy CA and
 * client cert; and kubeconfigYaml(), a kubeconfig with embedded data for a client cert or a
 * bearer token.
 */

import { run } from "./process.ts";

function b64(text: string): string {
  return btoa(text);
}

const OPENSSL_CNF = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local
[client_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`;

/** The PEM texts a control plane keeps in memory (the keys stay files in its dir too). */
export interface Certs {
  caPem: string;
  adminCert: string;
  adminKey: string;
  kubeletCert: string;
  kubeletKey: string;
}

/** Writes the CA, the leaf certificates and the ServiceAccount key pair into `dir`. */
export async function makeCerts(dir: string): Promise<Certs> {
  await Deno.writeTextFile(`${dir}/openssl.cnf`, OPENSSL_CNF);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const common = ["-config", "openssl.cnf", "-days", "7"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    ...common,
    "-extensions",
    "ca_ext",
    "-subj",
    "/CN=testenv-ca",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
  ], dir);
  const leaf = (name: string, subj: string, ext: string) =>
    run("openssl", [
      "req",
      "-x509",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      ...ec,
      ...common,
      "-extensions",
      ext,
      "-subj",
      subj,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
    ], dir);
  await Promise.all([
    leaf("apiserver", "/CN=kube-apiserver", "server_ext"),
    leaf("admin", "/O=system:masters/CN=admin", "client_ext"),
    leaf("kubelet", "/CN=testenv-fake-kubelet", "server_ext"),
    run("openssl", [
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-out",
      "sa.key",
    ], dir)
      .then(() => run("openssl", ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir)),
    frontProxy(dir, ec, common),
  ]);
  const read = (f: string) => Deno.readTextFile(`${dir}/${f}`);
  return {
    caPem: await read("ca.crt"),
    adminCert: await read("admin.crt"),
    adminKey: await read("admin.key"),
    kubeletCert: await read("kubelet.crt"),
    kubeletKey: await read("kubelet.key"),
  };
}

/**
 * The aggregation layer's front-proxy pair: its own CA (front-proxy-ca.crt, trusted only for
 * request headers) and the client certificate the apiserver presents to extension API servers
 * (front-proxy-client.crt, CN=front-proxy-client), so an APIService (metrics_server.ts) works.
 */
async function frontProxy(dir: string, ec: string[], common: string[]): Promise<void> {
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    ...common,
    "-extensions",
    "ca_ext",
    "-subj",
    "/CN=testenv-front-proxy-ca",
    "-keyout",
    "front-proxy-ca.key",
    "-out",
    "front-proxy-ca.crt",
  ], dir);
  await run("openssl", [
    "req",
    "-x509",
    "-CA",
    "front-proxy-ca.crt",
    "-CAkey",
    "front-proxy-ca.key",
    ...ec,
    ...common,
    "-extensions",
    "client_ext",
    "-subj",
    "/CN=front-proxy-client",
    "-keyout",
    "front-proxy-client.key",
    "-out",
    "front-proxy-client.crt",
  ], dir);
}

/** A kubeconfig for `server` that authenticates with a client cert or a bearer token. */
export function kubeconfigYaml(
  server: string,
  caPem: string,
  user: { certPem: string; keyPem: string } | { token: string },
  namespace = "default",
): string {
  const userLines = "token" in user
    ? `    token: ${user.token}`
    : `    client-certificate-data: ${b64(user.certPem)}\n    client-key-data: ${b64(user.keyPem)}`;
  return `apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(caPem)}
users:
- name: testenv-user
  user:
${userLines}
contexts:
- name: testenv
  context:
    cluster: testenv
    user: testenv-user
    namespace: ${namespace}
current-context: testenv
`;
}
