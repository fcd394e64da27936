import assert from "node:assert/strict";
import { formatLabelLines, labelList, parseLabelLines, sameLabels } from "./labels.ts";

Deno.test("parseLabelLines reads key=value lines and explains the shape errors", () => {
  const cases: [string, string, Record<string, string> | RegExp][] = [
    ["empty", "", {}],
    ["only blank lines", "\n  \n\t\n", {}],
    ["one", "env=prod", { env: "prod" }],
    ["several, CRLF, blank lines", "env=prod\r\n\r\nteam=web\n", { env: "prod", team: "web" }],
    ["spaces trimmed", "  env =  prod  ", { env: "prod" }],
    ["empty value", "env=", { env: "" }],
    ["value keeps later =", "a=b=c", { a: "b=c" }],
    ["prefixed key", "example.com/tier=db", { "example.com/tier": "db" }],
    // The key's own rules are the API's: an inner space passes here and is refused there.
    ["bad key left to the API", "bad key=x", { "bad key": "x" }],
    ["no =", "env=prod\nprod", /^line 2: write key=value \(got "prod"\)$/],
    ["empty key", "=prod", /^line 1: the key before "=" is empty$/],
    ["duplicate", "env=a\nteam=b\nenv=c", /^line 3: the label env is given twice$/],
    ["__proto__ is a plain key", "__proto__=x", { ["__proto__"]: "x" }],
  ];
  for (const [what, text, want] of cases) {
    const got = parseLabelLines(text);
    if (want instanceof RegExp) {
      assert.equal(got.ok, false, what);
      if (!got.ok) assert.match(got.error, want, what);
    } else {
      assert.equal(got.ok, true, what);
      if (got.ok) {
        assert.deepEqual(Object.entries(got.labels), Object.entries(want), what);
      }
    }
  }
});

Deno.test("formatLabelLines and labelList sort by key; a round trip keeps the labels", () => {
  const cases: [Record<string, string> | null | undefined, string[]][] = [
    [null, []],
    [undefined, []],
    [{}, []],
    [{ team: "web", env: "prod" }, ["env=prod", "team=web"]],
    [{ "a/b": "", z: "1" }, ["a/b=", "z=1"]],
  ];
  for (const [labels, want] of cases) {
    assert.deepEqual(labelList(labels), want);
    const text = formatLabelLines(labels);
    assert.equal(text, want.join("\n"));
    const back = parseLabelLines(text);
    assert.ok(back.ok);
    assert.ok(sameLabels(back.labels, labels), text);
  }
});

Deno.test("sameLabels", () => {
  const cases: [Record<string, string> | undefined, Record<string, string> | undefined, boolean][] =
    [
      [undefined, {}, true],
      [{ a: "1", b: "2" }, { b: "2", a: "1" }, true],
      [{ a: "1" }, { a: "2" }, false],
      [{ a: "1" }, { a: "1", b: "" }, false],
      [{ a: "1" }, {}, false],
    ];
  for (const [a, b, want] of cases) assert.equal(sameLabels(a, b), want, `${a} ${b}`);
});
