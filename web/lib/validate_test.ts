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

Deno.test("safeNext refuses open redirects and non-page targets", () => {
  const F = "/clusters";
  const cases: [name: string, input: string | null | undefined, want: string][] = [
    // Accepted: same-origin page paths, normalised.
    ["a page with a query", "/clusters/abc?x=1", "/clusters/abc?x=1"],
    ["a page with a fragment", "/clusters/abc#pods", "/clusters/abc#pods"],
    ["the tokens page", "/account/tokens", "/account/tokens"],
    ["dot segments are resolved", "/clusters/../account/tokens", "/account/tokens"],
    ["a segment that only starts with api", "/apiary", "/apiary"],
    ["unicode in the path is percent-encoded", "/clusters/é", "/clusters/%C3%A9"],
    ["an encoded slash inside a segment", "/clusters/a%2fb", "/clusters/a%2fb"],
    // Nothing to go to.
    ["null", null, F],
    ["undefined", undefined, F],
    ["empty", "", F],
    ["relative", "clusters", F],
    ["too long", "/" + "a".repeat(3000), F],
    // Other origins.
    ["protocol-relative", "//evil.example", F],
    ["protocol-relative with path", "//evil.example/clusters", F],
    ["backslash after slash", "/\\evil.example", F],
    ["two backslashes", "\\\\evil.example", F],
    ["slash backslash slash", "/\\/evil.example", F],
    ["backslash in a path", "/clusters\\x", F],
    ["https URL", "https://evil.example", F],
    ["http URL", "http://evil.example/clusters", F],
    ["javascript:", "javascript:alert(1)", F],
    ["javascript: with a slash comment", "/javascript:alert(1)//", "/javascript:alert(1)//"],
    ["data:", "data:text/html,<script>alert(1)</script>", F],
    ["userinfo trick", "/@evil.example", "/@evil.example"],
    // Characters the browser drops or rewrites.
    ["tab then host", "/\t/example.invalid/phish", F],
    ["tab then api", "/\tapi/tokens", F],
    ["newline then host", "/\n/evil.example", F],
    ["CR then host", "/\r/evil.example", F],
    ["CRLF header injection", "/clusters\r\nSet-Cookie: x=y", F],
    ["NUL", "/clusters\u0000", F],
    ["DEL", "/clusters\u007f", F],
    ["C1 control", "/\u0085/evil.example", F],
    ["leading space", " /clusters", F],
    ["space then host", "/ /evil.example", F],
    ["no-break space", "/\u00a0/evil.example", F],
    ["line separator", "/\u2028/evil.example", F],
    ["zero-width space", "/\u200b/evil.example", F],
    ["byte order mark", "/\ufeff/evil.example", F],
    ["right-to-left override", "/\u202e/evil.example", F],
    // Escapes that decode to something refused.
    ["encoded tab then host", "/%09/example.invalid/phish", F],
    ["encoded tab then api", "/%09api/tokens", F],
    ["encoded newline", "/%0a/evil.example", F],
    ["encoded double slash", "/%2f%2fevil.example", F],
    ["encoded double slash upper case", "/%2F%2Fevil.example", F],
    ["slash then encoded slash", "/%2fevil.example", F],
    ["encoded backslash", "/%5cevil.example", F],
    ["encoded a in api", "/%61pi/tokens", F],
    ["encoded api", "/%61%70%69/tokens", F],
    ["encoded dot segments to api", "/x/%2e%2e/api/tokens", F],
    ["malformed escape", "/clusters/%zz%", F],
    ["lone surrogate escape", "/clusters/%ed%a0%80", F],
    // Not pages.
    ["the API", "/api/clusters", F],
    ["the API root", "/api", F],
    ["the API with a query", "/api?x=1", F],
    ["the API in capitals", "/API/tokens", F],
    ["the API in mixed case", "/Api/tokens", F],
    ["the API through dot segments", "/clusters/../api/tokens", F],
    ["the API through a dot", "/./api/tokens", F],
    ["the login page", "/login?next=/x", F],
    ["the login page in capitals", "/LOGIN", F],
    ["single sign-on's start", "/auth/oidc/start?next=/x", F],
    ["single sign-on's callback", "/auth/oidc/callback?code=x&state=y", F],
  ];
  for (const [name, input, want] of cases) {
    assert.equal(safeNext(input), want, `${name}: ${JSON.stringify(input)}`);
  }
  assert.equal(safeNext("//evil.example", "/account/tokens"), "/account/tokens", "own fallback");
  assert.equal(
    safeNext("/clusters?x=1", F, "https://dash.example:8443"),
    "/clusters?x=1",
    "another origin to resolve against",
  );
});
