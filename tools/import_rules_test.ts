// The import rules of docs/architecture.md, enforced on the repository's import graph. Every
// .ts/.tsx file is scanned for its import specifiers (static `import … from`, `import "…"`,
// `export … from`, dynamic `import("…")` with a string literal); relative ones are resolved to a
// repository path, bare ones through deno.json's import map. A rule names the files it governs
// and the paths they may not import; the test fails listing each offending file and import.
//
// - The agent (agent/, tests aside) imports only agent/, proto/ and common/ (and npm:/node:
//   packages): it is compiled into its own binary and must not drag the dashboard in.
// - Product code (backend/, agent/, web/; not *_test.ts, not web/e2e/) imports no test tooling:
//   tools/, testing/, e2e/, bench/.
// - Browser code (web/islands/, web/components/, web/client/, web/lib/) imports nothing from
//   backend/: it is bundled for the browser.
//
// Run: deno test -A tools/import_rules_test.ts

import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");

/** Directories never scanned (generated, vendored or data). */
const SKIP_DIRS = new Set([
  ".git",
  ".cache",
  "node_modules",
  "data",
  "dist",
  "web/static/build",
]);

// ---------------------------------------------------------------------------------------------
// Reading specifiers

/**
 * The module specifiers a TypeScript source imports or re-exports. Comments are skipped and the
 * contents of template literals ignored, so an import written inside a comment or a template
 * (a test writing a source file, say) does not count; regex literals are skipped by the usual
 * heuristic (a `/` where an expression may start).
 */
export function importSpecifiers(source: string): string[] {
  // Blank comments, template contents and regex literals; quoted strings become placeholders.
  let code = "";
  const strings: string[] = [];
  let i = 0;
  let lastSignificant = "";
  const n = source.length;
  while (i < n) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < n && source[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
      code += " ";
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c && source[j] !== "\n") j += source[j] === "\\" ? 2 : 1;
      // A string becomes a numbered placeholder, so text inside it never matches below.
      code += `"${strings.length}"`;
      strings.push(source.slice(i + 1, j));
      i = j + 1;
      lastSignificant = c;
      continue;
    }
    if (c === "`") {
      i = skipTemplate(source, i + 1);
      code += "``";
      lastSignificant = "`";
      continue;
    }
    if (c === "/" && regexMayStart(lastSignificant, code)) {
      let j = i + 1;
      let inClass = false;
      while (j < n && source[j] !== "\n") {
        const d = source[j];
        if (d === "\\") j++;
        else if (d === "[") inClass = true;
        else if (d === "]") inClass = false;
        else if (d === "/" && !inClass) break;
        j++;
      }
      i = j + 1;
      code += "/./";
      lastSignificant = "/";
      continue;
    }
    code += c;
    if (!/\s/.test(c)) lastSignificant = c;
    i++;
  }
  const specs: string[] = [];
  const patterns = [
    /\bfrom\s*"(\d+)"/g, // import … from "x", export … from "x"
    /(?:^|[;\s}])import\s*"(\d+)"/g, // import "x"
    /\bimport\s*\(\s*"(\d+)"\s*[,)]/g, // import("x"), import type positions too
  ];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) specs.push(strings[Number(m[1])]);
  }
  return [...new Set(specs)];
}

/** The index after the template literal that starts at `i` (just past its backtick). */
function skipTemplate(source: string, i: number): number {
  while (i < source.length) {
    const c = source[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "`") return i + 1;
    if (c === "$" && source[i + 1] === "{") {
      // Skip the expression, nested braces and templates included.
      let depth = 1;
      i += 2;
      while (i < source.length && depth > 0) {
        const d = source[i];
        if (d === "`") {
          i = skipTemplate(source, i + 1);
          continue;
        }
        if (d === '"' || d === "'") {
          let j = i + 1;
          while (j < source.length && source[j] !== d) j += source[j] === "\\" ? 2 : 1;
          i = j + 1;
          continue;
        }
        if (d === "{") depth++;
        else if (d === "}") depth--;
        i++;
      }
      continue;
    }
    i++;
  }
  return i;
}

/** Whether a `/` after `last` (the previous non-space character) starts a regex literal. */
function regexMayStart(last: string, code: string): boolean {
  if (last === "" || "(,=:[!&|?{};+-*%<>~^".includes(last)) return true;
  return /\b(return|typeof|case|do|else|in|of|yield|await)\s*$/.test(code);
}

// ---------------------------------------------------------------------------------------------
// Resolving

/** Where an import goes: a repository path, or an external package. */
export type Target = { kind: "file"; path: string } | { kind: "package"; specifier: string };

/**
 * Resolves `spec`, imported by the repository file `from`, to a repository path (relative and
 * root-relative specifiers, and import-map entries that point into the repository) or an external
 * package (npm:, node:, jsr:, URLs, and import-map entries that map to those).
 */
