// Unit tests of watch_resume.ts (pure stream logic; the end-to-end proof of a watch surviving its
// replica's drain is backend/replicas/replicas_e2e_test.ts): whole lines only, the resume point,
// and when a watch is not resumed.
import assert from "node:assert/strict";
import { eventResourceVersion, resumableWatch } from "./watch_resume.ts";

const enc = new TextEncoder();
const line = (type: string, rv: string) =>
  `{"type":"${type}","object":{"kind":"ConfigMap","metadata":{"name":"c${rv}","resourceVersion":"${rv}"}}}\n`;

/** A watch body that sends `chunks`, then fails (or ends cleanly with `clean`). */
function body(chunks: string[], clean = false): Response {
  let i = 0;
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (i < chunks.length) ctrl.enqueue(enc.encode(chunks[i++]));
        else if (clean) ctrl.close();
        else ctrl.error(new Error("agent offline: the control stream ended"));
      },
    }),
    { status: 200 },
  );
}

async function readAll(res: Response): Promise<{ text: string; error?: string }> {
  let text = "";
  const dec = new TextDecoder();
  try {
    for await (const c of res.body!) text += dec.decode(c, { stream: true });
    return { text };
  } catch (err) {
    return { text, error: (err as Error).message };
  }
}

const url = (q = "") => `http://cluster.invalid/api/v1/configmaps?watch=1${q}`;

Deno.test("watch resume: table", async (t) => {
  const cases: {
    name: string;
    query?: string;
    first: Response;
    /** What each reopen answers, in order; a string is thrown. */
    reopens: (Response | string)[];
    want: string;
    wantRvs: string[];
    wantError?: RegExp;
    abort?: boolean;
  }[] = [
    {
      name: "a line cut by the failure is not delivered; the watch goes on from the last whole one",
      first: body([line("ADDED", "5") + line("MODIFIED", "6").slice(0, 20)]),
      reopens: [body([line("MODIFIED", "6")], true)],
      want: line("ADDED", "5") + line("MODIFIED", "6"),
      wantRvs: ["5"],
    },
    {
      name: "lines split over chunks arrive whole; resumed twice",
      first: body([line("ADDED", "7").slice(0, 9), line("ADDED", "7").slice(9)]),
      reopens: [body([line("DELETED", "8")]), body([line("ADDED", "9")], true)],
      want: line("ADDED", "7") + line("DELETED", "8") + line("ADDED", "9"),
      wantRvs: ["7", "8"],
    },
    {
      name: "the agent not back (the hub's routing gave up waiting): the watch ends",
      first: body([line("ADDED", "7")]),
      reopens: ["agent offline: the cluster's agent is not connected"],
      want: line("ADDED", "7"),
      wantRvs: ["7"],
      wantError: /agent offline/,
    },
    {
      name: "nothing seen: resumed from the version the client asked for",
      query: "&resourceVersion=42",
      first: body([]),
      reopens: [body([line("ADDED", "43")], true)],
      want: line("ADDED", "43"),
      wantRvs: ["42"],
    },
    {
      name: "nothing seen and no version asked: not resumed (events could be missed)",
      first: body([]),
      reopens: [],
      want: "",
      wantRvs: [],
      wantError: /agent offline/,
    },
    {
      name: "a clean end is the end (the API server's timeout)",
      first: body([line("ADDED", "1")], true),
      reopens: [],
      want: line("ADDED", "1"),
      wantRvs: [],
    },
    {
      name: "the reopened watch refused: the watch fails",
      first: body([line("ADDED", "9")]),
      reopens: [new Response("forbidden", { status: 403 })],
      want: line("ADDED", "9"),
      wantRvs: ["9"],
      wantError: /agent offline/,
    },
    {
      name: "the client gone: no resume, and the failure is nobody's error",
      first: body([line("ADDED", "3")]),
      reopens: [],
      want: line("ADDED", "3"),
      wantRvs: [],
      abort: true,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const ctl = new AbortController();
      if (c.abort) ctl.abort();
      const req = new Request(url(c.query), { signal: ctl.signal });
      const rvs: string[] = [];
      const res = resumableWatch(req, c.first, (again) => {
        rvs.push(new URL(again.url).searchParams.get("resourceVersion") ?? "");
        const next = c.reopens.shift();
        if (next === undefined) throw new Error("unexpected reopen");
        if (typeof next === "string") return Promise.reject(new Error(next));
        return Promise.resolve(next);
      });
      const got = await readAll(res);
      assert.equal(got.text, c.want);
      assert.deepEqual(rvs, c.wantRvs);
      if (c.wantError) assert.match(got.error ?? "", c.wantError);
      else assert.equal(got.error, undefined);
    });
  }
});

Deno.test("watch resume: an event's resource version", () => {
  const cases: [string, string | null][] = [
    [line("ADDED", "12"), "12"],
    [line("BOOKMARK", "13"), "13"],
    [
      `{"type":"ERROR","object":{"kind":"Status","code":410,"metadata":{"resourceVersion":"1"}}}`,
      null,
    ],
    [`{"type":"ADDED","object":{}}`, null],
    ["not json", null],
  ];
  for (const [l, want] of cases) assert.equal(eventResourceVersion(enc.encode(l.trim())), want, l);
});
