/**
 * testenv/kubelet: a fake kubelet, an HTTPS server in this process that serves container logs
 * (/containerLogs/<ns>/<pod>/<container>: ten numbered lines, honouring tailLines, timestamps and
 * follow, which adds a line every 200 ms) for pods on Nodes made with createNode(), so
 * `kubectl logs [-f]` works through the real apiserver. There is no real kubelet.
 */

const LOG_LINES = 10;
const FOLLOW_INTERVAL_MS = 200;
const LOG_EPOCH = Date.UTC(2026, 0, 1);

/** The fake kubelet's server; stop() ends its follow streams and shuts it down. */
export class FakeKubelet {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #streams = new Set<() => void>();

  constructor(cert: string, key: string) {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, cert, key, onListen: () => {} },
      (req) => this.#handle(req),
    );
    this.#server.unref();
  }

  get port(): number {
    return this.#server.addr.port;
  }

  #handle(req: Request): Response {
    const url = new URL(req.url);
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== "GET" || !m) {
      return new Response(`fake kubelet: ${url.pathname} is not supported\n`, { status: 404 });
    }
    const [pod, container] = [decodeURIComponent(m[2]), decodeURIComponent(m[3])];
    const q = url.searchParams;
    const follow = q.get("follow") === "true";
    const timestamps = q.get("timestamps") === "true";
    const tailParam = q.get("tailLines");
    const tailLines = tailParam === null ? LOG_LINES : Math.max(0, Number(tailParam));
    const enc = new TextEncoder();
    const line = (n: number, at: Date) =>
      enc.encode(
        `${timestamps ? at.toISOString() + " " : ""}log line ${n} from ${pod}/${container}\n`,
      );
    let stopStream = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (ctrl) => {
        for (let n = Math.max(1, LOG_LINES - tailLines + 1); n <= LOG_LINES; n++) {
          ctrl.enqueue(line(n, new Date(LOG_EPOCH + n * 1000)));
        }
        if (!follow) {
          ctrl.close();
          return;
        }
        let n = LOG_LINES;
        const timer = setInterval(() => {
          try {
            ctrl.enqueue(line(++n, new Date()));
          } catch {
            stopStream();
          }
        }, FOLLOW_INTERVAL_MS);
        stopStream = () => {
          clearInterval(timer);
          this.#streams.delete(stopStream);
          try {
            ctrl.close();
          } catch {
            // already closed or cancelled
          }
        };
        this.#streams.add(stopStream);
      },
      cancel: () => stopStream(),
    });
    return new Response(body, { headers: { "content-type": "text/plain" } });
  }

  async stop(): Promise<void> {
    for (const s of [...this.#streams]) s();
    await this.#server.shutdown();
  }
}
