// Tests of upgraded streams (protocol v2: exec, attach, port-forward) in the agent: the relay
// (./stream.ts), KubeAccess.openStream (the real ws client, through loadKube), the tunnel line and
// exchange (./tunnel.ts) over a REAL gRPC Tunnel call to an in-process gRPC server playing the
// dashboard, and the dialer (./dialer.ts) opening, pooling and refusing streams. The only fake is
// the API server's WebSocket endpoint: Deno.serve + Deno.upgradeWebSocket in this process; a
// throttling TCP relay in front of it plays a slow API server (or a cut connection).
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { clusterAgent } from "../proto/wire.ts";
import type { ClusterAgentClient } from "../proto/gen/agent/v1/ClusterAgent.ts";
import type { TunnelUp__Output } from "../proto/gen/agent/v1/TunnelUp.ts";
import type { TunnelDown } from "../proto/gen/agent/v1/TunnelDown.ts";
import type { StreamStart } from "../proto/gen/agent/v1/StreamStart.ts";
import type { AgentMessage__Output } from "../proto/gen/agent/v1/AgentMessage.ts";
import type { DashboardMessage } from "../proto/gen/agent/v1/DashboardMessage.ts";
import { AGENT_CHANNEL_OPTIONS, Dialer } from "./dialer.ts";
import { type KubeAccess, loadKube } from "./kube.ts";
import { type TunnelCall, TunnelLine } from "./tunnel.ts";
import { newStreamStats, runStream, type StreamStats } from "./stream.ts";
import type { AgentConfig } from "./config.ts";
import type { CredentialStore } from "./credentials.ts";
import { sharedControlPlane } from "../tools/testenv/mod.ts";
import { serviceAccountKubeconfig } from "../testing/clusters.ts";

const shared = { sanitizeOps: false, sanitizeResources: false };
const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const V5 = "v5.channel.k8s.io";
const V4 = "v4.channel.k8s.io";
/** What kubectl's port-forward offers over WebSocket: not an RFC 7230 token ("/"). */
const PORT_FORWARD = "SPDY/3.1+portforward.k8s.io";
const EXEC = "/api/v1/namespaces/ns/pods/p/exec?command=sh&stdin=true&stdout=true&tty=false";
const MiB = 1024 * 1024;

async function within<T>(what: string, p: Promise<T>, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) =>
        timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A deterministic pattern: message i of `size` bytes. */
function pattern(i: number, size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let j = 0; j < size; j++) out[j] = (i * 131 + j * 7 + (j >> 8)) & 255;
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

// ---- The fake API server ----

/** The API server's side of one WebSocket, recording what arrives. */
class ServerSocket {
  readonly messages: (Uint8Array | string)[] = [];
  bytes = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  private wake?: () => void;
  /** The handshake's URL and headers (copied: the request cannot be read after the upgrade). */
  readonly url: URL;
  readonly headers: Headers;

  constructor(readonly socket: WebSocket, req: { url: URL; headers: Headers }, echo: boolean) {
    this.url = req.url;
    this.headers = req.headers;
    socket.binaryType = "arraybuffer";
    this.opened = new Promise((r) => socket.onopen = () => r());
    this.closed = new Promise((r) =>
      socket.onclose = (e) => {
        r({ code: e.code, reason: e.reason });
        this.wake?.();
      }
    );
    socket.onmessage = (e) => {
      const data = typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer);
      this.messages.push(data);
      this.bytes += typeof data === "string" ? enc.encode(data).length : data.length;
      if (echo) socket.send(data);
      this.wake?.();
    };
  }

  /** Waits until `n` messages arrived. */
  async received(n: number, ms = 10_000): Promise<(Uint8Array | string)[]> {
    const until = Date.now() + ms;
    while (this.messages.length < n) {
      if (Date.now() > until) throw new Error(`the API server got ${this.messages.length} of ${n}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    return this.messages.slice(0, n);
  }
}

interface ApiServerOptions {
  /** An answer instead of the upgrade (a refusal), or undefined to upgrade. */
  refuse?: (req: Request) => Response | undefined;
  /** Echo every message back as it came (binary or text). */
  echo?: boolean;
  /** Called once the WebSocket is open. */
  onOpen?: (s: ServerSocket) => void;
  /** The subprotocol the API server picks from the offers (default: its first known one). */
  choose?: (offered: string[]) => string | undefined;
}

function startApiServer(opts: ApiServerOptions = {}) {
  const sockets: ServerSocket[] = [];
  let wake: (() => void) | undefined;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const refused = opts.refuse?.(req);
    if (refused) return refused;
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return Response.json({ kind: "Status", code: 404 }, { status: 404 });
    }
    // The API server picks the first of its protocols the client offers. (Deno's own choice
    // expects ", " between offers; the ws client writes ",".)
    const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) =>
      p.trim()
    );
    const chosen = opts.choose
      ? opts.choose(offered)
      : [V5, V4, PORT_FORWARD].find((p) => offered.includes(p));
    const seen = { url: new URL(req.url), headers: new Headers(req.headers) };
    const { socket, response } = Deno.upgradeWebSocket(req);
    if (chosen) response.headers.set("sec-websocket-protocol", chosen);
    const s = new ServerSocket(socket, seen, opts.echo ?? false);
    s.opened.then(() => opts.onOpen?.(s));
    sockets.push(s);
    wake?.();
    return response;
  });
  return {
    port: server.addr.port,
    sockets,
    /** The n-th WebSocket (0-based), once it was opened. */
    async socket(n = 0): Promise<ServerSocket> {
      const until = Date.now() + 10_000;
      while (!sockets[n]) {
        if (Date.now() > until) throw new Error(`no WebSocket #${n} reached the API server`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      await sockets[n].opened;
      return sockets[n];
    },
    stop: () => server.shutdown(),
  };
}

