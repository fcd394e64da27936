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

// ---- Upgraded streams (protocol v2) ----

function streamFrame(id: string): TunnelDown__Output {
  return {
    stream: {
      request_id: id,
      path: "/api/v1/namespaces/a/pods/p/exec",
      protocols: [],
      headers: [],
    },
  } as unknown as TunnelDown__Output;
}

const msg = (s: string, text = false): TunnelDown__Output =>
  ({ message: { data: Buffer.from(s), text } }) as TunnelDown__Output;

async function readAll<T>(s: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of s) out.push(v);
  return out;
}

Deno.test("TunnelLine: a stream on an idle line: messages pulled with the call paused, then the line closes", async () => {
  const t = open();
  t.dashboard.write(streamFrame("s1"));
  await tick();
  assert.equal(t.work.length, 1);
  assert.equal(t.work[0].work.stream?.request_id, "s1");
  const ex = t.work[0].exchange;
  assert.equal(ex.upgraded, true);
  assert.equal(ex.requestBody(), null);
  const messages = ex.streamMessages()!;
  for (const part of ["a", "b", "c", "d", "e", "f"]) t.dashboard.write(msg(part, part === "c"));
  await tick();
  assert.equal((t.line.call as unknown as { paused: boolean }).paused, true, "nobody reads yet");
  t.dashboard.write({ end: { error: "" } });
  const got = await readAll(messages);
  assert.deepEqual(
    got.map((m) => [m.data.toString(), m.text]),
    [["a", false], ["b", false], ["c", true], ["d", false], ["e", false], ["f", false]],
  );
  assert.equal(ex.endedCleanly, true);
  await ex.respond(101, [{ name: "sec-websocket-protocol", value: "v5.channel.k8s.io" }]);
  await ex.write({ message: { data: Buffer.from("out"), text: false } });
  ex.finish();
  assert.equal(t.line.closed, true, "an upgraded stream's line is never reused");
  assert.equal(t.line.idle, false);
  assert.equal(t.closed(), 1);
  assert.equal(t.line.call.writableEnded, true);
  const sent = (t.line.call as unknown as FakeCall<TunnelDown__Output, TunnelUp>).written;
  assert.deepEqual(sent.slice(1), [
    {
      response: {
        status: 101,
        headers: [{ name: "sec-websocket-protocol", value: "v5.channel.k8s.io" }],
      },
    },
    { message: { data: Buffer.from("out"), text: false } },
    { end: { error: "" } },
  ]);
});

Deno.test("TunnelLine: an announced stream (beginStream on the announced exchange); a refusal closes the line", async () => {
  const t = open("s1", false);
  const ex = t.line.announced;
  ex.beginStream();
  assert.equal(ex.upgraded, true);
  t.dashboard.write(msg("early"));
  await tick();
  await ex.respondWhole(403, [], enc.encode("{}"));
  assert.equal(t.line.closed, true, "even a complete answer does not make the line idle");
  assert.equal(ex.signal.aborted, true);
});

Deno.test("TunnelLine: a stream's messages queued before a clean end survive the call ending", async () => {
  const t = open();
  t.dashboard.write(streamFrame("s1"));
  await tick();
  const ex = t.work[0].exchange;
  t.dashboard.write(msg("x"));
  t.dashboard.write(msg("y"));
  t.dashboard.write({ end: { error: "" } });
  await tick();
  t.line.close("the dashboard closed the tunnel");
  assert.equal(ex.signal.aborted, true);
  assert.deepEqual((await readAll(ex.streamMessages()!)).map((m) => m.data.toString()), ["x", "y"]);
});

Deno.test("TunnelLine: stream protocol errors end the line", async (t) => {
  const cases: Array<{ name: string; stream: boolean; frames: TunnelDown__Output[] }> = [
    {
      name: "a body chunk on a stream",
      stream: true,
      frames: [{ body: { data: Buffer.from("x") } }],
    },
    { name: "a message on a request", stream: false, frames: [msg("x")] },
    {
      name: "a message after the stream's end",
      stream: true,
      frames: [{ end: { error: "" } }, msg("x")],
    },
    { name: "a second stream while one runs", stream: true, frames: [streamFrame("s2")] },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const l = open();
      l.dashboard.write(c.stream ? streamFrame("s1") : request("r1"));
      for (const f of c.frames) l.dashboard.write(f);
      await tick();
      assert.equal(l.work.length, 1);
      assert.equal(l.work[0].exchange.signal.aborted, true);
      assert.equal(l.line.closed, true);
    });
  }
});

Deno.test("TunnelLine: a cancelled stream errors its messages", async () => {
  const t = open();
  t.dashboard.write(streamFrame("s1"));
  t.dashboard.write(msg("x"));
  t.dashboard.write({ end: { error: "cancelled by the client" } });
  await tick();
  const ex = t.work[0].exchange;
  assert.equal(ex.signal.aborted, true);
  assert.equal(ex.endedCleanly, false);
  await assert.rejects(readAll(ex.streamMessages()!), /cancelled by the client/);
  assert.equal(t.line.closed, true);
});

Deno.test("TunnelLine: a closed stream line whose call the dashboard never ends is cancelled", async () => {
  const saved = TunnelLine.streamLingerMs;
  TunnelLine.streamLingerMs = 30;
  try {
    const t = open();
    t.dashboard.write(streamFrame("s1"));
    await tick();
    t.work[0].exchange.finish();
    assert.equal(t.line.closed, true);
    const call = t.line.call as unknown as FakeCall<TunnelDown__Output, TunnelUp>;
    assert.equal(call.cancelled, false, "the dashboard gets its chance to end the call");
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(call.cancelled, true);

    // A dashboard that ends the call in time: nothing is cancelled.
    const u = open();
    u.dashboard.write(streamFrame("s1"));
    await tick();
    u.work[0].exchange.finish();
    u.dashboard.end();
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(
      (u.line.call as unknown as FakeCall<TunnelDown__Output, TunnelUp>).cancelled,
      false,
    );
  } finally {
    TunnelLine.streamLingerMs = saved;
  }
});

Deno.test("Exchange.write: waits for 'drain' (blocked meanwhile) and leaves no listener behind", async () => {
  const t = open();
  t.dashboard.write(streamFrame("s1"));
  await tick();
  const ex = t.work[0].exchange;
  const call = t.line.call as unknown as FakeCall<TunnelDown__Output, TunnelUp>;
  call.highWater = 2;
  t.dashboard.pause();
  let waited = 0;
  for (let i = 0; i < 50; i++) {
    const w = ex.write({ message: { data: Buffer.from(String(i)), text: false } });
    if (ex.blocked) {
      waited++;
      setTimeout(() => t.dashboard.resume().pause(), 0);
    }
    await w;
    assert.equal(ex.blocked, false);
    assert.equal(call.listenerCount("drain"), 0, "no 'drain' listener piles up");
  }
  assert.ok(waited > 0, "gRPC pushed back");
  t.dashboard.pause();
  const pending = ex.write({ message: { data: Buffer.from("last"), text: false } });
  const more = ex.write({ message: { data: Buffer.from("more"), text: false } });
  assert.equal(ex.blocked, true);
  t.dashboard.write({ end: { error: "cancelled by the client" } });
  await assert.rejects(pending, /cancelled/);
  await assert.rejects(more, /cancelled/);
  assert.equal(call.listenerCount("drain"), 0);
});
