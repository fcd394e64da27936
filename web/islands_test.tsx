// Tests of the islands layer: server rendering marks islands and records their props; the
// browser side hydrates those markers in place (a DOM from linkedom stands in for the browser).
import assert from "node:assert/strict";
import { parseHTML } from "linkedom";
import { renderToString } from "preact-render-to-string";
import { useState } from "preact/hooks";
import {
  escapeJsonForHtml,
  hydrateIslands,
  Island,
  ISLAND_DATA_ID,
  islandData,
  jsonProps,
  renderIslands,
} from "./islands.tsx";
import { registry } from "./client/registry.ts";

function Counter({ start, label }: { start: number; label: string }) {
  const [n, setN] = useState(start);
  return (
    <button type="button" onClick={() => setN(n + 1)}>
      {label}: {n}
    </button>
  );
}

function Outer({ title }: { title: string }) {
  // An island rendered inside another island must not get its own marker.
  return (
    <section>
      <h2>{title}</h2>
      <Island name="Counter" component={Counter} props={{ start: 5, label: "inner" }} />
    </section>
  );
}

function page() {
  return (
    <main>
      <p>static text</p>
      <Island name="Counter" component={Counter} props={{ start: 1, label: "a" }} />
      <Island
        name="Counter"
        component={Counter}
        props={{ start: 10, label: "b" }}
        as="span"
        class="inline-flex"
      />
      <Island
        name="Outer"
        component={Outer}
        props={{ title: "</script><script>alert(1)</script>" }}
      />
    </main>
  );
}

function renderPage(): string {
  const { result, islands } = renderIslands(() => renderToString(page()));
  return `<!DOCTYPE html><html><head></head><body>${result}${islandData(islands)}</body></html>`;
}

Deno.test("server render marks islands and records their props", () => {
  const { result, islands } = renderIslands(() => renderToString(page()));
  assert.deepEqual(islands, [
    { name: "Counter", props: { start: 1, label: "a" } },
    { name: "Counter", props: { start: 10, label: "b" } },
    { name: "Outer", props: { title: "</script><script>alert(1)</script>" } },
  ]);
  const cases: [string, RegExp][] = [
    [
      "first marker",
      /<div data-island="Counter" data-island-id="0" class="contents"><button type="button">a: 1<\/button><\/div>/,
    ],
    [
      "custom tag and class",
      /<span data-island="Counter" data-island-id="1" class="inline-flex"><button type="button">b: 10<\/button><\/span>/,
    ],
    ["outer island", /<div data-island="Outer" data-island-id="2" class="contents"><section>/],
    [
      "nested island renders plain",
      /<h2>&lt;\/script>&lt;script>alert\(1\)&lt;\/script><\/h2><button type="button">inner: 5<\/button><\/section>/,
    ],
  ];
  for (const [name, re] of cases) assert.match(result, re, name);
  assert.equal((result.match(/data-island=/g) ?? []).length, 3, "exactly three markers");
});

Deno.test("outside renderIslands an Island renders as its plain component", () => {
  const html = renderToString(
    <Island name="Counter" component={Counter} props={{ start: 2, label: "x" }} />,
  );
  assert.equal(html, '<button type="button">x: 2</button>');
});

Deno.test("island data block is inert JSON", () => {
  assert.equal(islandData([]), "");
  const block = islandData([{ name: "X", props: { s: "</script><!-- \u2028 & >" } }]);
  assert.ok(block.startsWith(`<script type="application/json" id="${ISLAND_DATA_ID}">`));
  assert.ok(!block.slice(0, -"</script>".length).includes("</script"), "no closing tag inside");
  assert.ok(!block.includes("<!--"));
  const json = block.replace(/^<script[^>]*>/, "").replace(/<\/script>$/, "");
  assert.deepEqual(JSON.parse(json), [{ name: "X", props: { s: "</script><!-- \u2028 & >" } }]);
  const escapes: [string, string][] = [
    ["<", "\\u003c"],
    [">", "\\u003e"],
    ["&", "\\u0026"],
    ["\u2028", "\\u2028"],
    ["\u2029", "\\u2029"],
    ["a", "a"],
  ];
  for (const [input, want] of escapes) assert.equal(escapeJsonForHtml(input), want);
});

