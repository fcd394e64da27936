// Unit tests for the agent's watch stream parsing: one event per line, the event's object passed
// on as its raw JSON (not re-serialized), resourceVersion tracked for resuming, 410 Gone noticed.
import assert from "node:assert/strict";
import { parseEventLine, watchLines } from "./watcher.ts";

const dec = new TextDecoder();

Deno.test("parseEventLine", () => {
  const cm = (rv: string, extra = "") =>
    `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"${rv}"}${extra}}`;
  const cases: Array<{
    name: string;
    line: string;
    type: string;
    rv: string;
    object: unknown;
    gone?: boolean;
  }> = [
    {
      name: "ADDED",
      line: `{"type":"ADDED","object":${cm("12")}}`,
      type: "ADDED",
      rv: "12",
      object: JSON.parse(cm("12")),
    },
    {
      name: "braces and quotes inside strings",
      line: `{"type":"MODIFIED","object":${cm("13", `,"data":{"k":"}\\"{\\"object\\":}"}`)}}`,
      type: "MODIFIED",
      rv: "13",
      object: JSON.parse(cm("13", `,"data":{"k":"}\\"{\\"object\\":}"}`)),
    },
    {
      name: "BOOKMARK",
      line:
        `{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"99"}}}`,
      type: "BOOKMARK",
      rv: "99",
      object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: "99" } },
    },
    {
      name: "ERROR 410 Gone",
      line:
        `{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version","reason":"Expired","code":410}}`,
      type: "ERROR",
      rv: "",
      object: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "too old resource version",
        reason: "Expired",
        code: 410,
      },
      gone: true,
    },
    {
      name: "ERROR other than 410",
      line: `{"type":"ERROR","object":{"kind":"Status","code":500}}`,
      type: "ERROR",
      rv: "",
      object: { kind: "Status", code: 500 },
    },
    {
      name: "object before type",
      line: `{"object":${cm("14")},"type":"DELETED"}`,
      type: "DELETED",
      rv: "14",
      object: JSON.parse(cm("14")),
    },
    {
      name: "whitespace between tokens",
      line: `{ "type" : "ADDED" , "object" : ${cm("15")} }`,
      type: "ADDED",
      rv: "15",
      object: JSON.parse(cm("15")),
    },
    {
      name: "non-ASCII content",
      line: `{"type":"ADDED","object":${cm("16", `,"data":{"k":"h\u00e9llo \u{1f600}"}`)}}`,
      type: "ADDED",
      rv: "16",
      object: JSON.parse(cm("16", `,"data":{"k":"h\u00e9llo \u{1f600}"}`)),
    },
  ];
  for (const c of cases) {
    const e = parseEventLine(c.line);
    assert.equal(e.type, c.type, c.name);
    assert.equal(e.resourceVersion, c.rv, c.name);
    assert.deepEqual(JSON.parse(dec.decode(e.object)), c.object, c.name);
    assert.equal(e.gone, c.gone ?? false, c.name);
  }
});

Deno.test("parseEventLine refuses what is not a watch event", () => {
  for (
    const line of [
      "",
      "{",
      "[]",
      "null",
      "{}",
      `{"type":"ADDED"}`,
      `{"object":{}}`,
      `{"type":1,"object":{}}`,
    ]
  ) {
    assert.throws(() => parseEventLine(line), Error, JSON.stringify(line));
  }
});

function streamOf(chunks: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => typeof c === "string" ? enc.encode(c) : c));
}

async function collect(chunks: Array<string | Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of watchLines(streamOf(chunks))) out.push(l);
  return out;
}

Deno.test("watchLines splits a byte stream into lines", async () => {
  const euro = new TextEncoder().encode("\u20ac"); // 3 bytes
  const cases: Array<{ name: string; chunks: Array<string | Uint8Array>; want: string[] }> = [
    { name: "empty", chunks: [], want: [] },
    { name: "one line", chunks: ["a\n"], want: ["a"] },
    { name: "no final newline", chunks: ["a\nb"], want: ["a", "b"] },
    { name: "many lines in one chunk", chunks: ["a\nb\nc\n"], want: ["a", "b", "c"] },
    { name: "a line across chunks", chunks: ['{"ty', 'pe":', "1}\n"], want: ['{"type":1}'] },
    { name: "blank lines and CRLF", chunks: ["a\r\n\r\n\nb\r\n"], want: ["a", "b"] },
    {
      name: "a multi-byte character split across chunks",
      chunks: ["x", euro.subarray(0, 1), euro.subarray(1), "y\n"],
      want: ["x\u20acy"],
    },
  ];
  for (const c of cases) assert.deepEqual(await collect(c.chunks), c.want, c.name);
});

Deno.test("watchLines bounds a single line, not a chunk of many lines", async () => {
  const small = `{"type":"ADDED","object":{"x":"${"y".repeat(1000)}"}}\n`;
  // 17 MiB of small lines in one chunk is fine.
  const many = small.repeat(Math.ceil(17 * 1024 * 1024 / small.length));
  const got = await collect([many]);
  assert.equal(got.length, Math.ceil(17 * 1024 * 1024 / small.length));
  // One line over 16 MiB is not.
  const huge = "z".repeat(1024 * 1024);
  await assert.rejects(
    collect(Array.from({ length: 17 }, () => huge)),
    /larger than 16 MiB/,
  );
});
