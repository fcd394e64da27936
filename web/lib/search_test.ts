// Table-driven tests of the command palette's pure part (search.ts).
import assert from "node:assert/strict";
import {
  groupByCluster,
  isPageLink,
  moveActive,
  opensPalette,
  partialNotices,
  type SearchHit,
  type SearchPartial,
  shownOrder,
} from "./search.ts";

const ID_A = "00000000-0000-4000-8000-00000000000a";
const ID_B = "00000000-0000-4000-8000-00000000000b";
const hit = (cluster: string, name: string): SearchHit => ({
  cluster_id: cluster,
  cluster_name: cluster === ID_A ? "a" : "b",
  kind: "Pod",
  namespace: "default",
  name,
  url: `/clusters/${cluster}/r/core/v1/pods/default/${name}`,
});

Deno.test("groupByCluster: clusters by their best result, indexes through the groups", () => {
  const items = [hit(ID_B, "b1"), hit(ID_A, "a1"), hit(ID_B, "b2"), hit(ID_A, "a2")];
  const groups = groupByCluster(items);
  assert.deepEqual(groups.map((g) => g.cluster_name), ["b", "a"]);
  assert.deepEqual(
    groups.map((g) => g.items.map((i) => [i.hit.name, i.index])),
    [[["b1", 0], ["b2", 1]], [["a1", 2], ["a2", 3]]],
  );
  assert.deepEqual(shownOrder(groups).map((h) => h.name), ["b1", "b2", "a1", "a2"]);
  assert.deepEqual(groupByCluster([]), []);
});

Deno.test("moveActive wraps and starts at either end", () => {
  const cases: [active: number, count: number, key: "ArrowDown" | "ArrowUp", next: number][] = [
    [-1, 3, "ArrowDown", 0],
    [-1, 3, "ArrowUp", 2],
    [0, 3, "ArrowDown", 1],
    [2, 3, "ArrowDown", 0],
    [0, 3, "ArrowUp", 2],
    [1, 3, "ArrowUp", 0],
    [5, 3, "ArrowDown", 0],
    [0, 0, "ArrowDown", -1],
    [0, 1, "ArrowUp", 0],
  ];
  for (const [active, count, key, next] of cases) {
    assert.equal(moveActive(active, count, key), next, `${active} of ${count}, ${key}`);
  }
});

Deno.test("partialNotices counts late and failed clusters", () => {
  const p = (reason: SearchPartial["reason"]): SearchPartial => ({
    cluster_id: ID_A,
    cluster_name: "a",
    reason,
    message: "",
  });
  const cases: [SearchPartial["reason"][], string[]][] = [
    [[], []],
    [["timeout"], ["1 cluster did not answer in time"]],
    [["timeout", "timeout"], ["2 clusters did not answer in time"]],
    [["unavailable"], ["1 cluster could not be searched"]],
    [["timeout", "error", "unavailable"], [
      "1 cluster did not answer in time",
      "2 clusters could not be searched",
    ]],
  ];
  for (const [reasons, notices] of cases) {
    assert.deepEqual(partialNotices(reasons.map(p)), notices, reasons.join(","));
  }
});

Deno.test("isPageLink follows the dashboard's cluster pages only", () => {
  const cases: [string, boolean][] = [
    [`/clusters/${ID_A}`, true],
    [`/clusters/${ID_A}/r/core/v1/pods/default/web`, true],
    ["https://evil.example/clusters/x", false],
    ["//evil.example/", false],
    ["/clusters/not-an-id/r", false],
    ["javascript:alert(1)", false],
    ["/admin/users", false],
  ];
  for (const [url, ok] of cases) assert.equal(isPageLink(url), ok, url);
});

Deno.test("opensPalette: Ctrl+K and Cmd+K only", () => {
  const key = (over: Partial<KeyboardEvent>) => ({
    key: "k",
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    shiftKey: false,
    ...over,
  });
  const cases: [Partial<KeyboardEvent>, boolean][] = [
    [{ ctrlKey: true }, true],
    [{ metaKey: true }, true],
    [{ ctrlKey: true, key: "K" }, true],
    [{}, false],
    [{ ctrlKey: true, key: "j" }, false],
    [{ ctrlKey: true, shiftKey: true }, false],
    [{ ctrlKey: true, altKey: true }, false],
  ];
  for (const [over, opens] of cases) {
    assert.equal(opensPalette(key(over)), opens, JSON.stringify(over));
  }
});
