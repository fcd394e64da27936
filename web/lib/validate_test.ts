import assert from "node:assert/strict";
import {
  CLUSTER_NAME_RE,
  safeNext,
  suggestClusterName,
  validateClusterName,
  validateKubeconfigText,
  validateTokenName,
} from "./validate.ts";

Deno.test("validateClusterName agrees with the API's rule and explains", () => {
  const cases: [string, RegExp | null][] = [
    ["prod", null],
    ["a", null],
    ["0", null],
    ["my-cluster-1", null],
    ["x".repeat(63), null],
    ["", /Enter a name/],
    ["x".repeat(64), /at most 63/],
    ["Prod", /lowercase/],
    ["my_cluster", /only lowercase letters, digits and '-'/],
    ["my.cluster", /only lowercase/],
    ["-prod", /Start and end/],
    ["prod-", /Start and end/],
    ["pröd", /only lowercase/],
  ];
  for (const [name, want] of cases) {
    const got = validateClusterName(name);
    if (want === null) assert.equal(got, null, name);
    else assert.match(got ?? "", want, name);
    assert.equal(got === null, CLUSTER_NAME_RE.test(name), `agrees with the regex: ${name}`);
  }
});

Deno.test("suggestClusterName", () => {
  const cases: [string, string][] = [
    ["kind-Dev", "kind-dev"],
    ["arn:aws:eks:eu-west-1:123:cluster/prod", "arn-aws-eks-eu-west-1-123-cluster-prod"],
    ["staging.kubeconfig", "staging"],
    ["--weird__name--", "weird-name"],
    ["x".repeat(80), "x".repeat(63)],
  ];
  for (const [input, want] of cases) {
    assert.equal(suggestClusterName(input), want);
    assert.equal(validateClusterName(suggestClusterName(input)), null);
  }
});

Deno.test("validateKubeconfigText", () => {
  const cases: [string, RegExp | null][] = [
    ["", /Paste a kubeconfig/],
    ["   \n", /Paste a kubeconfig/],
    ["hello: world", /no 'clusters:'/],
    ["apiVersion: v1\nclusters:\n- name: x\n", null],
    ['{"clusters": []}', null],
    ["clusters:\n" + "#".repeat(513 * 1024), /512 KiB/],
  ];
  for (const [text, want] of cases) {
    const got = validateKubeconfigText(text);
    if (want === null) assert.equal(got, null);
    else assert.match(got ?? "", want);
  }
});

Deno.test("validateTokenName", () => {
  const cases: [string, boolean][] = [
    ["ci", true],
    ["My laptop 2", true],
    ["", false],
    [" lead", false],
    ["a/b", false],
    [
      "x".repeat(64),
      false,
    ],
  ];
  for (const [name, ok] of cases) assert.equal(validateTokenName(name) === null, ok, name);
});

Deno.test("safeNext refuses open redirects", () => {
  const cases: [string | null, string][] = [
    [null, "/clusters"],
    ["", "/clusters"],
    ["/clusters/abc?x=1", "/clusters/abc?x=1"],
    ["//evil.example", "/clusters"],
    ["/\\evil.example", "/clusters"],
    ["https://evil.example", "/clusters"],
    ["/login?next=/x", "/clusters"],
    ["/api/clusters", "/clusters"],
  ];
  for (const [input, want] of cases) assert.equal(safeNext(input), want, String(input));
});
