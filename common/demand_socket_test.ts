// The on-demand connections of ./demand_socket.ts against a local server: a paused reader holds the
// server's writes back (over TLS and plain), the answer then arrives whole, bodies go up, the
// connection is kept alive, and TLS is checked against the given CA alone.
import assert from "node:assert/strict";
import http from "node:http";
import https from "node:https";
import { makeCerts } from "../tools/testenv/certs.ts";
import { DemandHttpAgent, DemandHttpsAgent } from "./demand_socket.ts";

const MB = 1024 * 1024;
const TOTAL_MB = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A server answering GET with TOTAL_MB (counting what it has handed on) and echoing POST. */
function bigServer(tls?: { cert: string; key: string }) {
  const chunk = new Uint8Array(MB).fill(97);
  const state = { sent: 0 };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...tls },
    (req) => {
      if (req.method === "POST") return new Response(req.body);
      let i = 0;
      state.sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (i++ >= TOTAL_MB) return c.close();
          state.sent += MB;
          c.enqueue(chunk);
        },
      }, { highWaterMark: 0 });
      return new Response(body, { headers: { "content-length": String(TOTAL_MB * MB) } });
    },
  );
  return { server, state, port: server.addr.port };
}

/** A GET read 1 MB, paused 1.5 s (recording what the server had sent), then read to the end. */
function pausedGet(
  request: typeof http.request,
  agent: http.Agent,
  url: string,
  state: { sent: number },
): Promise<{ got: number; sentWhilePaused: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let got = 0;
      let sentWhilePaused = -1;
      res.on("data", (c: Uint8Array) => {
        got += c.length;
        if (got >= MB && sentWhilePaused < 0) {
          sentWhilePaused = 0;
          res.pause();
          sleep(1500).then(() => {
            sentWhilePaused = state.sent;
            res.resume();
          });
        }
      });
      res.on("end", () => resolve({ got, sentWhilePaused }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function post(agent: http.Agent, url: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { agent, method: "POST" }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => text += c);
      res.on("end", () => resolve(text));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function failure(agent: http.Agent, url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = https.request(url, { agent }, (res) => {
      res.resume();
      resolve(`answered ${res.statusCode}`);
    });
    req.on("error", (err) => resolve(err.message));
    req.end();
  });
}

Deno.test("DemandHttpsAgent: a paused reader holds the server back; TLS as node:tls checks it", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "demand-socket-" });
  const other = await Deno.makeTempDir({ prefix: "demand-socket-other-" });
  const { server, state, port } = await makeCerts(dir).then(async (certs) => {
    const cert = await Deno.readTextFile(`${dir}/apiserver.crt`);
    const key = await Deno.readTextFile(`${dir}/apiserver.key`);
    return { ...bigServer({ cert, key }), certs };
  });
  const caPem = await Deno.readTextFile(`${dir}/ca.crt`);
  const agent = new DemandHttpsAgent({ keepAlive: true, ca: caPem });
  try {
    await t.step("paused after 1 MB: the server is held back, then all arrives", async () => {
      const r = await pausedGet(https.request, agent, `https://127.0.0.1:${port}/`, state);
      assert.equal(r.got, TOTAL_MB * MB);
      assert.ok(r.sentWhilePaused < 12 * MB, `the server sent ${r.sentWhilePaused / MB} MB`);
    });
    await t.step("a request body goes up; the connection is kept", async () => {
      assert.equal(await post(agent, `https://localhost:${port}/`, "hello"), "hello");
      assert.equal(await post(agent, `https://localhost:${port}/`, "again"), "again");
      const free = Object.values(agent.freeSockets).flat();
      assert.ok(free.length >= 1 && free.length <= 2, `${free.length} idle connections`);
    });
    await t.step("refused: another CA, no CA (the built-in roots do not count)", async () => {
      const otherCa = await makeCerts(other).then((c) => c.caPem);
      for (const opts of [{ ca: otherCa }, {}]) {
        const a = new DemandHttpsAgent(opts);
        assert.match(await failure(a, `https://127.0.0.1:${port}/`), /unable to verify/);
        a.destroy();
      }
    });
    await t.step("refused: nothing listens", async () => {
      const a = new DemandHttpsAgent({ ca: caPem });
      assert.match(await failure(a, "https://127.0.0.1:1/"), /refused/i);
      a.destroy();
    });
  } finally {
    agent.destroy();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

Deno.test("DemandHttpAgent: a paused reader holds a plain server back", async () => {
  const { server, state, port } = bigServer();
  const agent = new DemandHttpAgent({ keepAlive: true });
  try {
    const r = await pausedGet(http.request, agent, `http://127.0.0.1:${port}/`, state);
    assert.equal(r.got, TOTAL_MB * MB);
    assert.ok(r.sentWhilePaused < 12 * MB, `the server sent ${r.sentWhilePaused / MB} MB`);
  } finally {
    agent.destroy();
    await server.shutdown();
  }
});