/**
 * A TCP relay in front of the fake API server: the API server's bytes pass at full speed, the
 * agent's at most `bytesPerTick` every `tickMs` (a slow reader). freeze() stops both directions,
 * kill() cuts every connection.
 */
function slowRelay(target: number, bytesPerTick = 32 * 1024, tickMs = 2) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  let frozen = false;
  const closeBoth = (a: Deno.Conn, b: Deno.Conn) => {
    for (const c of [a, b]) {
      try {
        c.close();
      } catch { /* closed */ }
      conns.delete(c);
    }
  };
  const writeAll = async (c: Deno.Conn, buf: Uint8Array) => {
    for (let off = 0; off < buf.length;) off += await c.write(buf.subarray(off));
  };
  (async () => {
    for await (const agent of listener) {
      const api = await Deno.connect({ hostname: "127.0.0.1", port: target });
      conns.add(agent);
      conns.add(api);
      const pump = async (from: Deno.Conn, to: Deno.Conn, slow: boolean) => {
        const buf = new Uint8Array(slow ? bytesPerTick : 64 * 1024);
        try {
          for (;;) {
            while (frozen) await sleep(10);
            const n = await from.read(buf);
            if (n === null) break;
            while (frozen) await sleep(10);
            await writeAll(to, buf.subarray(0, n));
            if (slow) await sleep(tickMs);
          }
        } catch { /* cut */ }
        closeBoth(agent, api);
      };
      pump(agent, api, true);
      pump(api, agent, false);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    freeze: () => frozen = true,
    kill: () => {
      for (const c of [...conns]) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      conns.clear();
    },
    stop() {
      this.kill();
      listener.close();
    },
  };
}

/** loadKube with a kubeconfig for http://127.0.0.1:<port> and a bearer token. */
async function kubeFor(port: number, token = "agent-token"): Promise<KubeAccess> {
  const dir = await Deno.makeTempDir({ prefix: "stream_test_" });
  try {
    await Deno.writeTextFile(
      `${dir}/config`,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "ctx",
        contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
        clusters: [{ name: "c", cluster: { server: `http://127.0.0.1:${port}` } }],
        users: [{ name: "u", user: { token } }],
      }),
    );
    return await loadKube(`${dir}/config`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// ---- The dashboard: a real gRPC server ----

/** The dashboard's end of one Tunnel call. */
class DashTunnel {
  requestId = "";
  readonly frames: TunnelUp__Output[] = [];
  private read = 0;
  private wake?: () => void;
  /** The agent half-closed the call (it is done with it). */
  agentEnded = false;
  /** The call is over on this end. */
  over = false;
  /** Times a write waited for 'drain' (the agent's side pushed back). */
  drainWaits = 0;
  /** When set, the dashboard reads slowly: it pauses `pauseMs` after every `frames` frames. */
  slow?: { frames: number; pauseMs: number };
  /** End the call as soon as the agent half-closes it (what the dashboard does). */
  endOnAgentEnd = true;
  readonly opened: Promise<void>;

  constructor(readonly call: grpc.ServerDuplexStream<TunnelUp__Output, TunnelDown>) {
    const opened = Promise.withResolvers<void>();
    this.opened = opened.promise;
    let count = 0;
    call.on("data", (f: TunnelUp__Output) => {
      if (f.open && !this.requestId && this.frames.length === 0) {
        this.requestId = f.open.request_id;
        opened.resolve();
        return;
      }
      this.frames.push(f);
      this.wake?.();
      if (this.slow && ++count % this.slow.frames === 0) {
        call.pause();
        setTimeout(() => call.resume(), this.slow.pauseMs);
      }
    });
    call.on("end", () => {
      this.agentEnded = true;
      this.wake?.();
      if (this.endOnAgentEnd && !this.over) this.end();
    });
    const over = () => {
      this.over = true;
      this.wake?.();
    };
    call.on("error", over);
    call.on("close", over);
    call.on("cancelled", over);
  }

  /** The next frame from the agent. */
  async next(ms = 10_000): Promise<TunnelUp__Output> {
    const until = Date.now() + ms;
    while (this.read >= this.frames.length) {
      if (this.agentEnded || this.over) {
        throw new Error(`the agent ended the tunnel; frames: ${JSON.stringify(this.frames)}`);
      }
      if (Date.now() > until) throw new Error("no frame from the agent");
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    return this.frames[this.read++];
  }

  /** Waits until the agent has ended its side of the call. */
  async agentDone(ms = 10_000): Promise<void> {
    const until = Date.now() + ms;
    while (!this.agentEnded && !this.over) {
      if (Date.now() > until) throw new Error("the agent did not end the tunnel");
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
  }

  async send(f: TunnelDown): Promise<void> {
    if (!this.call.write(f)) {
      this.drainWaits++;
      await new Promise<void>((r) => this.call.once("drain", r));
    }
  }

  end(): void {
    this.over = true;
    this.call.end();
  }

  /** Fails the call with a status, as a dashboard going away does. */
  fail(details: string): void {
    this.call.emit("error", { code: grpc.status.UNAVAILABLE, details });
  }
}

async function startDashboard(
  onStream?: (call: grpc.ServerDuplexStream<AgentMessage__Output, DashboardMessage>) => void,
) {
  const tunnels: DashTunnel[] = [];
  let wake: (() => void) | undefined;
  const server = new grpc.Server();
  server.addService(clusterAgent().service, {
    Register: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
      cb({ code: grpc.status.UNIMPLEMENTED, details: "not in this test" }),
    Stream: (call: grpc.ServerDuplexStream<AgentMessage__Output, DashboardMessage>) => {
      call.on("error", () => {});
      onStream?.(call);
    },
    Tunnel: (call: grpc.ServerDuplexStream<TunnelUp__Output, TunnelDown>) => {
      call.on("error", () => {});
      const t = new DashTunnel(call);
      t.opened.then(() => {
        tunnels.push(t);
        wake?.();
      });
    },
  } as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (err, p) => err ? reject(err) : resolve(p),
    )
  );
  const Client = clusterAgent();
  const client = new Client(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
    AGENT_CHANNEL_OPTIONS,
  ) as unknown as ClusterAgentClient;
  return {
    port,
    client,
    tunnels,
    /** The first tunnel opened for `requestId` ("" for idle ones) that `skip` does not list. */
    async tunnel(requestId: string, skip: DashTunnel[] = []): Promise<DashTunnel> {
      const until = Date.now() + 10_000;
      for (;;) {
        const t = tunnels.find((t) => t.requestId === requestId && !skip.includes(t));
        if (t) return t;
        if (Date.now() > until) throw new Error(`no tunnel opened for "${requestId}"`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    },
    stop() {
      client.close();
      server.forceShutdown();
    },
  };
}

// ---- One relayed stream: the agent's idle line, handed a StreamStart ----

interface Fixture {
  api: ReturnType<typeof startApiServer>;
  relay?: ReturnType<typeof slowRelay>;
  dash: Awaited<ReturnType<typeof startDashboard>>;
  tunnel: DashTunnel;
  line: TunnelLine;
  stats: StreamStats;
  /** Resolves when runStream returned. */
  ran: Promise<void>;
  /** Resolves when the agent's line closed. */
  lineClosed: Promise<void>;
  /** Hands the idle line this stream. */
  start(s?: Partial<StreamStart>): Promise<void>;
  /** The 101 (or refusal) frame. */
  head(): Promise<TunnelUp__Output>;
}

async function withStream(
  opts: ApiServerOptions & {
    slow?: { bytesPerTick?: number; tickMs?: number };
    kubePort?: number;
    highWaterBytes?: number;
    allowImpersonation?: boolean;
    impersonationPrefix?: string;
  },
  fn: (f: Fixture) => Promise<void>,
): Promise<void> {
  const api = startApiServer(opts);
  const relay = opts.slow
    ? slowRelay(api.port, opts.slow.bytesPerTick, opts.slow.tickMs)
    : undefined;
  const kube = await kubeFor(opts.kubePort ?? relay?.port ?? api.port);
  const dash = await startDashboard();
  const stats = newStreamStats();
  const ran = Promise.withResolvers<void>();
  const lineClosed = Promise.withResolvers<void>();
  const line = new TunnelLine(
    dash.client.Tunnel(new grpc.Metadata()) as unknown as TunnelCall,
    "",
    {
      work: (exchange, work) => {
        assert.ok(work.stream, "a stream was handed over");
        runStream(kube, work.stream, exchange, {
          allowImpersonation: opts.allowImpersonation ?? false,
          impersonationPrefix: opts.impersonationPrefix,
          stats,
          highWaterBytes: opts.highWaterBytes,
        }).then(ran.resolve, ran.reject);
      },
      closed: () => lineClosed.resolve(),
    },
  );
  try {
    const tunnel = await dash.tunnel("");
    await fn({
      api,
      relay,
      dash,
      tunnel,
      line,
      stats,
      ran: ran.promise,
      lineClosed: lineClosed.promise,
      start: (s = {}) =>
        tunnel.send({
          stream: { request_id: "s1", path: EXEC, protocols: [V5, V4], headers: [], ...s },
        }),
      head: () => tunnel.next(),
    });
  } finally {
    line.close("test over");
    dash.stop();
    relay?.stop();
    kube.close();
    await api.stop();
  }
}

/** The stream ended on the agent's side: runStream returned, its line closed, the call ended. */
async function assertEnded(f: Fixture, what: string): Promise<void> {
  await within(`${what}: runStream to return`, f.ran);
  await within(`${what}: the line to close`, f.lineClosed);
  assert.equal(f.line.closed, true, `${what}: the line is not reused`);
  assert.equal(f.line.idle, false, `${what}: the line is not idle`);
  await f.tunnel.agentDone();
}

const message = (data: Uint8Array | string, text = typeof data === "string"): TunnelDown => ({
  message: { data: typeof data === "string" ? enc.encode(data) : data, text },
});

// ---- Tests ----

Deno.test({
  name: "stream: 101 with the chosen subprotocol; the client's headers filtered, the agent's token",
  ...shared,
  async fn() {
    await withStream({}, async (f) => {
      await f.start({
        protocols: [V5, V4],
        headers: [
          { name: "User-Agent", value: "kubectl/v1.36.0" },
          { name: "X-Stream-Protocol-Version", value: V5 },
          { name: "Authorization", value: "Bearer the-dashboards-own" },
          { name: "Sec-WebSocket-Key", value: "not-the-agents" },
          { name: "Cookie", value: "session=x" },
        ],
      });
      const head = await f.head();
      assert.deepEqual(head.response?.status, 101);
      assert.deepEqual(head.response?.headers, [{ name: "sec-websocket-protocol", value: V5 }]);
      assert.equal(head.response?.complete, false);
      const s = await f.api.socket();
      assert.equal(s.url.pathname + s.url.search, EXEC, "path and query as given");
      const h = s.headers;
      assert.equal(h.get("authorization"), "Bearer agent-token", "the agent's own credentials");
      assert.equal(h.get("user-agent"), "kubectl/v1.36.0");
      assert.equal(h.get("x-stream-protocol-version"), V5);
      assert.equal(h.get("cookie"), null);
      assert.equal(h.get("sec-websocket-protocol"), `${V5}, ${V4}`, "the offers, in order");
      assert.notEqual(h.get("sec-websocket-key"), "not-the-agents");
      assert.equal(h.get("sec-websocket-extensions"), null, "no compression");
      await f.tunnel.send({ end: { error: "" } });
      assert.deepEqual((await s.closed).code, 1000);
      assert.deepEqual((await f.tunnel.next()).end, { error: "" });
      await assertEnded(f, "clean end");
    });
  },
});

Deno.test({
  name: "stream: impersonation passes only as the agent allows it; else 403, no WebSocket opened",
  ...shared,
  async fn(t) {
    const cases: Array<{
      name: string;
      allow: boolean;
      headers: Array<[string, string]>;
      /** The Impersonate-* headers the API server saw, or the refusal's message. */
      want: Record<string, string> | RegExp;
    }> = [
      {
        name: "allowed: a prefixed user and groups reach the API server",
        allow: true,
        headers: [
          ["Impersonate-User", "dashboard:alice"],
          ["Impersonate-Group", "dashboard:role:editor"],
          ["Impersonate-Group", "dashboard:team-a"],
        ],
        want: {
          "impersonate-user": "dashboard:alice",
          "impersonate-group": "dashboard:role:editor, dashboard:team-a",
        },
      },
      { name: "no impersonation, not allowed", allow: false, headers: [], want: {} },
      {
        name: "not allowed: refused, never opened as the agent",
        allow: false,
        headers: [["Impersonate-User", "dashboard:alice"]],
        want:
          /installed without impersonation \(allowImpersonation=false\), so it cannot act as dashboard user "dashboard:alice"/,
      },
      {
        name: "outside the prefix",
        allow: true,
        headers: [["Impersonate-User", "system:admin"]],
        want: /only names that start with "dashboard:"/,
      },
      {
        name: "a group outside the prefix",
        allow: true,
        headers: [["Impersonate-User", "dashboard:alice"], ["Impersonate-Group", "system:masters"]],
        want: /refused Impersonate-Group: "system:masters"/,
      },
      {
        name: "Impersonate-Uid",
        allow: true,
        headers: [["Impersonate-User", "dashboard:alice"], ["Impersonate-Uid", "1"]],
        want: /not Impersonate-Uid/,
      },
      {
        name: "a group without a user",
        allow: true,
        headers: [["Impersonate-Group", "dashboard:role:admin"]],
        want: /Impersonate-Group without Impersonate-User/,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        await withStream({ allowImpersonation: c.allow }, async (f) => {
          await f.start({ headers: c.headers.map(([name, value]) => ({ name, value })) });
          const head = (await f.head()).response!;
          if (c.want instanceof RegExp) {
            assert.equal(head.status, 403);
            assert.equal(head.complete, true);
            const status = JSON.parse(dec.decode(head.body));
            assert.equal(status.kind, "Status");
            assert.equal(status.reason, "Forbidden");
            assert.match(status.message, c.want);
            await assertEnded(f, c.name);
            assert.equal(f.api.sockets.length, 0, "no WebSocket was opened");
            return;
          }
          assert.equal(head.status, 101);
          const s = await f.api.socket();
          const seen = Object.fromEntries(
            [...s.headers].filter(([n]) => n.startsWith("impersonate-")),
          );
          assert.deepEqual(seen, c.want);
          assert.equal(s.headers.get("authorization"), "Bearer agent-token");
          await f.tunnel.send({ end: { error: "" } });
          assert.equal((await f.tunnel.next()).end?.error, "");
          await assertEnded(f, c.name);
        });
      });
    }
  },
});

Deno.test({
  name: "stream: the subprotocol the API server chose goes back with the 101",
  ...shared,
  async fn(t) {
    const cases: Array<{
      name: string;
      offered: string[];
      choose?: (offered: string[]) => string | undefined;
      status: number;
      headers?: { name: string; value: string }[];
      body?: RegExp;
    }> = [
      {
        name: "exec: v5 of v5 and v4",
        offered: [V5, V4],
        status: 101,
        headers: [{ name: "sec-websocket-protocol", value: V5 }],
      },
      {
        name: "exec: the API server prefers the client's second offer",
        offered: [V5, V4],
        choose: () => V4,
        status: 101,
        headers: [{ name: "sec-websocket-protocol", value: V4 }],
      },
      {
        // Not an RFC 7230 token: ws itself would refuse to offer it.
        name: "port-forward's SPDY/3.1+portforward.k8s.io",
        offered: [PORT_FORWARD],
        status: 101,
        headers: [{ name: "sec-websocket-protocol", value: PORT_FORWARD }],
      },
      { name: "nothing offered, nothing chosen", offered: [], status: 101, headers: [] },
      {
        name: "the API server chooses none of the offers: passed on",
        offered: [V5],
        choose: () => undefined,
        status: 101,
        headers: [],
      },
      {
        name: "the API server chooses one that was not offered: 502",
        offered: [V5],
        choose: () => "v9.channel.k8s.io",
        status: 502,
        body: /was not offered/,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        await withStream({ choose: c.choose }, async (f) => {
          await f.start({ protocols: c.offered });
          const head = (await f.head()).response!;
          assert.equal(head.status, c.status);
          if (c.headers) assert.deepEqual(head.headers, c.headers);
          if (c.body) assert.match(dec.decode(head.body), c.body);
          if (c.status === 502) {
            const s = await f.api.socket();
            // Terminated: the socket is cut without a close frame.
            await within("the API server's side to close", s.closed);
          }
          if (c.status === 101) {
            const s = await f.api.socket();
            assert.equal(s.headers.get("sec-websocket-protocol"), c.offered.join(", ") || null);
            await f.tunnel.send({ end: { error: "" } });
            assert.equal((await f.tunnel.next()).end?.error, "");
          }
          await assertEnded(f, c.name);
        });
      });
    }
  },
});

Deno.test({
  name: "stream: the API server's refusal is relayed as a response; failures as a Status",
  ...shared,
  async fn(t) {
    const status403 = JSON.stringify({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      message: 'pods "p" is forbidden: User "agent" cannot create resource "pods/exec"',
      reason: "Forbidden",
      code: 403,
    });
    const big = "x".repeat(200_000);
    const cases: Array<{
      name: string;
      answer?: Response;
      start?: Partial<StreamStart>;
      unreachable?: boolean;
      status: number;
      body: string | RegExp;
      /** The whole answer in the response frame, or head, body chunks and end. */
      whole: boolean;
      contentType?: string;
    }> = [
      {
        name: "403 from RBAC, with its Status",
        answer: new Response(status403, {
          status: 403,
          headers: { "content-type": "application/json" },
        }),
        status: 403,
        body: status403,
        whole: true,
        contentType: "application/json",
      },
      {
        name: "404 with a body larger than one chunk",
        answer: new Response(big, { status: 404, headers: { "content-type": "text/plain" } }),
        status: 404,
        body: big,
        whole: false,
        contentType: "text/plain",
      },
      {
        name: "400 without a body",
        answer: new Response(null, { status: 400 }),
        status: 400,
        body: "",
        whole: true,
      },
      {
        name: "an unreachable API server: a 502 Status",
        unreachable: true,
        status: 502,
        body: /"message":"the agent could not reach its API server: /,
        whole: true,
        contentType: "application/json",
      },
      {
        name: "an invalid subprotocol: a 400 Status",
        start: { protocols: ["not a token"] },
        status: 400,
        body: /"message":"the stream cannot be opened: /,
        whole: true,
        contentType: "application/json",
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        // A port with nothing listening: bind one and close it.
        const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const closedPort = (closed.addr as Deno.NetAddr).port;
        closed.close();
        await withStream({
          refuse: () => c.answer,
          kubePort: c.unreachable ? closedPort : undefined,
        }, async (f) => {
          await f.start(c.start);
          const head = (await f.head()).response!;
          assert.equal(head.status, c.status);
          assert.equal(head.complete, c.whole);
          if (c.contentType) {
            assert.equal(head.headers.find((h) => h.name === "content-type")?.value, c.contentType);
          }
          let body = dec.decode(head.body);
          if (!c.whole) {
            for (;;) {
              const f2 = await f.tunnel.next();
              if (f2.end) {
                assert.equal(f2.end.error, "");
                break;
              }
              assert.ok(f2.body, `a body chunk, got ${f2.frame}`);
              body += dec.decode(f2.body.data);
            }
          }
          if (typeof c.body === "string") assert.equal(body, c.body);
          else assert.match(body, c.body);
          await assertEnded(f, c.name);
          assert.equal(f.api.sockets.length, 0, "no WebSocket was opened");
        });
      });
    }
  },
});

Deno.test({
  name: "stream: binary and text messages cross both ways byte-exact",
  ...shared,
  async fn() {
    const hello = "welcome ✓";
    const greeting = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
    await withStream({
      echo: true,
      onOpen: (s) => {
        s.socket.send(hello);
        s.socket.send(greeting);
      },
    }, async (f) => {
      await f.start();
      assert.equal((await f.head()).response?.status, 101);
      // What the API server sends first.
      const m1 = (await f.tunnel.next()).message!;
      assert.deepEqual({ text: m1.text, data: dec.decode(m1.data) }, { text: true, data: hello });
      const m2 = (await f.tunnel.next()).message!;
      assert.deepEqual({ text: m2.text, data: new Uint8Array(m2.data) }, {
        text: false,
        data: greeting,
      });
      // Echoed: what the dashboard sends comes back as it went.
      const cases: Array<{ name: string; data: Uint8Array | string; text?: boolean }> = [
        { name: "empty binary", data: new Uint8Array(0) },
        { name: "one byte", data: new Uint8Array([0]) },
        { name: "stdin channel frame", data: new Uint8Array([0, ...enc.encode("ls -l\n")]) },
        { name: "125 bytes", data: pattern(1, 125) },
        { name: "126 bytes (16-bit length)", data: pattern(2, 126) },
        { name: "65535 bytes", data: pattern(3, 65_535) },
        { name: "65536 bytes (64-bit length)", data: pattern(4, 65_536) },
        { name: "1 MiB", data: pattern(5, MiB) },
        { name: "text", data: "héllo wörld ✓ 🚀" },
        { name: "empty text", data: "" },
        { name: "a resize as text", data: '{"Width":120,"Height":40}' },
      ];
      const s = await f.api.socket();
      for (const [i, c] of cases.entries()) {
        await f.tunnel.send(message(c.data));
        const got = (await f.tunnel.next()).message!;
        const want = typeof c.data === "string" ? enc.encode(c.data) : c.data;
        assert.equal(got.text, typeof c.data === "string", `${c.name}: the message type`);
        assert.deepEqual(new Uint8Array(got.data), want, `${c.name}: the bytes`);
        // And the API server got it as sent, with its type.
        const atServer = (await s.received(i + 1))[i];
        assert.deepEqual(atServer, c.data, `${c.name}: at the API server`);
      }
      assert.equal(f.stats.messagesDown, cases.length);
      assert.equal(f.stats.messagesUp, cases.length + 2);
      await f.tunnel.send({ end: { error: "" } });
      assert.equal((await f.tunnel.next()).end?.error, "");
      await assertEnded(f, "after the messages");
    });
  },
});

Deno.test({
  name: "stream: 10 MB from the API server to a slow dashboard; the WebSocket is paused, the " +
    "agent holds little",
  ...shared,
  async fn() {
    const SIZE = 64 * 1024;
    const COUNT = 160; // 10 MiB
    const sent: Uint8Array<ArrayBuffer>[] = [];
    for (let i = 0; i < COUNT; i++) sent.push(pattern(i, SIZE));
    await withStream({
      onOpen: (s) => {
        // The API server writes everything at once (Deno's WebSocket buffers what TCP refuses),
        // then closes normally.
        for (const m of sent) s.socket.send(m);
        s.socket.close(1000);
      },
    }, async (f) => {
      f.tunnel.slow = { frames: 4, pauseMs: 15 };
      await f.start();
      assert.equal((await f.head()).response?.status, 101);
      const got: Uint8Array[] = [];
      const began = Date.now();
      for (;;) {
        const fr = await f.tunnel.next(30_000);
        if (fr.end) {
          assert.equal(fr.end.error, "", "the API server closed with 1000");
          break;
        }
        got.push(new Uint8Array(fr.message!.data));
      }
      const took = Date.now() - began;
      assert.equal(got.length, COUNT, "one frame per message");
      assert.ok(Buffer.from(concat(got)).equals(Buffer.from(concat(sent))), "byte-exact, in order");
      assert.ok(f.stats.upWaits > 0, "gRPC pushed back: the slow dashboard did not take it all");
      assert.ok(f.stats.upPauses > 0, "the WebSocket was paused meanwhile");
      assert.ok(
        f.stats.upQueuedMax <= 512 * 1024,
        `the agent queued at most ${f.stats.upQueuedMax} bytes from the API server`,
      );
      assert.ok(took > 200, `the slow dashboard set the pace (${took} ms)`);
      await assertEnded(f, "after 10 MB up");
    });
  },
});

Deno.test({
  name: "stream: 10 MB from the dashboard to a slow API server; the call is paused, the agent " +
    "holds little",
  ...shared,
  async fn() {
    const SIZE = 64 * 1024;
    const COUNT = 160; // 10 MiB
    const TOTAL = SIZE * COUNT;
    const sent: Uint8Array<ArrayBuffer>[] = [];
    for (let i = 0; i < COUNT; i++) sent.push(pattern(i, SIZE));
    await withStream({
      // About 8 MB/s at best: the agent must wait for the API server.
      slow: { bytesPerTick: 16 * 1024, tickMs: 2 },
    }, async (f) => {
      await f.start();
      assert.equal((await f.head()).response?.status, 101);
      const s = await f.api.socket();
      const began = Date.now();
      for (const m of sent) await f.tunnel.send(message(m, false));
      await within(
        "all bytes at the API server",
        (async () => {
          while (s.bytes < TOTAL) await sleep(20);
        })(),
        60_000,
      );
      const took = Date.now() - began;
      const got = s.messages.map((m) => m as Uint8Array);
      assert.equal(got.length, COUNT);
      assert.ok(Buffer.from(concat(got)).equals(Buffer.from(concat(sent))), "byte-exact, in order");
      assert.ok(f.stats.downWaits > 0, "the relay waited for the API server to read");
      assert.ok(
        f.stats.wsBufferedMax <= MiB + SIZE,
        `the WebSocket held at most ${f.stats.wsBufferedMax} unsent bytes`,
      );
      assert.ok(f.tunnel.drainWaits > 0, "the dashboard's writes were held back (call paused)");
      assert.ok(took > 300, `the slow API server set the pace (${took} ms)`);
      s.socket.close(1000);
      assert.equal((await f.tunnel.next()).end?.error, "");
      await assertEnded(f, "after 10 MB down");
    });
  },
});

Deno.test({
  name: "stream: the API server closing ends the stream after what it sent; the line is closed",
  ...shared,
  async fn(t) {
    const cases: Array<
      { name: string; close: (s: ServerSocket, f: Fixture) => void; end: RegExp }
    > = [
      { name: "1000", close: (s) => s.socket.close(1000), end: /^$/ },
      { name: "no code (1005)", close: (s) => s.socket.close(), end: /^$/ },
      {
        name: "4001 with a reason",
        close: (s) => s.socket.close(4001, "custom reason"),
        end: /^closed 4001 custom reason$/,
      },
      {
        name: "the connection cut (1006)",
        close: (_s, f) => f.relay!.kill(),
        end: /^closed 1006/,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        await withStream({ slow: { bytesPerTick: 64 * 1024, tickMs: 0 } }, async (f) => {
          await f.start();
          assert.equal((await f.head()).response?.status, 101);
          const s = await f.api.socket();
          s.socket.send("last words");
          const m = (await f.tunnel.next()).message!;
          assert.equal(dec.decode(m.data), "last words");
          c.close(s, f);
          const end = (await f.tunnel.next()).end;
          assert.ok(end, "an end frame follows");
          assert.match(end.error, c.end);
          await assertEnded(f, c.name);
        });
      });
    }
  },
});

Deno.test({
  name: "stream: the dashboard's end closes the WebSocket after its last messages",
  ...shared,
  async fn(t) {
    const backlog = Array.from({ length: 8 }, (_, i) => pattern(i, 64 * 1024));
    const cases: Array<{ name: string; endCall: boolean; send: (Uint8Array | string)[] }> = [
      {
        name: "end, the call kept open",
        endCall: false,
        send: ["one", new Uint8Array([1, 2, 3])],
      },
      {
        name: "end, then the dashboard ends the call at once",
        endCall: true,
        send: ["one", new Uint8Array([1, 2, 3])],
      },
      {
        // The messages still queued in the agent when the call ends are delivered.
        name: "end after a backlog to a slow API server, then the call ends at once",
        endCall: true,
        send: backlog,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        await withStream({
          slow: { bytesPerTick: 16 * 1024, tickMs: 5 },
          highWaterBytes: 64 * 1024,
        }, async (f) => {
          await f.start();
          assert.equal((await f.head()).response?.status, 101);
          const s = await f.api.socket();
          for (const m of c.send) await f.tunnel.send(message(m));
          await f.tunnel.send({ end: { error: "" } });
          if (c.endCall) f.tunnel.end();
          const closed = await within("the WebSocket to close", s.closed);
          assert.equal(closed.code, 1000);
          assert.deepEqual(s.messages, c.send, "delivered first");
          if (!c.endCall) assert.equal((await f.tunnel.next()).end?.error, "");
          await within("runStream to return", f.ran);
          await within("the line to close", f.lineClosed);
          assert.equal(f.line.closed, true);
        });
      });
    }
  },
});