export function resolveImport(
  from: string,
  spec: string,
  importMap: Record<string, string>,
): Target {
  let s = spec;
  if (!s.startsWith(".") && !s.startsWith("/")) {
    const key = Object.keys(importMap)
      .filter((k) => s === k || (k.endsWith("/") && s.startsWith(k)))
      .sort((a, b) => b.length - a.length)[0];
    if (key === undefined) return { kind: "package", specifier: s };
    s = importMap[key] + s.slice(key.length);
    if (!s.startsWith("./") && !s.startsWith("../") && !s.startsWith("/")) {
      return { kind: "package", specifier: s };
    }
    return { kind: "file", path: normalize(s.startsWith("/") ? s.slice(1) : s) };
  }
  const abs = s.startsWith("/") ? s.slice(1) : join(dirname(from), s);
  return { kind: "file", path: normalize(abs) };
}

// ---------------------------------------------------------------------------------------------
// Rules

/** One import rule: which files it governs, and which targets they may not import. */
export interface ImportRule {
  name: string;
  governs: (file: string) => boolean;
  /** Whether importing `target` breaks the rule. */
  breaks: (target: Target) => boolean;
}

const under = (path: string, ...dirs: string[]) => dirs.some((d) => path.startsWith(`${d}/`));
const isTest = (path: string) => /_test\.tsx?$/.test(path);
const isExternalPackage = (t: Target) =>
  t.kind === "package" && /^(npm|node|jsr):/.test(t.specifier);

/** The rules, as docs/architecture.md states them. */
export const RULES: readonly ImportRule[] = [
  {
    name: "the agent imports only agent/, proto/ and common/ (and npm:/node: packages)",
    governs: (f) => under(f, "agent") && !isTest(f),
    breaks: (t) =>
      t.kind === "file" ? !under(t.path, "agent", "proto", "common") : !isExternalPackage(t),
  },
  {
    name: "common code (common/) imports nothing of the project but common/",
    governs: (f) => under(f, "common") && !isTest(f),
    breaks: (t) => t.kind === "file" && !under(t.path, "common"),
  },
  {
    name: "wire contract (proto/) imports only proto/ and common/",
    governs: (f) => under(f, "proto") && !isTest(f),
    breaks: (t) => t.kind === "file" && !under(t.path, "proto", "common"),
  },
  {
    name: "product code imports no test tooling (tools/, testing/, e2e/, bench/)",
    governs: (f) => under(f, "backend", "agent", "web") && !isTest(f) && !under(f, "web/e2e"),
    breaks: (t) => t.kind === "file" && under(t.path, "tools", "testing", "e2e", "bench"),
  },
  {
    name: "browser code (web/islands, web/components, web/client, web/lib) imports no backend/",
    governs: (f) => under(f, "web/islands", "web/components", "web/client", "web/lib"),
    breaks: (t) => t.kind === "file" && under(t.path, "backend"),
  },
];

/** A broken rule: the file, its import, and the rule's name. */
export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

