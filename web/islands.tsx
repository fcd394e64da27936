/**
 * The islands layer: Fresh's architecture on plain Preact, in one small module.
 *
 * Pages are rendered to HTML on the server; the few interactive parts ("islands") are Preact
 * components that are hydrated in the browser. On the server, `<Island name="X" component={X}
 * props={...} />` renders the component inside a marker element
 *
 *   <div data-island="X" data-island-id="0">…server HTML of X…</div>
 *
 * and records its props. `renderIslands()` collects those records while a page renders and
 * `islandData()` turns them into one `<script type="application/json" id="__islands__">` block
 * (data, not code: nothing inline ever executes; it carries the response's CSP nonce like every
 * <script> the dashboard renders, so the policy never has to admit a script without one).
 * In the browser, `hydrateIslands(registry)` reads that block, loads each island's module by name
 * (a bundle chunk per island) and hydrates the marker element with the same props, so the
 * first client render matches the server's HTML and Preact only attaches listeners.
 *
 * Rules: props must be plain JSON (the server renders with the JSON round-tripped props, so
 * dates become strings on both sides and nothing differs at hydration); an island's name is its
 * file name in web/islands/ and its key in web/client/registry.ts; an `<Island>` inside another
 * island renders as a plain component (the outer island owns hydration).
 *
 * This module imports no server-only code: the browser bundle uses hydrateIslands() from it.
 */
import { type ComponentType, createContext, h, hydrate, type JSX } from "preact";
import { useContext } from "preact/hooks";

/** One island instance on a page: the name of its module and its (JSON) props. */
export interface IslandRecord {
  name: string;
  props: Record<string, unknown>;
}

/** The id of the JSON block that carries every island's props. */
export const ISLAND_DATA_ID = "__islands__";

let collector: IslandRecord[] | null = null;
const InsideIsland = createContext(false);

/**
 * Runs `render` (a synchronous renderToString call) while collecting the islands it renders.
 * Rendering is synchronous, so one module-level collector is safe even with concurrent requests.
 */
export function renderIslands<T>(render: () => T): { result: T; islands: IslandRecord[] } {
  const previous = collector;
  const islands: IslandRecord[] = [];
  collector = islands;
  try {
    return { result: render(), islands };
  } finally {
    collector = previous;
  }
}

function assertJson(value: unknown, path: string): void {
  if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
    throw new TypeError(
      `island prop ${path} is a ${typeof value}; island props must be plain JSON`,
    );
  }
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) assertJson(v, `${path}.${k}`);
  }
}

/** Props as the browser will see them: JSON round-tripped (Dates become ISO strings). */
export function jsonProps<P>(props: P, name = "island"): P {
  assertJson(props, name);
  return JSON.parse(JSON.stringify(props ?? {})) as P;
}

export interface IslandProps<P> {
  /** The island's registry name (its file name in web/islands/ without extension). */
  name: string;
  component: ComponentType<P>;
  props: P;
  /** Marker element; "div" by default (its class is "contents" unless `class` is given). */
  as?: "div" | "span" | "section" | "main" | "aside" | "header" | "nav";
  class?: string;
}

/** Server side: renders an island with its hydration marker and records its props. */
export function Island<P>(
  { name, component, props, as = "div", class: cls }: IslandProps<P>,
): JSX.Element {
  const inside = useContext(InsideIsland);
  const plain = jsonProps(props, name);
  if (!collector || inside) {
    return h(component as ComponentType<Record<string, unknown>>, plain as Record<string, unknown>);
  }
  const id = collector.length;
  collector.push({ name, props: plain as Record<string, unknown> });
  return h(
    as,
    { "data-island": name, "data-island-id": String(id), class: cls ?? "contents" },
    h(
      InsideIsland.Provider,
      { value: true },
      h(component as ComponentType<Record<string, unknown>>, plain as Record<string, unknown>),
    ),
  );
}

/** JSON safe to put inside <script>: no "</script>", no "<!--", no line separators. */
export function escapeJsonForHtml(json: string): string {
  return json.replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** ` nonce="…"` for a tag (the response's CSP nonce), or nothing when there is none. */
export function nonceAttr(nonce: string | undefined): string {
  return nonce ? ` nonce="${nonce.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}"` : "";
}

/**
 * The JSON data block for a page's islands (empty string when there are none), with the
 * response's CSP nonce when given.
 */
export function islandData(islands: IslandRecord[], nonce?: string): string {
  if (islands.length === 0) return "";
  return `<script type="application/json"${nonceAttr(nonce)} id="${ISLAND_DATA_ID}">${
    escapeJsonForHtml(JSON.stringify(islands))
  }</script>`;
}

// ---------------------------------------------------------------------------------------------
// Browser side

/**
 * This page's CSP nonce ("" when the page has none), for the rare element a script must create
 * that the policy checks: a <style> element a library injects (the Terminal island's xterm.js).
 * The browser hides the nonce *attribute* of the page's <script> and stylesheet tags once parsed
 * (so CSS selectors and injected markup cannot read it), but their `nonce` property keeps it for
 * scripts, which the policy already trusts ('strict-dynamic'); reading it here admits nothing new.
 */
export function pageNonce(doc: Document = document): string {
  for (const el of doc.querySelectorAll<HTMLElement>("script[nonce], link[nonce]")) {
    if (el.nonce) return el.nonce;
  }
  return "";
}

/** Island name → lazy module loader (each becomes its own bundle chunk). */
// deno-lint-ignore no-explicit-any
export type IslandRegistry = Record<string, () => Promise<{ default: ComponentType<any> }>>;

/**
 * Hydrates every island marker under `root` (the document by default). Resolves when all are
 * hydrated; sets data-hydrated on each marker and on <html> (tests wait for it). An island that
 * fails to load keeps its server HTML, so the page still reads; the error is rethrown at the end.
 */
export async function hydrateIslands(
  registry: IslandRegistry,
  root: Document = document,
): Promise<number> {
  const block = root.getElementById(ISLAND_DATA_ID);
  const records: IslandRecord[] = block?.textContent ? JSON.parse(block.textContent) : [];
  const markers = [...root.querySelectorAll<HTMLElement>("[data-island]")];
  const errors: unknown[] = [];
  await Promise.all(markers.map(async (el) => {
    const id = Number(el.getAttribute("data-island-id"));
    const record = records[id];
    const name = el.getAttribute("data-island") ?? "";
    try {
      if (!record || record.name !== name) {
        throw new Error(`island ${name}#${id} has no props record`);
      }
      const load = registry[name];
      if (!load) throw new Error(`island ${name} is not in the registry (web/client/registry.ts)`);
      const mod = await load();
      hydrate(h(mod.default, record.props), el);
      el.setAttribute("data-hydrated", "");
    } catch (err) {
      errors.push(err);
    }
  }));
  root.documentElement.setAttribute("data-hydrated", errors.length ? "partial" : "true");
  if (errors.length) throw errors[0];
  return markers.length;
}