Deno.test({
  name: "stream: a cancel or a broken call closes the WebSocket; a stuck one is terminated",
  ...shared,
  async fn(t) {
    const cases: Array<{
      name: string;
      stop: (f: Fixture) => void;
      code: number;
      freeze?: boolean;
    }> = [
      {
        name: "the dashboard cancels",
        stop: (f) => void f.tunnel.send({ end: { error: "cancelled by the client" } }),
        code: 1001,
      },
      { name: "the dashboard fails the call", stop: (f) => f.tunnel.fail("gone"), code: 1001 },
      { name: "the agent's call breaks", stop: (f) => f.line.call.cancel(), code: 1001 },
      {
        name: "the API server never answers the close: terminated",
        stop: (f) => void f.tunnel.send({ end: { error: "cancelled by the client" } }),
        code: 1006,
        freeze: true,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        let ticker: ReturnType<typeof setInterval> | undefined;
        await withStream({
          slow: { bytesPerTick: 64 * 1024, tickMs: 0 },
          // The API server keeps talking (a `logs -f`-like exec).
          onOpen: (s) => {
            ticker = setInterval(() => s.socket.send(`tick ${Date.now()}`), 5);
          },
        }, async (f) => {
          try {
            await f.start();
            assert.equal((await f.head()).response?.status, 101);
            const s = await f.api.socket();
            await f.tunnel.next(); // a tick arrived: the stream runs
            if (c.freeze) f.relay!.freeze();
            const began = Date.now();
            c.stop(f);
            await within("runStream to return", f.ran, 5_000);
            await within("the line to close", f.lineClosed);
            const took = Date.now() - began;
            if (c.freeze) {
              // ws's closeTimeout (CLOSE_HANDSHAKE_TIMEOUT_MS) or the agent's own grace ends it.
              assert.ok(took < 4_000, `terminated (${took} ms)`);
              assert.equal(f.stats.closeCode, 1006);
              f.relay!.kill();
            } else {
              assert.ok(took < 1_500, `closed at once (${took} ms)`);
              assert.equal((await within("the API server's close", s.closed)).code, c.code);
            }
          } finally {
            clearInterval(ticker);
          }
        });
      });
    }
  },
});

