// Table-driven tests of the search's matching and ranking (match.ts).
import assert from "node:assert/strict";
import { compareHits, matchRank, needleOf, type Ranked, TopHits } from "./match.ts";

Deno.test("matchRank: exact, prefix, word start, anywhere, none; any case", () => {
  const cases: [name: string, text: string, rank: number | null][] = [
    ["web", "web", 0],
    ["WEB", "web", 0],
    ["web-frontend", "web", 1],
    ["Web-Frontend", "WEB", 1],
    ["shop-web", "web", 2],
    ["shop.web", "web", 2],
    ["shop_web", "web", 2],
    ["system:web", "web", 2],
    ["cobweb", "web", 3],
    // The first occurrence is inside a word, a later one starts a word.
    ["cobweb-web", "web", 2],
    ["api", "web", null],
    ["", "web", null],
    ["kube-system", "e-s", 3],
  ];
  for (const [name, text, rank] of cases) {
    assert.equal(matchRank(name, needleOf(text)), rank, `${name} / ${text}`);
  }
});

Deno.test("needleOf trims and lowers", () => {
  for (const [text, needle] of [["  Web ", "web"], ["ABC", "abc"], ["a b", "a b"]]) {
    assert.equal(needleOf(text), needle);
  }
});

const hit = (over: Partial<Ranked>): Ranked => ({
  rank: 3,
  kindOrder: 0,
  cluster: "c",
  namespace: null,
  name: "x",
  ...over,
});

Deno.test("compareHits: rank, then shorter name, kind, cluster, namespace, name", () => {
  const cases: [a: Partial<Ranked>, b: Partial<Ranked>][] = [
    [{ rank: 0, name: "web-long-name" }, { rank: 1, name: "web" }],
    [{ name: "web-a" }, { name: "web-ab" }],
    [{ kindOrder: -1 }, { kindOrder: 2 }],
    [{ cluster: "a" }, { cluster: "b" }],
    [{ namespace: null }, { namespace: "a" }],
    [{ namespace: "a" }, { namespace: "b" }],
    [{ name: "ab" }, { name: "ac" }],
  ];
  for (const [a, b] of cases) {
    assert.ok(compareHits(hit(a), hit(b)) < 0, `${JSON.stringify(a)} before ${JSON.stringify(b)}`);
    assert.ok(compareHits(hit(b), hit(a)) > 0, `${JSON.stringify(b)} after ${JSON.stringify(a)}`);
  }
  assert.equal(compareHits(hit({}), hit({})), 0);
});

Deno.test("TopHits keeps the best `limit` of many and counts them all", () => {
  const cases: { limit: number; added: number }[] = [
    { limit: 1, added: 0 },
    { limit: 1, added: 1 },
    { limit: 5, added: 3 },
    { limit: 5, added: 1000 },
    { limit: 50, added: 10_000 },
  ];
  for (const { limit, added } of cases) {
    const top = new TopHits<Ranked>(limit);
    // Names name-0000 … in shuffled order: the best are the smallest numbers.
    const order = Array.from({ length: added }, (_, i) => i).sort(() => Math.random() - 0.5);
    for (const i of order) top.add(hit({ name: `name-${String(i).padStart(5, "0")}` }));
    const best = top.best();
    assert.equal(top.count, added);
    assert.equal(best.length, Math.min(limit, added));
    assert.deepEqual(
      best.map((h) => h.name),
      Array.from({ length: best.length }, (_, i) => `name-${String(i).padStart(5, "0")}`),
      `limit ${limit}, ${added} added`,
    );
  }
});
