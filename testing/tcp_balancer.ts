/**
 * A small round-robin TCP load balancer for tests (node:net), standing in for the one address
 * agents dial in front of several dashboard replicas (GRPC_PUBLIC_ADDR). It listens on
 * 127.0.0.1:0 and forwards every accepted connection, bytes untouched (TLS passes through), to
 * the next backend of a mutable list that accepts: a refused connect tries the following backend,
 * and a connection that no backend accepts is closed. Both directions are piped with
 * backpressure (stream.pipe), half-closes are passed on, and the end of either side ends the
 * other.
 *
 * remove() only stops new connections from going to a backend (as a real balancer drains a
 * member); dropConnections() cuts the open ones. connections() says how many are open per
 * backend, accepted() how many each has taken since the start. close() closes the listener and
 * every open connection. Test tooling only.
 */
import net from "node:net";

/** A backend: "host:port" or its parts. */
export type BackendAddr = string | { host: string; port: number };

function keyOf(b: BackendAddr): string {
  return typeof b === "string" ? b : `${b.host}:${b.port}`;
}

function parse(key: string): { host: string; port: number } {
  const m = /^\[?([^\]]+)\]?:(\d+)$/.exec(key);
  if (!m) throw new Error(`a backend is host:port, not ${JSON.stringify(key)}`);
  return { host: m[1], port: Number(m[2]) };
}

/** One forwarded connection: the client's socket and the backend's. */
interface Pair {
  backend: string;
  client: net.Socket;
  upstream: net.Socket;
}

export class TcpBalancer {
  readonly host = "127.0.0.1";
  #port = 0;
  #server: net.Server;
  #backends: string[] = [];
  #cursor = 0;
  #pairs = new Set<Pair>();
  /** Client sockets not yet paired with a backend. */
  #pending = new Set<net.Socket>();
  #accepted = new Map<string, number>();
  #closed?: Promise<void>;

  private constructor() {
    this.#server = net.createServer({ allowHalfOpen: true }, (s) => this.#onConnection(s));
  }

  /**
   * Starts a balancer on 127.0.0.1:0 over `backends` (more may be added later). `listen` may name
   * the port instead and set SO_REUSEPORT, so that several balancer processes share one port (the
   * kernel spreads connections among them): the benchmark needs that beyond one process's limit of
   * open files.
   */
  static async start(
    backends: BackendAddr[] = [],
    listen: { port?: number; reusePort?: boolean } = {},
  ): Promise<TcpBalancer> {
    const lb = new TcpBalancer();
    for (const b of backends) lb.add(b);
    await new Promise<void>((resolve, reject) => {
      lb.#server.once("error", reject);
      const options: net.ListenOptions = { port: listen.port ?? 0, host: lb.host };
      if (listen.reusePort) options.reusePort = true;
      lb.#server.listen(options, () => {
        lb.#server.off("error", reject);
        resolve();
      });
    });
    lb.#port = (lb.#server.address() as net.AddressInfo).port;
    return lb;
  }

  get port(): number {
    return this.#port;
  }

  /** "127.0.0.1:<port>": what clients dial. */
  get address(): string {
    return `${this.host}:${this.#port}`;
  }

  /** The backends new connections go to, in round-robin order. */
  backends(): string[] {
    return [...this.#backends];
  }

  /** Adds a backend (again a no-op when present). */
  add(backend: BackendAddr): void {
    const key = keyOf(backend);
    parse(key);
    if (!this.#backends.includes(key)) this.#backends.push(key);
  }

  /** New connections no longer go to `backend`; open ones stay (dropConnections cuts them). */
  remove(backend: BackendAddr): void {
    this.#backends = this.#backends.filter((b) => b !== keyOf(backend));
  }

  /** Replaces the backend list. */
  set(backends: BackendAddr[]): void {
    this.#backends = [];
    for (const b of backends) this.add(b);
  }

  /** Cuts the open connections to `backend` (both sides); how many there were. */
  dropConnections(backend: BackendAddr): number {
    const key = keyOf(backend);
    let n = 0;
    for (const p of [...this.#pairs]) {
      if (p.backend !== key) continue;
      n++;
      p.client.destroy();
      p.upstream.destroy();
    }
    return n;
  }

  /** Open connections per backend (removed backends included while they have some). */
  connections(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const b of this.#backends) out[b] = 0;
    for (const p of this.#pairs) out[p.backend] = (out[p.backend] ?? 0) + 1;
    return out;
  }

  /** Connections each backend has accepted since the start. */
  accepted(): Record<string, number> {
    return Object.fromEntries(this.#accepted);
  }

  /** Closes the listener and every open connection. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const s of this.#pending) s.destroy();
      for (const p of this.#pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
    });
    return this.#closed;
  }

  #onConnection(client: net.Socket): void {
    if (this.#closed) {
      client.destroy();
      return;
    }
    // Bytes the client sends before a backend accepted stay buffered in the paused socket.
    client.pause();
    client.on("error", () => {/* its 'close' follows */});
    this.#pending.add(client);
    let upstream: net.Socket | undefined;
    client.once("close", () => {
      this.#pending.delete(client);
      upstream?.destroy();
    });
    const order = this.#backends.length
      ? [...this.#backends.slice(this.#cursor), ...this.#backends.slice(0, this.#cursor)]
      : [];
    if (this.#backends.length) this.#cursor = (this.#cursor + 1) % this.#backends.length;
    const tryBackend = (i: number) => {
      if (client.destroyed || this.#closed) {
        client.destroy();
        return;
      }
      if (i >= order.length) {
        client.destroy(); // no backend accepts
        return;
      }
      const backend = order[i];
      const sock = net.connect({ ...parse(backend), allowHalfOpen: true });
      upstream = sock;
      const refused = () => {
        sock.destroy();
        upstream = undefined;
        tryBackend(i + 1);
      };
      sock.once("error", refused);
      sock.once("connect", () => {
        sock.off("error", refused);
        sock.on("error", () => {/* its 'close' follows */});
        if (client.destroyed) {
          sock.destroy();
          return;
        }
        this.#pending.delete(client);
        const pair: Pair = { backend, client, upstream: sock };
        this.#pairs.add(pair);
        this.#accepted.set(backend, (this.#accepted.get(backend) ?? 0) + 1);
        const end = () => {
          this.#pairs.delete(pair);
          client.destroy();
          sock.destroy();
        };
        client.once("close", end);
        sock.once("close", end);
        client.pipe(sock);
        sock.pipe(client);
      });
    };
    tryBackend(0);
  }
}
