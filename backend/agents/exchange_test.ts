// Unit tests for one request's exchange on a tunnel line, over an in-memory duplex pair standing
// in for the agent's Tunnel call: the Request as frames (request or watch, body in chunks with
// its end frame), the agent's frames as the Response (whole, streamed, watch events as JSON
// lines), reuse only after a clean exchange, and the ways it fails or is cancelled.
import assert from "node:assert/strict";
import { CHUNK_BYTES } from "../../proto/wire.ts";
import { received, testLine, testSession } from "../../testing/tunnel_line.ts";
import { exchange, toWork } from "./exchange.ts";
import type { TunnelLine } from "./tunnels.ts";
import { AgentUnavailableError } from "./errors.ts";

const BASE = "http://cluster.invalid";
const enc = new TextEncoder();

Deno.test("toWork: a request, or a watch without its watch and resourceVersion parameters", () => {
  const get = toWork(new Request(`${BASE}/api/v1/pods?limit=5`), "r1");
  assert.equal(get.isWatch, false);
  assert.deepEqual(get.work.request, {
    request_id: "r1",
    method: "GET",
    path: "/api/v1/pods?limit=5",
    headers: [],
    has_body: false,
  });
  const post = toWork(
    new Request(`${BASE}/api/v1/namespaces`, { method: "POST", body: "{}" }),
    "r2",
  );
  assert.equal(post.work.request?.has_body, true);
  const watch = toWork(
    new Request(`${BASE}/api/v1/pods?watch=1&resourceVersion=7&labelSelector=a`, {
      headers: { accept: "application/json" },
    }),
    "r3",
  );
  assert.equal(watch.isWatch, true);
  assert.deepEqual(watch.work.watch, {
    request_id: "r3",
    path: "/api/v1/pods?labelSelector=a",
    resource_version: "7",
    headers: [{ name: "accept", value: "application/json" }],
  });
  // watch=false is a plain request, and so is a watch that is not a GET.
  assert.equal(toWork(new Request(`${BASE}/api/v1/pods?watch=false`), "r4").isWatch, false);
  assert.equal(
    toWork(new Request(`${BASE}/api/v1/pods?watch=true`, { method: "DELETE" }), "r5").isWatch,
    false,
  );
});

