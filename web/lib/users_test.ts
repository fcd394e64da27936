// The user forms' rules: usernames, new passwords, group lists, label selectors, generated
// passwords.
import assert from "node:assert/strict";
import {
  formatSelector,
  generatePassword,
  parseGroups,
  parseSelector,
  selectorMatches,
  validateNewPassword,
  validateUsername,
} from "./users.ts";

Deno.test("validateUsername mirrors the API's rule", () => {
  for (const ok of ["alice", "a", "a.b_c-d", "0ps", "x".repeat(63), "ada@example.com"]) {
    assert.equal(validateUsername(ok), null, ok);
  }
  assert.equal(validateUsername(""), "Enter a username.");
  assert.equal(validateUsername("Alice"), "Use lowercase letters only.");
  for (const bad of ["-a", ".a", "@a", "a b", "a/b", "a,b", "x".repeat(64), "ä"]) {
    assert.match(validateUsername(bad) ?? "", /1-63 lowercase/, bad);
  }
});

Deno.test("validateNewPassword: 12 to 1024 characters", () => {
  assert.equal(validateNewPassword("x".repeat(12)), null);
  assert.equal(validateNewPassword("short"), "Use at least 12 characters (this one has 5).");
  assert.match(validateNewPassword("x".repeat(1025)) ?? "", /at most 1024/);
});

Deno.test("parseGroups: separated by commas, spaces or lines; unique, sorted, checked", () => {
  assert.deepEqual(parseGroups(""), { groups: [] });
  assert.deepEqual(parseGroups(" web, ops\nweb  team:a x@y.example "), {
    groups: ["ops", "team:a", "web", "x@y.example"],
  });
  for (const bad of ["Web", "-x", "a/b", "x".repeat(64)]) {
    const r = parseGroups(`ok ${bad}`);
    assert.ok("error" in r && r.error.includes(`“${bad}”`), bad);
  }
  const many = Array.from({ length: 33 }, (_, i) => `g${i}`).join(",");
  assert.deepEqual(parseGroups(many), { error: "At most 32 groups." });
});

Deno.test("parseSelector: key=value pairs, Kubernetes label syntax", () => {
  assert.deepEqual(parseSelector("env=prod, team=web"), {
    selector: { env: "prod", team: "web" },
  });
  assert.deepEqual(parseSelector("example.com/tier=gold,empty="), {
    selector: { "example.com/tier": "gold", empty: "" },
  });
  const cases: [string, RegExp][] = [
    ["", /at least one label/],
    [" , ", /at least one label/],
    ["env", /not key=value/],
    ["-env=prod", /not a label key/],
    ["Example.com/x=y", /not a label key/],
    ["env=prod!", /not a label value/],
    ["env=a,env=b", /given twice/],
  ];
  for (const [text, want] of cases) {
    const r = parseSelector(text);
    assert.ok("error" in r, text);
    assert.match(r.error, want, text);
  }
  assert.deepEqual(parseSelector("env=a,env=a"), { selector: { env: "a" } });
  // Keys an object inherits are plain keys.
  assert.deepEqual(parseSelector("constructor=x,toString=y"), {
    selector: { constructor: "x", toString: "y" },
  });
});

Deno.test("formatSelector and selectorMatches", () => {
  assert.equal(formatSelector({ team: "web", env: "prod" }), "env=prod,team=web");
  assert.equal(selectorMatches({ env: "prod" }, { env: "prod", team: "x" }), true);
  assert.equal(selectorMatches({ env: "prod", team: "y" }, { env: "prod", team: "x" }), false);
  assert.equal(selectorMatches({ env: "prod" }, undefined), false);
  assert.equal(selectorMatches({ constructor: "x" }, {}), false);
});

Deno.test("generatePassword: 20 characters of an unambiguous alphabet, different each time", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const p = generatePassword();
    assert.match(p, /^[A-HJ-NP-Za-km-z2-9]{20}$/);
    assert.equal(validateNewPassword(p), null);
    seen.add(p);
  }
  assert.equal(seen.size, 50);
});
