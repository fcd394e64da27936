import assert from "node:assert/strict";
import { KubeconfigError, listContexts, parseKubeconfig } from "./kubeconfig.ts";

const b64 = (s: string) => btoa(s);
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "c",
      cluster: {
        server: "https://k8s.example:6443",
        "certificate-authority-data": b64(PEM),
        ...cluster,
      },
    }],
    users: [{ name: "u", user }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    "current-context": "ctx",
  });
}

Deno.test("parseKubeconfig refuses what the dashboard must not or cannot do", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["garbage", "::: not yaml [", /could not be parsed|not a YAML mapping|no contexts/],
    [
      "exec plugin",
      kubeconfig({}, { exec: { command: "aws", apiVersion: "client.authentication.k8s.io/v1" } }),
      /exec credential plugins are refused/,
    ],
    [
      "auth provider",
      kubeconfig({}, { "auth-provider": { name: "oidc" } }),
      /auth-provider credential plugins are refused/,
    ],
    [
      "token file",
      kubeconfig({}, { "token-file": "/etc/passwd" }),
      /names a file on the dashboard's host/,
    ],
    [
      "client cert path",
      kubeconfig({}, { "client-certificate": "/x.crt", "client-key": "/x.key" }),
      /names a file/,
    ],
    ["CA path", kubeconfig({ "certificate-authority": "/ca.crt" }, { token: "t" }), /names a file/],
    ["plain http", kubeconfig({ server: "http://k8s.example" }, { token: "t" }), /must use https/],
    [
      "skip TLS verify",
      kubeconfig({ "insecure-skip-tls-verify": true }, { token: "t" }),
      /insecure-skip-tls-verify is not supported/,
    ],
    ["no credential", kubeconfig({}, {}), /no credential/],
    ["basic auth", kubeconfig({}, { username: "a", password: "b" }), /basic auth is not supported/],
  ];
  for (const [name, text, want] of cases) {
    assert.throws(
      () => parseKubeconfig(text),
      (err: Error) => err instanceof KubeconfigError && want.test(err.message),
      name,
    );
  }
});

Deno.test("parseKubeconfig reads a token or client-certificate kubeconfig", () => {
  const token = parseKubeconfig(kubeconfig({}, { token: "abc" }));
  assert.deepEqual([token.server, token.token, token.caPem, token.context], [
    "https://k8s.example:6443",
    "abc",
    PEM,
    "ctx",
  ]);
  const cert = parseKubeconfig(
    kubeconfig({}, { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") }),
  );
  assert.deepEqual([cert.certPem, cert.keyPem, cert.token], ["CERT", "KEY", undefined]);
  assert.throws(
    () => parseKubeconfig(kubeconfig({}, { token: "t" }), "nope"),
    /context "nope" is not in the kubeconfig/,
  );
  assert.deepEqual(listContexts(kubeconfig({}, { token: "t" })), {
    contexts: ["ctx"],
    current: "ctx",
  });
});
