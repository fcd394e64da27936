// Unit tests for the agent's end of a Tunnel call over an in-memory duplex pair standing in for
// the dashboard: the open frame, work handed to an idle line, a request body read as a stream
// with the call paused while nobody reads, a line idle again after a clean exchange, and
// cancels and protocol errors ending the line.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { TunnelUp } from "../proto/gen/agent/v1/TunnelUp.ts";
import type { TunnelDown__Output } from "../proto/gen/agent/v1/TunnelDown.ts";
import { duplexPair, type FakeCall } from "../testing/duplex.ts";
import { type Exchange, type ExchangeWork, type TunnelCall, TunnelLine } from "./tunnel.ts";

const enc = new TextEncoder();
const tick = () => new Promise((r) => setTimeout(r, 0));

function request(id: string, hasBody = false): TunnelDown__Output {
  return {
    request: {
      request_id: id,
      method: "GET",
      path: "/api/v1/pods",
      headers: [],
      has_body: hasBody,
    },
  } as unknown as TunnelDown__Output;
}

/** A line and the dashboard's end of its call, recording the work handed over and the closing. */
function open(requestId = "", hasBody = false) {
  const { a, b } = duplexPair<TunnelUp, TunnelDown__Output>();
  const work: { exchange: Exchange; work: ExchangeWork }[] = [];
  let closed = 0;
  const line = new TunnelLine(a as unknown as TunnelCall, requestId, {
    work: (exchange, w) => work.push({ exchange, work: w }),
    closed: () => closed++,
  }, hasBody);
  const dashboard: FakeCall<TunnelUp, TunnelDown__Output> = b;
  return { line, dashboard, work, closed: () => closed };
}

Deno.test("TunnelLine: opens with its request id; an idle line takes work and is idle again", async () => {
  const t = open();
  await tick();
  assert.deepEqual(t.dashboard.written.length, 0);
  assert.deepEqual(t.line.call.writableEnded, false);
  const sent = (t.line.call as unknown as FakeCall<TunnelDown__Output, TunnelUp>).written;
  assert.deepEqual(sent[0], { open: { request_id: "" } });
  assert.equal(t.line.idle, true);

  t.dashboard.write(request("r1"));
  await tick();
  assert.equal(t.work.length, 1);
  assert.equal(t.work[0].work.request?.request_id, "r1");
  assert.equal(t.line.idle, false);
  await t.work[0].exchange.respondWhole(200, [], enc.encode("{}"));
  assert.equal(t.line.idle, true, "a request without a body is complete once answered");
  assert.deepEqual(sent[1], {
    response: { status: 200, headers: [], body: enc.encode("{}"), complete: true },
  });

  // The next request reuses the line.
  t.dashboard.write(request("r2"));
  await tick();
  assert.equal(t.work.length, 2);
  await t.work[1].exchange.respond(200, []);
  await t.work[1].exchange.sendBody(enc.encode("abc"));
  t.work[1].exchange.finish();
  assert.equal(t.line.idle, true);
  assert.deepEqual(sent.slice(2), [
    { response: { status: 200, headers: [] } },
    { body: { data: enc.encode("abc") } },
    { end: { error: "" } },
  ]);
});

Deno.test("TunnelLine: an announced request with a body; the body streams, then the line is idle", async () => {
  const t = open("r1", true);
  const ex = t.line.announced;
  assert.equal(t.line.idle, false);
  const body = ex.requestBody()!;
  for (const part of ["a", "b", "c", "d", "e", "f"]) {
    t.dashboard.write({ body: { data: Buffer.from(part) } });
  }
  await tick();
  // Nobody reads yet: the call is paused once the body's queue is full.
  assert.equal((t.line.call as unknown as { paused: boolean }).paused, true);
  t.dashboard.write({ end: { error: "" } });
  assert.equal(await new Response(body).text(), "abcdef");
  ex.finish();
  assert.equal(t.line.idle, true);
});

Deno.test("TunnelLine: the dashboard's cancel aborts the exchange and ends the line", async () => {
  const t = open();
  t.dashboard.write(request("r1"));
  await tick();
  const ex = t.work[0].exchange;
  t.dashboard.write({ end: { error: "cancelled by the client" } });
  await tick();
  assert.equal(ex.signal.aborted, true);
  assert.equal(t.line.closed, true);
  assert.equal(t.closed(), 1);
  assert.equal(t.line.call.writableEnded, true);
  await assert.rejects(ex.write({ end: { error: "" } }), /cancelled by the client/);
});

Deno.test("TunnelLine: protocol errors end the line", async (t) => {
  await t.step("a body for a request that has none", async () => {
    const l = open();
    l.dashboard.write(request("r1", false));
    l.dashboard.write({ body: { data: Buffer.from("x") } });
    await tick();
    assert.equal(l.work[0].exchange.signal.aborted, true);
    assert.equal(l.line.closed, true);
  });
  await t.step("a second request while one runs", async () => {
    const l = open();
    l.dashboard.write(request("r1"));
    l.dashboard.write(request("r2"));
    await tick();
    assert.equal(l.work.length, 1);
    assert.equal(l.line.closed, true);
  });
  await t.step("anything but work on an idle line", async () => {
    const l = open();
    l.dashboard.write({ end: { error: "" } } as TunnelDown__Output);
    await tick();
    assert.equal(l.work.length, 0);
    assert.equal(l.line.closed, true);
  });
});

Deno.test("TunnelLine: the call breaking aborts the exchange in flight", async () => {
  const t = open();
  t.dashboard.write(request("r1"));
  await tick();
  t.dashboard.cancel();
  await tick();
  assert.equal(t.work[0].exchange.signal.aborted, true);
  assert.equal(t.line.closed, true);
});
