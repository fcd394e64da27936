// HTTPS for the dashboard's HTTP port: a node:tls server with TCP_NODELAY terminates TLS and
// pipes each connection to Deno.serve on a loopback port. Deno.serve's own TLS listener leaves
// Nagle's algorithm on for the sockets it accepts; against a client's delayed ACK that holds
// every response larger than one packet back by ~40 ms (docs/troubleshooting.md). ALPN passes
// through (Deno.serve speaks HTTP/2 and HTTP/1.1 on the inner port). The client's address is
// kept: the inner connection's source port maps to it, and the inner server refuses any
// connection the front did not make. The front can stop reading a client's connection
// (readGate): an upgraded stream whose cluster takes input slower than the client sends it
// pushes back on the client's TCP connection instead of queueing in the dashboard.
import * as tls from "node:tls";
import * as net from "node:net";
import { log } from "../../common/log.ts";

const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Stops and restarts reading a client's connection (TCP backpressure toward the client). */
export interface ReadGate {
  pause(): void;
  resume(): void;
}

export interface TlsFront {
  /** Where the front listens (the dashboard's HTTPS address). */
  addr: Deno.NetAddr;
  /** The client behind a connection on the inner port, or undefined if the front did not make it. */
  clientOf(inner: Deno.Addr): Deno.NetAddr | undefined;
  /** Stops and restarts reading the client connection behind an inner connection. */
  readGate(inner: Deno.Addr): ReadGate | undefined;
  /** Stops accepting and ends every connection. */
  close(): Promise<void>;
}

export async function startTlsFront(opts: {
  hostname: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** The inner Deno.serve port on 127.0.0.1. */
  innerPort: number;
}): Promise<TlsFront> {
  const clients = new Map<number, { addr: Deno.NetAddr; gate: ReadGate }>();
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({
    cert: opts.certPem,
    key: opts.keyPem,
    noDelay: true,
    ALPNProtocols: ["h2", "http/1.1"],
    minVersion: "TLSv1.2",
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  } as tls.TlsOptions, (client) => {
    const inner = net.connect({ host: "127.0.0.1", port: opts.innerPort, noDelay: true });
    sockets.add(client);
    sockets.add(inner);
    let innerPort = 0;
    const end = () => {
      client.destroy();
      inner.destroy();
      sockets.delete(client);
      sockets.delete(inner);
      if (innerPort) clients.delete(innerPort);
    };
    client.on("error", end).on("close", end);
    inner.on("error", end).on("close", end);
    // Nothing reaches the inner server before the mapping exists.
    inner.once("connect", () => {
      innerPort = inner.localPort ?? 0;
      clients.set(innerPort, {
        addr: {
          transport: "tcp",
          hostname: client.remoteAddress ?? "unknown",
          port: client.remotePort ?? 0,
        },
        gate: {
          pause: () => {
            client.unpipe(inner);
            client.pause();
          },
          resume: () => void client.pipe(inner),
        },
      });
      client.pipe(inner);
      inner.pipe(client);
    });
  });
  server.on("tlsClientError", (err) => log.debug("TLS handshake failed", { err: err.message }));
  const host = opts.hostname.replace(/^\[|\]$/g, "");
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => log.error("HTTPS listener failed", { err }));
  const bound = server.address() as net.AddressInfo;
  const innerConnection = (innerAddr: Deno.Addr) =>
    innerAddr.transport === "tcp" && innerAddr.hostname === "127.0.0.1"
      ? clients.get(innerAddr.port)
      : undefined;
  return {
    addr: { transport: "tcp", hostname: bound.address, port: bound.port },
    clientOf: (innerAddr) => innerConnection(innerAddr)?.addr,
    readGate: (innerAddr) => innerConnection(innerAddr)?.gate,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        sockets.clear();
        clients.clear();
      }),
  };
}
