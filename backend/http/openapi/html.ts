// Renders the OpenAPI document as one readable HTML page (GET /api/docs): every operation by tag
// with its authentication, parameters, body and answers, then the named schemas as property
// tables. Plain HTML and one <style> carrying the response's CSP nonce: nothing external.
import type { JsonObject } from "./document.ts";

type Schema = JsonObject;

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const obj = (v: unknown): Schema =>
  (v && typeof v === "object" && !Array.isArray(v) ? v : {}) as Schema;

/** A schema as a short type expression, named schemas as links. */
export function typeText(s: Schema): string {
  if (typeof s.$ref === "string") {
    const name = s.$ref.split("/").pop() ?? "";
    return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
  }
  if ("const" in s) return `<code>${esc(JSON.stringify(s.const))}</code>`;
  if (Array.isArray(s.enum)) {
    return s.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(" | ");
  }
  for (const k of ["anyOf", "oneOf"] as const) {
    const alts = s[k];
    if (Array.isArray(alts)) return alts.map((a) => typeText(obj(a))).join(" | ");
  }
  const types = Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type];
  const parts = types.map((t) => {
    if (t === "array") return `${typeText(obj(s.items))}[]`;
    if (t === "object" && s.properties) {
      const req = new Set(Array.isArray(s.required) ? s.required : []);
      return `{ ${
        Object.entries(obj(s.properties)).map(([k, v]) =>
          `${esc(k)}${req.has(k) ? "" : "?"}: ${typeText(obj(v))}`
        ).join(", ")
      } }`;
    }
    if (t === "object" && !s.properties && s.additionalProperties) {
      return `{ [key]: ${typeText(obj(s.additionalProperties))} }`;
    }
    return esc(String(t));
  });
  const text = parts.length ? parts.join(" | ") : "any";
  const notes = [
    typeof s.format === "string" ? s.format : null,
    typeof s.pattern === "string" && s.format === undefined ? `pattern ${s.pattern}` : null,
    typeof s.minLength === "number" ? `min length ${s.minLength}` : null,
    typeof s.maxLength === "number" ? `max length ${s.maxLength}` : null,
    typeof s.minimum === "number" ? `≥ ${s.minimum}` : null,
    typeof s.maximum === "number" ? `≤ ${s.maximum}` : null,
    typeof s.maxItems === "number" ? `at most ${s.maxItems}` : null,
  ].filter((n): n is string => n !== null);
  return notes.length ? `${text} <span class="note">(${esc(notes.join(", "))})</span>` : text;
}

/** An object schema as a table of its properties; anything else as its type. */
function schemaBlock(s: Schema): string {
  const alts = Array.isArray(s.anyOf) ? s.anyOf.map(obj) : null;
  if (alts?.every((a) => a.properties)) {
    return alts.map((a, i) => `<p class="note">variant ${i + 1}</p>${schemaBlock(a)}`).join("");
  }
  const props = obj(s.properties);
  if (!Object.keys(props).length) return `<p>${typeText(s)}</p>`;
  const required = new Set(Array.isArray(s.required) ? s.required : []);
  const rows = Object.entries(props).map(([name, p]) => {
    const d = obj(p).description;
    return `<tr><td><code>${esc(name)}</code>${
      required.has(name) ? "" : ' <span class="note">optional</span>'
    }</td><td>${typeText(obj(p))}</td><td>${typeof d === "string" ? esc(d) : ""}</td></tr>`;
  });
  const closed = s.additionalProperties === false ? '<p class="note">No other fields.</p>' : "";
  return `<table><tr><th>field</th><th>type</th><th></th></tr>${rows.join("")}</table>${closed}`;
}