/** The violations of `rules` by one file's imports. */
export function checkFile(
  file: string,
  source: string,
  importMap: Record<string, string>,
  rules: readonly ImportRule[] = RULES,
): Violation[] {
  const out: Violation[] = [];
  const governing = rules.filter((r) => r.governs(file));
  if (governing.length === 0) return out;
  for (const specifier of importSpecifiers(source)) {
    const target = resolveImport(file, specifier, importMap);
    for (const rule of governing) {
      if (rule.breaks(target)) out.push({ file, specifier, rule: rule.name });
    }
  }
  return out;
}

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(join(ROOT, dir))) {
    const path = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory) {
      if (!SKIP_DIRS.has(path) && !SKIP_DIRS.has(e.name)) yield* sourceFiles(path);
    } else if (e.isFile && /\.tsx?$/.test(e.name)) {
      yield path;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Tests

Deno.test("importSpecifiers reads static, re-export and dynamic imports only", () => {
  const cases: Array<[string, string, string[]]> = [
    ["named import", 'import { a } from "./a.ts";', ["./a.ts"]],
    ["default + type import", "import type { T } from '../b.ts';", ["../b.ts"]],
    ["multi-line import", 'import {\n  a,\n  b,\n} from "./c.ts";', ["./c.ts"]],
    ["side-effect import", 'import "./d.ts";', ["./d.ts"]],
    ["re-export", 'export { x } from "./e.ts";\nexport * from "./f.ts";', ["./e.ts", "./f.ts"]],
    ["dynamic import", 'const m = await import("../g.ts");', ["../g.ts"]],
    ["import type position", 'let s: import("node:stream").Readable;', ["node:stream"]],
    ["npm and node", 'import x from "npm:x@1";\nimport y from "node:fs";', ["npm:x@1", "node:fs"]],
    ["line comment", '// import { a } from "./no.ts";\nconst a = 1;', []],
    ["block comment", '/* export * from "./no.ts"; */ const a = 1;', []],
    ["template literal", 'const src = `import { a } from "./no.ts";`;', []],
    [
      "template expression",
      'const s = `${"x"}`;\nimport { a } from "./yes.ts";',
      ["./yes.ts"],
    ],
    ["regex with quotes", 'const re = /["`]/;\nimport { a } from "./yes.ts";', ["./yes.ts"]],
    ["string mentioning from", "const s = \"comes from './no.ts'\";", []],
    ["a division is no regex", 'const x = a / b / c;\nimport "./yes.ts";', ["./yes.ts"]],
  ];
  for (const [name, source, want] of cases) {
    assert.deepEqual(importSpecifiers(source), want, name);
  }
});

Deno.test("resolveImport resolves relative paths and the import map", () => {
  const map = { "hono": "npm:hono@^4", "@/": "./backend/" };
  const cases: Array<[string, string, Target]> = [
    ["agent/main.ts", "./kube.ts", { kind: "file", path: "agent/kube.ts" }],
    ["agent/main.ts", "../common/log.ts", { kind: "file", path: "common/log.ts" }],
    ["web/lib/k8s/paths.ts", "../../../backend/x.ts", { kind: "file", path: "backend/x.ts" }],
    ["backend/a.ts", "hono", { kind: "package", specifier: "npm:hono@^4" }],
    ["backend/a.ts", "node:path", { kind: "package", specifier: "node:path" }],
    ["backend/a.ts", "@/server.ts", { kind: "file", path: "backend/server.ts" }],
    ["backend/a.ts", "unmapped", { kind: "package", specifier: "unmapped" }],
  ];
  for (const [from, spec, want] of cases) {
    assert.deepEqual(resolveImport(from, spec, map), want, `${from}: ${spec}`);
  }
});

Deno.test("the rules flag what they forbid and nothing else", () => {
  const map = { "@grpc/grpc-js": "npm:@grpc/grpc-js@^1" };
  const cases: Array<[string, string, string[]]> = [
    ["agent/kube.ts", "../proto/wire.ts", []],
    ["agent/kube.ts", "../common/log.ts", []],
    ["agent/kube.ts", "@grpc/grpc-js", []],
    ["agent/kube.ts", "node:http2", []],
    ["agent/kube.ts", "../backend/tls.ts", ["the agent"]],
    ["agent/kube.ts", "../tools/testenv/mod.ts", ["the agent", "product code"]],
    ["agent/kube.ts", "left-pad", ["the agent"]],
    ["agent/kube_test.ts", "../backend/tls.ts", []],
    ["common/log.ts", "../proto/wire.ts", ["common code"]],
    ["common/lines.ts", "./log.ts", []],
    ["proto/wire.ts", "../common/log.ts", []],
    ["proto/wire.ts", "../backend/tls.ts", ["wire contract"]],
    ["backend/server.ts", "../testing/harness.ts", ["product code"]],
    ["backend/server.ts", "../bench/run.ts", ["product code"]],
    ["backend/server.ts", "../e2e/agent_fixtures.ts", ["product code"]],
    ["backend/server_test.ts", "../testing/harness.ts", []],
    ["web/render.tsx", "../tools/x.ts", ["product code"]],
    ["web/e2e/harness.ts", "../../tools/testenv/mod.ts", []],
    ["web/lib/agent.ts", "../../backend/agents/install/command.ts", ["browser code"]],
    ["web/islands/A.tsx", "../../common/log.ts", []],
    ["web/client/api.ts", "../../backend/x.ts", ["browser code"]],
    ["web/components/b.tsx", "../../backend/x.ts", ["browser code"]],
    ["web/routes.tsx", "../backend/x.ts", []],
    ["tools/dev_cluster.ts", "../backend/server.ts", []],
  ];
  for (const [file, spec, want] of cases) {
    const got = checkFile(file, `import x from "${spec}";`, map).map((v) =>
      v.rule.split(" ").slice(0, 2).join(" ").replace(/ \(.*$/, "")
    );
    assert.deepEqual(got, want, `${file} imports ${spec}`);
  }
});

Deno.test("the repository keeps the import rules", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const importMap: Record<string, string> = config.imports ?? {};
  const violations: Violation[] = [];
  let scanned = 0;
  for await (const file of sourceFiles("")) {
    scanned++;
    violations.push(...checkFile(file, await Deno.readTextFile(join(ROOT, file)), importMap));
  }
  assert.ok(scanned > 100, `scanned only ${scanned} files under ${relative(Deno.cwd(), ROOT)}`);
  const report = violations.map((v) => `  ${v.file}: import "${v.specifier}" (${v.rule})`);
  assert.equal(violations.length, 0, `import rules broken:\n${report.join("\n")}`);
});