Deno.test("exchange: a whole answer in one frame, and the line is reused", async () => {
  const s = testSession();
  const { line: l, agent } = testLine();
  const reused: TunnelLine[] = [];
  agent.write({
    response: {
      status: 200,
      headers: [{ name: "content-type", value: "application/json" }],
      body: enc.encode('{"kind":"PodList"}'),
      complete: true,
    },
  });
  const res = await exchange(
    s,
    l,
    new Request(`${BASE}/api/v1/pods`),
    false,
    (x) => reused.push(x),
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(await res.text(), '{"kind":"PodList"}');
  assert.deepEqual(reused, [l]);
  assert.equal(s.inFlight, 0);
});

Deno.test("exchange: a streamed body, then end; 204 has no body", async () => {
  const s = testSession();
  const { line: l, agent } = testLine();
  const reused: TunnelLine[] = [];
  agent.write({ response: { status: 200, headers: [] } });
  agent.write({ body: { data: enc.encode("ab") } });
  agent.write({ body: { data: enc.encode("cd") } });
  agent.write({ end: { error: "" } });
  const res = await exchange(
    s,
    l,
    new Request(`${BASE}/api/v1/pods`),
    false,
    (x) => reused.push(x),
  );
  assert.equal(await res.text(), "abcd");
  assert.deepEqual(reused, [l]);

  const second = testLine();
  second.agent.write({
    response: { status: 204, headers: [], body: enc.encode(""), complete: true },
  });
  const empty = await exchange(s, second.line, new Request(`${BASE}/api/v1/x`), false, () => {});
  assert.equal(empty.body, null);
});

Deno.test("exchange: watch events become the API server's JSON lines", async () => {
  const s = testSession();
  const { line: l, agent } = testLine();
  agent.write({ response: { status: 200, headers: [] } });
  agent.write({ watch_event: { type: "ADDED", object: enc.encode('{"a":1}') } });
  agent.write({ watch_event: { type: "DELETED", object: enc.encode('{"b":2}') } });
  agent.write({ end: { error: "" } });
  const res = await exchange(s, l, new Request(`${BASE}/api/v1/pods?watch=1`), true, () => {});
  assert.equal(
    await res.text(),
    '{"type":"ADDED","object":{"a":1}}\n{"type":"DELETED","object":{"b":2}}\n',
  );
});

Deno.test("exchange: a request body goes in CHUNK_BYTES pieces, then its end frame", async () => {
  const s = testSession();
  const { line: l, agent } = testLine();
  const body = new Uint8Array(CHUNK_BYTES * 2 + 10).fill(7);
  // The agent answers once it has read the whole body: then the line is reused.
  const frames = received(agent, 4).then((got) => {
    agent.write({ response: { status: 201, headers: [], body: enc.encode("ok"), complete: true } });
    return got;
  });
  const reused: TunnelLine[] = [];
  const res = await exchange(
    s,
    l,
    new Request(`${BASE}/api/v1/namespaces`, { method: "POST", body }),
    false,
    (x) => reused.push(x),
  );
  assert.equal(await res.text(), "ok");
  const got = await frames;
  assert.deepEqual(
    got.map((f) => f.body?.data?.length ?? "end"),
    [CHUNK_BYTES, CHUNK_BYTES, 10, "end"],
  );
  assert.equal(got[3].end?.error, "");
  assert.deepEqual(reused, [l]);
});

Deno.test("exchange: an answer before the whole body was sent ends the line", async () => {
  const s = testSession();
  const { line: l, agent } = testLine();
  const body = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
  agent.write({ response: { status: 413, headers: [], body: enc.encode("no"), complete: true } });
  const reused: TunnelLine[] = [];
  const res = await exchange(
    s,
    l,
    new Request(
      `${BASE}/api/v1/namespaces`,
      { method: "POST", body, duplex: "half" } as RequestInit,
    ),
    false,
    (x) => reused.push(x),
  );
  assert.equal(res.status, 413);
  assert.deepEqual(reused, []);
  assert.equal(l.call.writableEnded, true);
});

Deno.test("exchange: the agent ends the line before answering", async () => {
  const s = testSession();
  const { line: l, agent } = testLine();
  agent.write({ end: { error: "the agent could not start the request" } });
  const reused: TunnelLine[] = [];
  await assert.rejects(
    exchange(s, l, new Request(`${BASE}/api/v1/pods`), false, (x) => reused.push(x)),
    (err) => err instanceof AgentUnavailableError && /could not start/.test(err.message),
  );
  assert.deepEqual(reused, []);
  assert.equal(s.inFlight, 0);
  assert.equal(agent.remoteEnded || agent.destroyed, true);
});

Deno.test("exchange: the client going away cancels the request on the line", async () => {
  const s = testSession();
  const { line: l, agent } = testLine();
  const ctl = new AbortController();
  agent.write({ response: { status: 200, headers: [] } });
  const res = await exchange(
    s,
    l,
    new Request(`${BASE}/api/v1/pods?watch=1`, { signal: ctl.signal }),
    true,
    () => assert.fail("a cancelled line is not reused"),
  );
  const frames = received(agent, 1);
  ctl.abort();
  assert.deepEqual(await frames, [{ end: { error: "cancelled by the client" } }]);
  assert.equal(l.call.writableEnded, true);
  assert.equal(s.inFlight, 0);
  await res.body?.cancel().catch(() => {});
});

Deno.test("exchange: the control stream ending fails the exchange in flight", async () => {
  const s = testSession();
  const { line: l, agent } = testLine();
  const pending = exchange(s, l, new Request(`${BASE}/api/v1/pods`), false, () => {});
  await new Promise((r) => setTimeout(r, 0));
  s.close("the agent went away", true);
  await assert.rejects(pending, /agent offline: the agent went away/);
  assert.equal(s.inFlight, 0);
  agent.end();
});
