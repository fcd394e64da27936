// spec.selector → labelSelector query string, table-driven.
import assert from "node:assert/strict";
import { type LabelSelector, selectorString } from "./label_selector.ts";

Deno.test("selectorString writes matchLabels and matchExpressions as the API reads them", () => {
  const cases: [string, LabelSelector, string][] = [
    ["empty: everything", {}, ""],
    ["one label", { matchLabels: { app: "web" } }, "app=web"],
    ["labels sorted by key", { matchLabels: { tier: "fe", app: "web" } }, "app=web,tier=fe"],
    [
      "in, values sorted and deduplicated",
      { matchExpressions: [{ key: "env", operator: "In", values: ["prod", "dev", "prod"] }] },
      "env in (dev,prod)",
    ],
    [
      "notin",
      { matchExpressions: [{ key: "env", operator: "NotIn", values: ["test"] }] },
      "env notin (test)",
    ],
    ["exists", { matchExpressions: [{ key: "canary", operator: "Exists" }] }, "canary"],
    [
      "does not exist",
      { matchExpressions: [{ key: "canary", operator: "DoesNotExist", values: [] }] },
      "!canary",
    ],
    [
      "labels and expressions together, by key",
      {
        matchLabels: { "app.kubernetes.io/name": "web", "controller-uid": "u1" },
        matchExpressions: [
          { key: "zone", operator: "In", values: ["b", "a"] },
          { key: "app.kubernetes.io/name", operator: "Exists" },
          { key: "beta", operator: "DoesNotExist" },
        ],
      },
      "app.kubernetes.io/name=web,app.kubernetes.io/name,!beta,controller-uid=u1,zone in (a,b)",
    ],
  ];
  for (const [what, sel, want] of cases) assert.equal(selectorString(sel), want, what);
});

Deno.test("selectorString refuses invalid requirements", () => {
  const cases: [LabelSelector, RegExp][] = [
    [{ matchExpressions: [{ key: "a", operator: "In", values: [] }] }, /needs at least one value/],
    [{ matchExpressions: [{ key: "a", operator: "NotIn" }] }, /needs at least one value/],
    [{ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }, /takes no values/],
    [{ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] }, /unknown operator "Gt"/],
  ];
  for (const [sel, want] of cases) assert.throws(() => selectorString(sel), want);
});
