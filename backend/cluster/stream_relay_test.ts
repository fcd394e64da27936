// The relay between a client's WebSocket (a real one, through Deno.serve) and a KubeStream. The
// cluster side is a stand-in built from web streams (pure relay logic; the real API server is
// stream_e2e_test.ts's): messages both ways, the push-back on a slow cluster with and without
// the front's ReadGate, the idle timeout and an abort.
import assert from "node:assert/strict";
import type { KubeStream, StreamMessage } from "./client.ts";
import { CLOSE, relay, type RelayOptions } from "./stream_relay.ts";

/** A cluster stand-in: what the client sends is echoed after `delay()` resolves. */
function echoCluster(delay: () => Promise<void> = () => Promise.resolve()) {
  const { readable, writable } = new TransformStream<StreamMessage, StreamMessage>(
    {
      async transform(msg, ctrl) {
        await delay();
        ctrl.enqueue(msg);
      },
    },
    { highWaterMark: 1 },
    { highWaterMark: 1 },
  );
  const stream: KubeStream = { protocol: "v5.channel.k8s.io", readable, writable };
  return stream;
}

/** A dashboard stand-in relaying every WebSocket to `upstream()`; returns the client socket. */
async function relayed(
  upstream: KubeStream,
  opts: Omit<RelayOptions, "signal"> & { signal?: AbortSignal },
) {
  const relayDone = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req, { protocol: upstream.protocol });
    relay(socket, upstream, { signal: new AbortController().signal, ...opts })
      .then(relayDone.resolve);
    return response;
  });
  const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`, [upstream.protocol]);
  ws.binaryType = "arraybuffer";
  const closed = new Promise<CloseEvent>((r) => ws.onclose = r);
  await new Promise((r, j) => {
    ws.onopen = r;
    ws.onerror = j;
  });
  return {
    ws,
    closed,
    async stop() {
      if (ws.readyState === WebSocket.OPEN) ws.close();
      await closed;
      await relayDone.promise;
      await server.shutdown();
    },
  };
}

Deno.test("relay carries binary and text messages both ways, byte-exact", async () => {
  const c = await relayed(echoCluster(), { idleMs: 60_000 });
  const got: Array<ArrayBuffer | string> = [];
  const all = new Promise<void>((r) =>
    c.ws.onmessage = (e) => {
      got.push(e.data);
      if (got.length === 2) r();
    }
  );
  const bin = crypto.getRandomValues(new Uint8Array(60_000));
  c.ws.send(bin);
  c.ws.send("text: ünïcode");
  await all;
  assert.deepEqual(new Uint8Array(got[0] as ArrayBuffer), bin);
  assert.equal(got[1], "text: ünïcode");
  await c.stop();
});

Deno.test("relay pushes back on a slow cluster: the gate pauses, then resumes", async () => {
  let open = Promise.withResolvers<void>();
  const events: string[] = [];
  const gate = { pause: () => events.push("pause"), resume: () => events.push("resume") };
  const c = await relayed(echoCluster(() => open.promise), {
    idleMs: 60_000,
    gate,
    backlogHighBytes: 256 * 1024,
  });
  c.ws.onmessage = () => {};
  for (let i = 0; i < 16; i++) c.ws.send(new Uint8Array(64 * 1024));
  await waitFor(() => events.includes("pause"));
  assert.deepEqual(events, ["pause"], "paused once, while the cluster takes nothing");
  open.resolve();
  open = { promise: Promise.resolve() } as PromiseWithResolvers<void>;
  await waitFor(() => events.includes("resume"));
  await c.stop();
});

Deno.test("relay without a gate closes a stream whose backlog passes the cap", async () => {
  const never = new Promise<void>(() => {});
  const c = await relayed(echoCluster(() => never), {
    idleMs: 60_000,
    backlogCapBytes: 512 * 1024,
  });
  // Just past the cap, so that nothing is still in flight when the relay closes.
  for (let i = 0; i < 9; i++) c.ws.send(new Uint8Array(64 * 1024));
  const e = await c.closed;
  assert.equal(e.code, CLOSE.tooMuchInput);
  assert.match(e.reason, /slower than it is sent/);
  await c.stop();
});

Deno.test("relay closes on idle and on its signal, saying why", async (t) => {
  await t.step("idle", async () => {
    const c = await relayed(echoCluster(), { idleMs: 200 });
    const e = await c.closed;
    assert.equal(e.code, CLOSE.ended);
    assert.match(e.reason, /idle/);
    await c.stop();
  });
  await t.step("signal", async () => {
    const ctrl = new AbortController();
    const c = await relayed(echoCluster(), { idleMs: 60_000, signal: ctrl.signal });
    ctrl.abort(new Error("the cluster was deleted from the dashboard"));
    const e = await c.closed;
    assert.match(e.reason, /deleted/);
    await c.stop();
  });
});

async function waitFor(cond: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