function operationBlock(path: string, method: string, op: Schema): string {
  const id = String(op.operationId);
  const params = Array.isArray(op.parameters) ? op.parameters.map(obj) : [];
  const paramRows = params.map((p) =>
    `<tr><td><code>${esc(String(p.name))}</code></td><td>${esc(String(p.in))}${
      p.required ? "" : ", optional"
    }</td><td>${typeText(obj(p.schema))}</td><td>${esc(String(p.description ?? ""))}</td></tr>`
  );
  const body = obj(obj(obj(op.requestBody).content)["application/json"]).schema;
  const responses = Object.entries(obj(op.responses)).map(([status, r]) => {
    const content = obj(obj(r).content);
    const [type, media] = Object.entries(content)[0] ?? [];
    const shape = media ? typeText(obj(obj(media).schema)) : "";
    return `<tr><td>${esc(status)}</td><td>${esc(String(obj(r).description))}</td><td>${
      type ? `<code>${esc(type)}</code> ${type === "application/json" ? shape : ""}` : ""
    }</td></tr>`;
  });
  const description = String(op.description ?? "").split("\n\n").map((p) => `<p>${esc(p)}</p>`)
    .join("");
  return `<section id="${esc(id)}"><h3><span class="method ${esc(method)}">${
    esc(method.toUpperCase())
  }</span> <code>${esc(path)}</code></h3><p><strong>${
    esc(String(op.summary))
  }</strong></p>${description}${
    paramRows.length
      ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th></th></tr>${
        paramRows.join("")
      }</table>`
      : ""
  }${
    body ? `<h4>Request body (application/json)</h4>${schemaBlock(obj(body))}` : ""
  }<h4>Responses</h4><table><tr><th>status</th><th></th><th>body</th></tr>${
    responses.join("")
  }</table></section>`;
}

const CSS =
  `body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;color:#1f2328}
h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.5rem}section{border-top:1px solid #eaeef2;padding:.5rem 0}
table{border-collapse:collapse;margin:.3rem 0}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;vertical-align:top}
code{font-family:ui-monospace,monospace;font-size:.9em}.note{color:#59636e;font-size:.9em}
.method{display:inline-block;min-width:4.5rem;font-family:ui-monospace,monospace;color:#fff;background:#59636e;border-radius:4px;padding:0 .4rem;text-align:center}
.get{background:#0969da}.post{background:#1a7f37}.patch,.put{background:#9a6700}.delete{background:#cf222e}
nav ul{columns:2;list-style:none;padding:0}nav li{margin:.1rem 0}`;

/** The whole page; `nonce` is the response's CSP nonce (the policy admits no other style). */
export function renderApiReference(doc: JsonObject, nonce: string): string {
  const info = obj(doc.info);
  // Sections in the document's tag order (the registry's).
  const tags = Array.isArray(doc.tags) ? doc.tags.map((t) => String(obj(t).name)) : [];
  const byTag = new Map<string, string[]>(tags.map((t) => [t, []]));
  const toc = new Map<string, string[]>(tags.map((t) => [t, []]));
  for (const [path, item] of Object.entries(obj(doc.paths))) {
    for (const [method, op] of Object.entries(obj(item))) {
      const tag = String((obj(op).tags as string[] | undefined)?.[0] ?? "Other");
      byTag.set(tag, [...byTag.get(tag) ?? [], operationBlock(path, method, obj(op))]);
      toc.set(tag, [
        ...toc.get(tag) ?? [],
        `<li><a href="#${esc(String(obj(op).operationId))}"><code>${esc(method.toUpperCase())} ${
          esc(path)
        }</code></a></li>`,
      ]);
    }
  }
  const schemas = Object.entries(obj(obj(doc.components).schemas)).map(([name, s]) => {
    const d = obj(s).description;
    return `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3>${
      typeof d === "string" ? `<p>${esc(d)}</p>` : ""
    }${schemaBlock(obj(s))}</section>`;
  });
  const title = esc(String(info.title));
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<style nonce="${esc(nonce)}">${CSS}</style></head><body>
<h1>${title} <span class="note">${esc(String(info.version))}</span></h1>
<p>${esc(String(info.description ?? ""))}</p>
<p>The machine-readable document: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI ${
    esc(String(doc.openapi))
  }).</p>
<nav>${
    [...toc].map(([tag, items]) => `<h4>${esc(tag)}</h4><ul>${items.join("")}</ul>`).join("")
  }<h4><a href="#schemas">Schemas</a></h4></nav>
${[...byTag].map(([tag, ops]) => `<h2>${esc(tag)}</h2>${ops.join("")}`).join("\n")}
<h2 id="schemas">Schemas</h2>${schemas.join("\n")}
</body></html>`;
}