// ---- The real API server: TLS and its refusals ----

Deno.test({
  name: "openStream against the real API server: wss with its CA, a client certificate or a " +
    "token; its refusals come back as responses",
  ...shared,
  async fn(t) {
    const cp = await sharedControlPlane();
    const cases: Array<{ name: string; kubeconfig: () => Promise<string>; status: number }> = [
      {
        // The admin kubeconfig authenticates with a client certificate; the pod does not exist.
        name: "client certificate: 404 for a missing pod",
        kubeconfig: () => Promise.resolve(cp.kubeconfigPath),
        status: 404,
      },
      {
        // A ServiceAccount that may only view: RBAC refuses pods/exec before the pod is looked up.
        name: "token of a viewer: 403",
        kubeconfig: () => serviceAccountKubeconfig(cp, "agent-stream-viewer", "view"),
        status: 403,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const kube = await loadKube(await c.kubeconfig());
        try {
          const opened = await kube.openStream(
            "/api/v1/namespaces/default/pods/no-such-pod/exec?command=true&stdout=true",
            [V5, V4],
            new Headers({ "user-agent": "stream_test" }),
            AbortSignal.timeout(15_000),
          );
          assert.ok(opened.refused, "the API server refuses the upgrade");
          assert.equal(opened.refused.status, c.status);
          const status = await opened.refused.json();
          assert.equal(status.kind, "Status");
          assert.equal(status.code, c.status);
        } finally {
          kube.close();
        }
      });
    }
  },
});

