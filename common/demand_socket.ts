// node:http(s) Agents whose connections read from the network only while their reader wants
// more. Deno 2.9.6's node:tls client socket keeps reading after pause(), so a paused response is
// buffered whole in memory (docs/benchmarks.md, "Slow readers through an agent"). Here the TCP
// connection is a Deno.Conn wrapped in a Duplex that reads one chunk per request and none while
// the socket handed to node:http is paused; node:tls runs over it with exactly the options an
// https.Agent would use (ca, cert, key, servername: the same checks). Deno's own TLS would stop
// reading too, but its caCerts add to the built-in roots where node:tls's ca replaces them.
// Plain http:// servers get the same connections (one code path).
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import type net from "node:net";
import { Duplex } from "node:stream";
import { Buffer } from "node:buffer";
import { clearTimeout, setTimeout } from "node:timers";

const READ_BYTES = 64 * 1024;
/** While held back, how often to look again in case a resume went unnoticed. */
const RECHECK_MS = 100;

type Callback = (err?: Error | null) => void;

/** A TCP connection that reads from the network only when `mayRead()` allows it. */
class DemandConn extends Duplex {
  connecting = true;
  /** Whether a read may go out now; checked before each one. */
  mayRead: () => boolean = () => true;
  readonly #conn: Promise<Deno.Conn>;
  #open: Deno.Conn | undefined;
  #buf = new Uint8Array(READ_BYTES);
  #wanted = false;
  #reading = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #refed = true;

  constructor(hostname: string, port: number) {
    super({ allowHalfOpen: false });
    this.#conn = Deno.connect({ hostname, port });
    this.#conn.then((conn) => {
      if (this.destroyed) {
        conn.close();
        return;
      }
      this.#open = conn;
      if (!this.#refed) conn.unref();
      this.connecting = false;
      this.emit("connect");
      if (this.#wanted) this.#pull();
    }, (err: Error) => this.destroy(err));
  }

  override _read(): void {
    this.#wanted = true;
    if (this.#open) this.#pull();
  }

  /** Reads one chunk if one is wanted and allowed; otherwise looks again later. */
  wake(): void {
    if (this.#wanted && this.#open) this.#pull();
  }

  #pull(): void {
    if (this.#reading || this.destroyed || !this.#open) return;
    if (!this.mayRead()) {
      // Unref'd: an idle connection held back keeps no process alive.
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.wake();
      }, RECHECK_MS).unref();
      return;
    }
    const conn = this.#open;
    this.#reading = true;
    this.#wanted = false;
    conn.read(this.#buf).then((n) => {
      this.#reading = false;
      if (this.destroyed) return;
      // A copy: the next read reuses the buffer.
      this.push(n === null ? null : Buffer.from(this.#buf.subarray(0, n)));
    }, (err: Error) => {
      this.#reading = false;
      if (!this.destroyed) this.destroy(err);
    });
  }

  override _write(chunk: Uint8Array, _encoding: string, callback: Callback): void {
    this.#conn.then(async (conn) => {
      for (let off = 0; off < chunk.length;) off += await conn.write(chunk.subarray(off));
    }).then(() => callback(), (err: Error) => callback(err));
  }

  override _final(callback: Callback): void {
    this.#conn.then((conn) => conn.closeWrite()).then(() => callback(), () => callback());
  }

  override _destroy(err: Error | null, callback: Callback): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      this.#open?.close();
    } catch { /* already closed */ }
    callback(err);
  }

  // What node:http calls on its sockets.
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    this.#refed = true;
    this.#open?.ref();
    return this;
  }
  unref(): this {
    this.#refed = false;
    this.#open?.unref();
    return this;
  }
}

/** The socket node:http reads: `outer` (the connection itself, or TLS over it) paces `conn`. */
function paced(conn: DemandConn, outer: Duplex): void {
  conn.mayRead = () => !outer.isPaused();
  outer.on("resume", () => conn.wake());
}

function hostPort(options: http.ClientRequestArgs, defaultPort: number): [string, number] {
  const host = options.host ?? options.hostname ?? "localhost";
  return [host.replace(/^\[(.*)\]$/, "$1"), Number(options.port ?? defaultPort)];
}

/** An https.Agent (same options) whose TLS connections read only on demand. */
export class DemandHttpsAgent extends https.Agent {
  override createConnection(options: http.ClientRequestArgs): Duplex {
    const conn = new DemandConn(...hostPort(options, 443));
    const secure = tls.connect({
      ...(options as tls.ConnectionOptions),
      socket: conn as unknown as net.Socket,
    });
    paced(conn, secure);
    conn.on("error", (err) => secure.destroy(err));
    secure.on("close", () => conn.destroy());
    return secure;
  }
}

/** An http.Agent (same options) whose connections read only on demand. */
export class DemandHttpAgent extends http.Agent {
  override createConnection(options: http.ClientRequestArgs): Duplex {
    const conn = new DemandConn(...hostPort(options, 80));
    paced(conn, conn);
    return conn;
  }
}
