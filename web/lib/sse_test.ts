import assert from "node:assert/strict";
import { SseParser } from "./sse.ts";

Deno.test("SseParser", () => {
  const cases: [string, string[], { event: string; data: string; id?: string }[]][] = [
    ["one event", ['event: cluster\ndata: {"id":1}\n\n'], [{ event: "cluster", data: '{"id":1}' }]],
    ["split across chunks", ["event: del", 'eted\ndata: {"id"', ":2}\n", "\n"], [{
      event: "deleted",
      data: '{"id":2}',
    }]],
    ["default event name, comments, CRLF", [": keepalive\r\ndata: x\r\n\r\n"], [{
      event: "message",
      data: "x",
    }]],
    ["multi-line data", ["data: a\ndata: b\n\n"], [{ event: "message", data: "a\nb" }]],
    ["id kept", ["id: 7\ndata: y\n\n"], [{ event: "message", data: "y", id: "7" }]],
    ["no data: no event", ["event: ping\n\n"], []],
    ["incomplete", ["data: z\n"], []],
    ["no space after colon", ["data:q\n\n"], [{ event: "message", data: "q" }]],
  ];
  for (const [name, chunks, want] of cases) {
    const p = new SseParser();
    assert.deepEqual(chunks.flatMap((c) => p.push(c)), want, name);
  }
});
