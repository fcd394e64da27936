// Unit tests for an upgraded stream on a tunnel line, over an in-memory duplex pair standing in
// for the agent's Tunnel call: the agent's 101 opens a KubeStream whose messages cross both ways,
// a refusal comes back whole as the API server's answer, and every way a stream ends (the agent's
// end, the client's close, the control stream going away) releases its in-flight slot and ends
// the line, which is never reused.
import assert from "node:assert/strict";
import { received, testLine, testSession } from "../../testing/tunnel_line.ts";
import { streamExchange } from "./stream_exchange.ts";
import { StreamRefusedError } from "../cluster/client.ts";
import { AgentUnavailableError } from "./errors.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const OFFERED = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
const open = () => ({ protocols: OFFERED, signal: new AbortController().signal });
const opened = {
  response: {
    status: 101,
    headers: [{ name: "sec-websocket-protocol", value: "v5.channel.k8s.io" }],
  },
};

Deno.test("stream exchange: 101 opens the stream; messages cross both ways; the agent's end closes it", async () => {
  const s = testSession();
  const { line, agent } = testLine();
  agent.write(opened);
  const stream = await streamExchange(s, line, open());
  assert.equal(stream.protocol, "v5.channel.k8s.io");
  assert.equal(s.inFlight, 1);

  const writer = stream.writable.getWriter();
  const arriving = received(agent, 2); // listening before anything is written
  await writer.write({ data: enc.encode("\x00ls\n"), text: false });
  await writer.write({ data: enc.encode("resize"), text: true });
  const down = await arriving;
  assert.deepEqual(
    down.map((f) => [dec.decode(f.message!.data as Uint8Array), f.message!.text]),
    [["\x00ls\n", false], ["resize", true]],
  );

  agent.write({ message: { data: enc.encode("\x01out"), text: false } });
  agent.write({ end: { error: "" } });
  const reader = stream.readable.getReader();
  const first = await reader.read();
  assert.equal(dec.decode(first.value!.data), "\x01out");
  assert.equal((await reader.read()).done, true, "the agent's clean end closes the stream");
  assert.equal(line.call.writableEnded, true, "the line is ended, never reused");
  assert.equal(s.inFlight, 0);
});

Deno.test("stream exchange: a refusal comes back whole as the API server's answer", async () => {
  const s = testSession();
  const { line, agent } = testLine();
  const status = JSON.stringify({ kind: "Status", message: 'pods "x" is forbidden', code: 403 });
  agent.write({
    response: {
      status: 403,
      headers: [{ name: "content-type", value: "application/json" }],
      body: enc.encode(status),
      complete: true,
    },
  });
  const err = await streamExchange(s, line, open()).then(
    () => assert.fail("a 403 is no stream"),
    (e) => e,
  );
  assert(err instanceof StreamRefusedError);
  assert.equal(err.response.status, 403);
  assert.equal(await err.response.text(), status);
  assert.equal(s.inFlight, 0);
});

Deno.test("stream exchange: each way a stream ends releases it and ends the line", async (t) => {
  const cases: Array<{
    name: string;
    end: (ctx: {
      s: ReturnType<typeof testSession>;
      stream: Awaited<ReturnType<typeof streamExchange>>;
    }) => Promise<void>;
    /** What the stream's reader sees: an error matching this, or (null) a clean end. */
    readerSees: RegExp | null;
  }> = [
    {
      name: "the control stream goes away (agent disconnected, cluster deleted)",
      end: ({ s }) => Promise.resolve(s.close("the agent went away", true)),
      readerSees: /agent offline: the agent went away/,
    },
    {
      name: "the client closes its side",
      end: async ({ stream }) => {
        await stream.readable.cancel();
      },
      readerSees: null,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const s = testSession();
      const { line, agent } = testLine();
      agent.write(opened);
      const stream = await streamExchange(s, line, open());
      if (c.readerSees) {
        const reading = stream.readable.getReader().read();
        await c.end({ s, stream });
        await assert.rejects(reading, c.readerSees);
      } else {
        const arriving = received(agent, 1);
        await c.end({ s, stream });
        assert.deepEqual(await arriving, [{ end: { error: "closed by the client" } }]);
      }
      assert.equal(s.inFlight, 0);
      assert.equal(line.call.writableEnded || line.call.destroyed, true);
      agent.end();
    });
  }
});

Deno.test("stream exchange: the client going away before the answer cancels it", async () => {
  const s = testSession();
  const { line, agent } = testLine();
  const ctl = new AbortController();
  const pending = streamExchange(s, line, { protocols: OFFERED, signal: ctl.signal });
  const down = received(agent, 1);
  ctl.abort();
  assert.deepEqual(await down, [{ end: { error: "cancelled by the client" } }]);
  await assert.rejects(pending, (e) => e instanceof AgentUnavailableError);
  assert.equal(s.inFlight, 0);
});

Deno.test("stream exchange: a compromised agent cannot choose a subprotocol the client did not offer", async () => {
  const s = testSession();
  const { line, agent } = testLine();
  const closing = received(agent, 1);
  agent.write({
    response: { status: 101, headers: [{ name: "sec-websocket-protocol", value: "evil.example" }] },
  });
  await assert.rejects(
    streamExchange(s, line, open()),
    (e) => e instanceof AgentUnavailableError && /did not offer/.test(e.message),
  );
  assert.deepEqual(await closing, [{ end: { error: "a subprotocol the client did not offer" } }]);
  assert.equal(s.inFlight, 0);
});
