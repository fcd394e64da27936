// The agent's CA pin (agent/tls_pin.ts) against real TLS servers with certificates minted by the
// dashboard's own code (backend/tls.ts): the right --ca-hash yields the dashboard's CA, which then
// verifies the real connection as the dialer makes it; a wrong hash, another self-signed CA, a
// leaf without its CA, and a copy of the genuine CA in front of a stranger's key are all refused.
import assert from "node:assert/strict";
import tls from "node:tls";
import { loadMintedTls, type ServerTls } from "../backend/tls.ts";
import { certificateHash, PINNED_SERVER_NAME } from "../proto/wire.ts";
import { fetchPinnedCa } from "./tls_pin.ts";

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

/** A TLS server presenting `chain` (PEM, leaf first) that completes every handshake. */
function serve(chain: string, keyPem: string): { port: number; close(): void } {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: chain, key: keyPem });
  (async () => {
    for await (const conn of listener) {
      conn.handshake().catch(() => {}).finally(() => setTimeout(() => conn.close(), 200));
    }
  })().catch(() => {});
  return { port: listener.addr.port, close: () => listener.close() };
}

/** The dialer's second step: a verified connection trusting only the pinned CA. */
function verifiedConnect(port: number, caPem: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: "127.0.0.1",
      port,
      ca: caPem,
      servername: PINNED_SERVER_NAME,
      rejectUnauthorized: true,
    });
    s.once("secureConnect", () => {
      s.destroy();
      resolve();
    });
    s.once("error", (err) => {
      s.destroy();
      reject(err);
    });
  });
}

Deno.test("the CA pin against real TLS servers", async (t) => {
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const dashboard: ServerTls = await loadMintedTls(dirs[0], ["127.0.0.1"]);
  const stranger: ServerTls = await loadMintedTls(dirs[1], ["127.0.0.1"]);
  const strangerLeaf = stranger.certPem.match(PEM_CERT)![0];
  const dashboardLeaf = dashboard.certPem.match(PEM_CERT)![0];
  const servers = {
    dashboard: serve(dashboard.certPem, dashboard.keyPem),
    // Another dashboard (another self-signed root, presented in its chain).
    stranger: serve(stranger.certPem, stranger.keyPem),
    // The dashboard's leaf alone: the CA the pin names is not in the chain.
    leafOnly: serve(dashboardLeaf, dashboard.keyPem),
    // A stranger's key and leaf, followed by a copy of the genuine CA certificate (public data).
    impostor: serve(strangerLeaf + dashboard.caPem, stranger.keyPem),
  };
  const refused =
    /no certificate presented by 127\.0\.0\.1:\d+ matches the CA pin sha256:[0-9a-f]{64}; check --ca-hash/;
  try {
    const cases: Array<{
      name: string;
      server: keyof typeof servers;
      pin: string;
      /** The CA the pin must yield, or the refusal. */
      want: "dashboard" | "stranger" | RegExp;
      /** Whether the dialer's verified connection with the returned CA succeeds. */
      verified?: boolean;
    }> = [
      {
        name: "the right hash yields the dashboard's CA",
        server: "dashboard",
        pin: dashboard.caHash,
        want: "dashboard",
        verified: true,
      },
      {
        name: "a wrong hash is refused",
        server: "dashboard",
        pin: `sha256:${"ab".repeat(32)}`,
        want: refused,
      },
      {
        name: "a self-signed root that is not the pinned one is refused",
        server: "stranger",
        pin: dashboard.caHash,
        want: refused,
      },
      {
        name: "the stranger's own root is only accepted when it is the pin",
        server: "stranger",
        pin: stranger.caHash,
        want: "stranger",
        verified: true,
      },
      {
        name: "a chain without the pinned CA is refused",
        server: "leafOnly",
        pin: dashboard.caHash,
        want: refused,
      },
      {
        name:
          "a copy of the pinned CA in front of a stranger's key: found, but the real connection fails",
        server: "impostor",
        pin: dashboard.caHash,
        want: "dashboard",
        verified: false,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const port = servers[c.server].port;
        const got = fetchPinnedCa("127.0.0.1", port, c.pin, PINNED_SERVER_NAME);
        if (c.want instanceof RegExp) {
          await assert.rejects(got, c.want);
          return;
        }
        const pem = await got;
        const ca = c.want === "dashboard" ? dashboard : stranger;
        assert.equal(pem.trim(), ca.caPem.trim(), "the pinned CA, byte for byte");
        assert.equal(await certificateHash(pem), ca.caHash);
        if (c.verified) await verifiedConnect(port, pem);
        else await assert.rejects(verifiedConnect(port, pem), /signature|verify|certificate/i);
      });
    }
  } finally {
    for (const s of Object.values(servers)) s.close();
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  }
});