// ---- The dialer: streams announced, on idle tunnels, and refused ----

Deno.test({
  name: "dialer: streams announced or on an idle tunnel run; the limit, paths, the " +
    "credential guard and impersonation refuse them",
  ...shared,
  async fn() {
    const api = startApiServer({ echo: true });
    const kube = await kubeFor(api.port);
    const stream = Promise.withResolvers<
      grpc.ServerDuplexStream<AgentMessage__Output, DashboardMessage>
    >();
    const received: AgentMessage__Output[] = [];
    const dash = await startDashboard((call) => {
      call.on("data", (m: AgentMessage__Output) => {
        received.push(m);
        if (m.hello) stream.resolve(call);
      });
    });
    const SECRET = { namespace: "dashboard-agent", name: "dashboard-agent-credential" };
    const store: CredentialStore = {
      where: "memory",
      secret: SECRET,
      load: () => Promise.resolve({ credential: "kda_x", cluster_id: "c", cluster_name: "test" }),
      save: () => Promise.resolve(),
    };
    const cfg: AgentConfig = {
      dashboardUrl: new URL(`http://127.0.0.1:${dash.port}`),
      insecure: true,
      credentialSecret: SECRET.name,
      healthAddr: { hostname: "127.0.0.1", port: 0 },
      maxConcurrentRequests: 2,
      allowImpersonation: false,
      impersonationPrefix: "dashboard:",
      logLevel: "error",
    };
    const dialer = new Dialer(cfg, kube, store);
    const running = dialer.run();
    const refusal = async (id: string) => {
      const until = Date.now() + 10_000;
      for (;;) {
        const m = received.find((m) => m.tunnel_refused?.request_id === id);
        if (m) return m.tunnel_refused!;
        if (Date.now() > until) throw new Error(`no refusal for ${id}`);
        await sleep(20);
      }
    };
    const streamStart = (request_id: string, path = EXEC): DashboardMessage => ({
      stream_start: { request_id, path, protocols: [V5], headers: [] },
    });
    try {
      const control = await within("the agent's hello", stream.promise);
      control.write({
        accepted: {
          cluster_id: "c",
          cluster_name: "test",
          session_token: "kss_test",
          heartbeat_interval_ms: 60_000,
          max_concurrent_requests: 256,
          idle_tunnels: 1,
          max_idle_tunnels: 1,
        },
      });

      // On the idle tunnel.
      const idle = await dash.tunnel("");
      await idle.send({ stream: { request_id: "p1", path: EXEC, protocols: [V5], headers: [] } });
      assert.equal((await idle.next()).response?.status, 101);
      await idle.send(message("pooled"));
      assert.equal(dec.decode((await idle.next()).message!.data), "pooled");

      // Announced on the control stream: its own tunnel.
      control.write(streamStart("a1"));
      const a1 = await dash.tunnel("a1");
      const head = (await a1.next()).response!;
      assert.deepEqual([head.status, head.headers], [101, [{
        name: "sec-websocket-protocol",
        value: V5,
      }]]);
      await a1.send(message(new Uint8Array([9, 8, 7])));
      assert.deepEqual(new Uint8Array((await a1.next()).message!.data), new Uint8Array([9, 8, 7]));

      // Two streams run: the limit of 2 refuses a third, announced or on an idle tunnel.
      control.write(streamStart("a2"));
      assert.deepEqual(await refusal("a2"), {
        request_id: "a2",
        http_status: 429,
        message: "the agent is at its limit of 2 concurrent requests",
      });
      const idle2 = await dash.tunnel("", [idle]);
      await idle2.send({ stream: { request_id: "p2", path: EXEC, protocols: [V5], headers: [] } });
      const refused = (await idle2.next()).response!;
      assert.equal(refused.status, 429);
      assert.equal(refused.complete, true);
      assert.match(dec.decode(refused.body), /at its limit of 2/);
      await idle2.agentDone(); // a refused stream's line is not reused either

      // The announced stream ends: its slot is free again.
      await a1.send({ end: { error: "" } });
      assert.equal((await a1.next()).end?.error, "");
      await a1.agentDone();
      await sleep(50);

      // Paths: the allow-list and the credential guard.
      control.write(streamStart("bad", "/healthz"));
      assert.equal((await refusal("bad")).http_status, 403);
      control.write(
        streamStart("secret", `/api/v1/namespaces/${SECRET.namespace}/secrets/${SECRET.name}`),
      );
      const secret = await refusal("secret");
      assert.equal(secret.http_status, 403);
      assert.match(secret.message, /holds this agent's credential/);
      // Impersonation this agent was not installed for: refused before any tunnel opens.
      control.write({
        stream_start: {
          request_id: "as-alice",
          path: EXEC,
          protocols: [V5],
          headers: [{ name: "Impersonate-User", value: "dashboard:alice" }],
        },
      });
      const asAlice = await refusal("as-alice");
      assert.equal(asAlice.http_status, 403);
      assert.match(
        asAlice.message,
        /allowImpersonation=false\), so it cannot act as dashboard user/,
      );
      // A WebSocket watch of the Secrets is narrowed, not refused.
      control.write(streamStart("watch", `/api/v1/namespaces/${SECRET.namespace}/secrets?watch=1`));
      const w = await dash.tunnel("watch");
      assert.equal((await w.next()).response?.status, 101);
      const seen = (await api.socket(api.sockets.length - 1)).url;
      assert.equal(
        seen.searchParams.get("fieldSelector"),
        `metadata.name!=${SECRET.name}`,
      );
      assert.equal(api.sockets.length, 3, "pooled, a1 and the watch reached the API server");

      // Stopping the agent closes the streams still open.
      dialer.stop();
      await within("the agent to stop", running);
      for (const [i, s] of api.sockets.entries()) {
        await within(`WebSocket #${i} to close`, s.closed);
      }
    } finally {
      dialer.stop();
      dash.stop();
      kube.close();
      await api.stop();
    }
  },
});