Deno.test("props must be plain JSON; dates become strings on both sides", () => {
  const when = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  assert.deepEqual(jsonProps({ when, n: 1, list: [1, "a"], nil: null }), {
    when: "2026-01-02T03:04:05.000Z",
    n: 1,
    list: [1, "a"],
    nil: null,
  });
  const bad: [string, unknown, RegExp][] = [
    ["function", { onClick: () => {} }, /island prop X\.onClick is a function/],
    ["nested function", { a: { b: [() => {}] } }, /X\.a\.b\.0 is a function/],
    ["bigint", { n: 1n }, /is a bigint/],
    ["symbol", { s: Symbol("x") }, /is a symbol/],
  ];
  for (const [name, props, re] of bad) assert.throws(() => jsonProps(props, "X"), re, name);
  assert.throws(() =>
    renderIslands(() =>
      renderToString(
        <Island
          name="X"
          component={Counter}
          props={{ start: 1, label: "x", f: () => 1 } as never}
        />,
      )
    )
  );
});

/** Runs fn with the server-rendered page as the global document and window (as in a browser). */
async function withPage(
  fn: (dom: ReturnType<typeof parseHTML>) => Promise<void>,
): Promise<void> {
  const dom = parseHTML(renderPage());
  const g = globalThis as Record<string, unknown>;
  const saved = { document: g.document, window: g.window };
  g.document = dom.document;
  g.window = dom.window;
  try {
    await fn(dom);
  } finally {
    g.document = saved.document;
    g.window = saved.window;
  }
}

Deno.test("hydration reuses the server's DOM and attaches behaviour", async () => {
  await withPage(async ({ document, window }) => {
    const before = [...document.querySelectorAll("button")];
    assert.equal(before.length, 3);
    const loaded: string[] = [];
    const count = await hydrateIslands({
      Counter: () => {
        loaded.push("Counter");
        return Promise.resolve({ default: Counter });
      },
      Outer: () => {
        loaded.push("Outer");
        return Promise.resolve({ default: Outer });
      },
    }, document as unknown as Document);
    assert.equal(count, 3);
    assert.deepEqual(loaded.sort(), ["Counter", "Counter", "Outer"]);
    assert.equal(document.documentElement.getAttribute("data-hydrated"), "true");
    for (const m of document.querySelectorAll("[data-island]")) {
      assert.ok(m.hasAttribute("data-hydrated"));
    }
    const after = [...document.querySelectorAll("button")];
    assert.equal(after.length, 3, "no duplicated markup");
    after.forEach((b, i) => assert.equal(b, before[i], `button ${i} is the server's node`));

    after[1].dispatchEvent(new window.Event("click"));
    after[2].dispatchEvent(new window.Event("click"));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(after.map((b) => b.textContent), ["a: 1", "b: 11", "inner: 6"]);
  });
});

Deno.test("an island missing from the registry keeps its HTML and is reported", async () => {
  await withPage(async ({ document }) => {
    await assert.rejects(
      hydrateIslands(
        { Counter: () => Promise.resolve({ default: Counter }) },
        document as unknown as Document,
      ),
      /island Outer is not in the registry/,
    );
    assert.equal(document.documentElement.getAttribute("data-hydrated"), "partial");
    assert.match(document.querySelector('[data-island="Outer"]')!.innerHTML, /inner: 5/);
    assert.ok(!document.querySelector('[data-island="Outer"]')!.hasAttribute("data-hydrated"));
  });
});

Deno.test("the client registry lists exactly the files in web/islands", async () => {
  const dir = new URL("./islands/", import.meta.url);
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /\.tsx$/.test(e.name) && !e.name.endsWith("_test.tsx")) {
      files.push(e.name.replace(/\.tsx$/, ""));
    }
  }
  assert.deepEqual(Object.keys(registry).sort(), files.sort());
  for (const [name, load] of Object.entries(registry)) {
    const mod = await load();
    assert.equal(typeof mod.default, "function", `${name} has a default export`);
  }
});
