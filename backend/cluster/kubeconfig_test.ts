// The kubeconfig reader: what it refuses (local files, commands, YAML merge keys, anchors and
// aliases, at every depth a client library would honour them) and what it reads. One parse
// decides: nothing reads the text again, so nothing can honour what the checks did not see.
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

/** The YAML kubeconfig around one user body and one cluster body (given as YAML flow text). */
function yamlKubeconfig(opts: { user?: string; cluster?: string; extra?: string } = {}): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: c",
    `  cluster: ${
      opts.cluster ??
        `{server: "https://k8s.example:6443", certificate-authority-data: ${b64(PEM)}}`
    }`,
    "users:",
    "- name: u",
    `  user: ${opts.user ?? "{token: t}"}`,
    "contexts:",
    "- name: ctx",
    "  context: {cluster: c, user: u}",
    "current-context: ctx",
    opts.extra ?? "",
  ].join("\n");
}

/**
 * Every case names a FIFO nobody writes to: a reader that opened it (as @kubernetes/client-node
 * does for a `token-file` while parsing, after applying a YAML merge key) would block this test
 * forever, so the test finishing proves the file was never read.
 */
Deno.test("kubeconfigs smuggling local files, commands, merge keys or aliases are refused unread", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kubeconfig-fifo-" });
  const fifo = `${dir}/never-written`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.ok(made.success, "mkfifo works");
  const exec =
    `{command: touch, args: ["${dir}/ran"], apiVersion: client.authentication.k8s.io/v1}`;
  const merge = /merge keys \('<<'\) are not accepted/;
  const alias = /anchors \(&\) and aliases \(\*\) are not accepted/;
  const bomb = [
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ...Array.from({ length: 8 }, (_, i) => {
      const p = String.fromCharCode(97 + i), n = String.fromCharCode(98 + i);
      return `${n}: &${n} [*${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}]`;
    }),
  ].join("\n");
  const cases: Array<{ name: string; text: string; want: RegExp }> = [
    {
      name: "token-file merged into the user",
      text: yamlKubeconfig({ user: `{<<: {token-file: ${fifo}}}` }),
      want: merge,
    },
    {
      name: "token-file merged under a merge (two levels)",
      text: yamlKubeconfig({ user: `{<<: {<<: {token-file: ${fifo}}}}` }),
      want: merge,
    },
    {
      name: "token-file merged with a list of mappings",
      text: yamlKubeconfig({ user: `{token: t, <<: [{a: b}, {token-file: ${fifo}}]}` }),
      want: merge,
    },
    {
      name: "token-file merged into the users entry",
      text: yamlKubeconfig().replace(
        "- name: u\n",
        `- <<: {user: {token-file: ${fifo}}}\n  name: u\n`,
      ),
      want: merge,
    },
    {
      name: "users list merged in at the top level",
      text: yamlKubeconfig().replace(
        "users:\n",
        `<<: {users: [{name: u, user: {token-file: ${fifo}}}]}\nunused:\n`,
      ),
      want: merge,
    },
    {
      name: "exec merged into the user",
      text: yamlKubeconfig({ user: `{<<: {exec: ${exec}}}` }),
      want: merge,
    },
    {
      name: "client-certificate and key paths merged into the user",
      text: yamlKubeconfig({ user: `{<<: {client-certificate: ${fifo}, client-key: ${fifo}}}` }),
      want: merge,
    },
    {
      name: "certificate-authority path merged into the cluster",
      text: yamlKubeconfig({
        cluster: `{server: "https://k8s.example:6443", <<: {certificate-authority: ${fifo}}}`,
      }),
      want: merge,
    },
    {
      name: "explicit !!merge tag",
      text: yamlKubeconfig({ user: `{!!merge x: {token-file: ${fifo}}}` }),
      want: /the YAML tag tag:yaml.org,2002:merge is not accepted/,
    },
    {
      name: "quoted '<<' key",
      text: yamlKubeconfig({ user: `{"<<": {token-file: ${fifo}}}` }),
      want: merge,
    },
    {
      name: "anchor and alias reusing a user",
      text: yamlKubeconfig({ user: "&creds {token: t}" }).replace(
        "contexts:",
        "- name: u2\n  user: *creds\ncontexts:",
      ),
      want: alias,
    },
    {
      name: "an anchor alone",
      text: yamlKubeconfig({ user: "&creds {token: t}" }),
      want: alias,
    },
    {
      name: "an alias to a token-file mapping",
      text: `x: &f {token-file: ${fifo}}\n${yamlKubeconfig({ user: "*f" })}`,
      want: alias,
    },
    { name: "billion laughs", text: yamlKubeconfig({ extra: bomb }), want: alias },
    {
      name: "token-file naming a FIFO",
      text: yamlKubeconfig({ user: `{token-file: ${fifo}}` }),
      want: /'token-file' names a file on the dashboard's host/,
    },
    {
      name: "token-file /dev/zero",
      text: yamlKubeconfig({ user: "{token-file: /dev/zero}" }),
      want: /'token-file' names a file on the dashboard's host/,
    },
    {
      name: "tokenFile (camelCase) in another user than the context's",
      text: yamlKubeconfig().replace(
        "contexts:",
        `- name: u2\n  user: {tokenFile: ${fifo}}\ncontexts:`,
      ),
      want: /user u2: 'tokenFile' names a file/,
    },
    {
      name: "exec in another user than the context's",
      text: yamlKubeconfig().replace("contexts:", `- name: u2\n  user: {exec: ${exec}}\ncontexts:`),
      want: /user u2: exec credential plugins are refused/,
    },
    {
      name: "certificate-authority path in another cluster than the context's",
      text: yamlKubeconfig().replace(
        "users:",
        `- name: c2\n  cluster: {server: "https://x", certificate-authority: ${fifo}}\nusers:`,
      ),
      want: /cluster c2: 'certificate-authority' names a file/,
    },
  ];
  try {
    for (const { name, text, want } of cases) {
      for (
        const [fn, run] of [["parseKubeconfig", parseKubeconfig], [
          "listContexts",
          listContexts,
        ]] as const
      ) {
        assert.throws(
          () => run(text),
          (err: Error) => {
            assert.ok(err instanceof KubeconfigError, `${name} (${fn}): ${err}`);
            assert.match(err.message, want, `${name} (${fn})`);
            return true;
          },
          `${name} (${fn})`,
        );
      }
    }
    await assert.rejects(Deno.stat(`${dir}/ran`), Deno.errors.NotFound, "no command ran");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
