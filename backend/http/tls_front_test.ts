// The HTTPS front of the dashboard's HTTP port: both HTTP versions pass through ALPN, bodies of
// every size arrive intact, the inner server learns the real client address, and a connection
// made straight to the inner port is not attributed to anyone.
import assert from "node:assert/strict";
import { loadMintedTls } from "../tls.ts";
import { startTlsFront, type TlsFront } from "./tls_front.ts";

Deno.test("TLS front", async (t) => {
  const dir = await Deno.makeTempDir();
  const tls = await loadMintedTls(dir, ["127.0.0.1", "localhost"]);
  const seen: Array<Deno.NetAddr | undefined> = [];
  // The inner server is started first (the front needs its port), so it reads the front late.
  const late: { front?: TlsFront } = {};
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const inner = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: listening.resolve },
    (req, info) => {
      seen.push(late.front?.clientOf(info.remoteAddr));
      const n = Number(new URL(req.url).searchParams.get("n") ?? 0);
      return new Response(new Uint8Array(n).fill(n % 251));
    },
  );
  const innerAddr = await listening.promise;
  const front = late.front = await startTlsFront({
    hostname: "127.0.0.1",
    port: 0,
    certPem: tls.certPem,
    keyPem: tls.keyPem,
    innerPort: innerAddr.port,
  });
  const url = `https://localhost:${front.addr.port}`;
  try {
    for (const version of ["HTTP/1.1", "HTTP/2"] as const) {
      await t.step(
        `${version}: bodies of every size arrive intact, with the client's address`,
        async () => {
          const client = Deno.createHttpClient({
            caCerts: [tls.caPem],
            http1: version === "HTTP/1.1",
            http2: version === "HTTP/2",
          });
          try {
            for (const n of [0, 200, 1_500, 16_000, 64_000, 300_000, 5_000_000]) {
              seen.length = 0;
              const res = await fetch(`${url}/?n=${n}`, { client } as RequestInit);
              const body = new Uint8Array(await res.arrayBuffer());
              assert.equal(res.status, 200);
              assert.equal(body.length, n, `${n} bytes`);
              assert.ok(body.every((b) => b === n % 251), `${n} bytes, content`);
              assert.equal(seen[0]?.hostname, "127.0.0.1", "the client's address");
              assert.notEqual(seen[0]?.port, innerAddr.port);
            }
          } finally {
            client.close();
          }
        },
      );
    }
    await t.step("a connection straight to the inner port is nobody's", async () => {
      seen.length = 0;
      const res = await fetch(`http://127.0.0.1:${innerAddr.port}/?n=1`);
      await res.arrayBuffer();
      assert.deepEqual(seen, [undefined]);
    });
    await t.step("plain HTTP on the TLS port gets no answer", async () => {
      await assert.rejects(fetch(`http://127.0.0.1:${front.addr.port}/`));
    });
  } finally {
    await front.close();
    await inner.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
