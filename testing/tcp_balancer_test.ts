// The test balancer (testing/tcp_balancer.ts): round robin over the backends that accept (a
// refused one is skipped, none accepting closes the client), remove/add, per-backend counts,
// byte-exact piping of a large transfer both ways with a half-close, close() ending everything.
import assert from "node:assert/strict";
import { TcpBalancer } from "./tcp_balancer.ts";
import { eventually } from "./eventually.ts";

/** A backend that greets with its name, then echoes everything until the client half-closes. */
function namedEcho(name: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const served = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        try {
          await conn.write(new TextEncoder().encode(`${name}\n`));
          await conn.readable.pipeTo(conn.writable); // closes the write side at the client's EOF
        } catch { /* the client went away */ }
        conns.delete(conn);
      })();
    }
  })().catch(() => {});
  return {
    addr: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await served;
    },
  };
}

/** A port nothing listens on. */
function refusedAddr(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return `127.0.0.1:${port}`;
}

/** Connects through the balancer and reads the greeting line; returns the name and the conn. */
async function greet(lb: TcpBalancer): Promise<{ name: string; conn: Deno.Conn }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: lb.port });
  const buf = new Uint8Array(64);
  let text = "";
  while (!text.includes("\n")) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`closed before the greeting (got ${JSON.stringify(text)})`);
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return { name: text.trim(), conn };
}

/** Whether the peer closed the connection (read gives EOF or an error). */
async function closedByPeer(conn: Deno.Conn): Promise<boolean> {
  try {
    return await conn.read(new Uint8Array(16)) === null;
  } catch {
    return true;
  }
}

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "tcp balancer: round robin, refused backends skipped, remove/add, counts",
  ...opts,
  async fn() {
    const a = namedEcho("a");
    const b = namedEcho("b");
    const dead = refusedAddr();
    const lb = await TcpBalancer.start([a.addr, dead, b.addr]);
    const open: Deno.Conn[] = [];
    try {
      assert.match(lb.address, /^127\.0\.0\.1:\d+$/);
      const names: string[] = [];
      for (let i = 0; i < 6; i++) {
        const { name, conn } = await greet(lb);
        names.push(name);
        open.push(conn);
      }
      // a, (dead → b), b, a, (dead → b), b: every connection lands on a backend that accepts.
      assert.deepEqual(names, ["a", "b", "b", "a", "b", "b"]);
      await eventually("the counts", () => {
        const c = lb.connections();
        return c[a.addr] === 2 && c[b.addr] === 4 && c[dead] === 0;
      }, 5_000);
      assert.deepEqual(lb.accepted(), { [a.addr]: 2, [b.addr]: 4 });

      lb.remove(b.addr);
      lb.remove(dead);
      assert.deepEqual(lb.backends(), [a.addr]);
      for (let i = 0; i < 2; i++) {
        const { name, conn } = await greet(lb);
        assert.equal(name, "a");
        open.push(conn);
      }
      // Removing a backend leaves its open connections alone; dropping cuts them.
      assert.equal(lb.connections()[b.addr], 4);
      assert.equal(lb.dropConnections(b.addr), 4);
      await eventually("b's connections gone", () => !lb.connections()[b.addr], 5_000);
      for (const conn of open.slice(0, 6)) {
        // The ones that went to b were cut: their reads end.
        if (names[open.indexOf(conn)] === "b") assert.ok(await closedByPeer(conn));
      }

      lb.add(b.addr);
      lb.add(b.addr);
      assert.deepEqual(lb.backends(), [a.addr, b.addr]);

      lb.set([dead]);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: lb.port });
      open.push(conn);
      assert.ok(await closedByPeer(conn), "no backend accepts: the client is closed");
    } finally {
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await lb.close();
      await a.close();
      await b.close();
    }
  },
});

Deno.test({
  name: "tcp balancer: 16 MB through and back byte-exact, half-close passed on; close() ends all",
  ...opts,
  async fn() {
    const a = namedEcho("a");
    const lb = await TcpBalancer.start([a.addr]);
    try {
      const { conn } = await greet(lb);
      const data = new Uint8Array(16 * 1024 * 1024);
      for (let off = 0; off < data.length; off += 65536) {
        crypto.getRandomValues(data.subarray(off, off + 65536));
      }
      // Written and read at once: the echo only keeps up if both directions flow.
      const writing = (async () => {
        for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
        await conn.closeWrite();
      })();
      const got = new Uint8Array(data.length);
      let n = 0;
      const buf = new Uint8Array(65536);
      for (;;) {
        const r = await conn.read(buf);
        if (r === null) break;
        got.set(buf.subarray(0, r), n);
        n += r;
      }
      await writing;
      assert.equal(n, data.length, "everything came back, then the echo's EOF");
      assert.deepEqual(got, data);
      conn.close();
      await eventually("the pair closed", () => !lb.connections()[a.addr], 5_000);

      const held = await greet(lb);
      assert.equal(lb.connections()[a.addr], 1);
      await lb.close();
      assert.ok(await closedByPeer(held.conn), "close() ends open connections");
      held.conn.close();
      await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: lb.port }));
    } finally {
      await lb.close();
      await a.close();
    }
  },
});
