/**
 * A load generator for tests: `rate` requests per second through the dashboard's Kubernetes
 * proxy, spread round-robin over (replica URL, cluster id) targets, with a bearer token, for a
 * duration or until stop(). It is open-loop (requests start on schedule whatever the answers),
 * with bounded concurrency: a tick that finds `maxInFlight` requests still running is not sent
 * and is counted as skipped. Every request is recorded (target, start, end, status, error), so
 * a test can work out when a target answered again; the summary counts ok and failed requests,
 * by status ("0" is a network error or a timeout), per target, and keeps the first error
 * messages. The target list can change while running (setTargets), as a load balancer's members
 * do. Test tooling only.
 */

/** Where a request goes: GET <url>/api/clusters/<clusterId>/k8s<path>. */
export interface LoadTarget {
  url: string;
  clusterId: string;
  /** A short name for reports (default `<url> <clusterId>`). */
  label?: string;
}

export interface LoadOptions {
  /** Requests per second. */
  rate: number;
  targets: LoadTarget[];
  /** Bearer token (an API token or session token). */
  token: string;
  /** The Kubernetes API path requested (default /api/v1/namespaces/default). */
  path?: string;
  /** At most this many requests run at once (default 64). */
  maxInFlight?: number;
  /** A request that has not finished (body included) by then fails (default 10 s). */
  timeoutMs?: number;
  /** Stop sending after this long (default: until stop()). */
  durationMs?: number;
  /** The HTTP client for a URL (to trust a dashboard's CA). */
  client?: (url: string) => Deno.HttpClient | undefined;
  /** How many distinct error messages the summary keeps (default 10). */
  keepErrors?: number;
}

/** One request. Times are performance.now() milliseconds. */
export interface LoadSample {
  target: LoadTarget;
  startedAt: number;
  endedAt: number;
  /** The HTTP status, or 0 for a network error or timeout. */
  status: number;
  ok: boolean;
  /** For a failure: the status and the start of the body, or the error message. */
  error?: string;
}

export interface TargetSummary {
  label: string;
  url: string;
  clusterId: string;
  sent: number;
  ok: number;
  failed: number;
}

export interface LoadSummary {
  rate: number;
  durationMs: number;
  sent: number;
  ok: number;
  failed: number;
  /** Ticks not sent because maxInFlight requests were running. */
  skipped: number;
  /** Failures by status ("0": network error or timeout). */
  byStatus: Record<string, number>;
  /** The first distinct error messages, with the target they came from. */
  firstErrors: string[];
  /** Failures by message (the Status message of an error answer; ids and numbers masked). */
  byMessage: Record<string, number>;
  perTarget: TargetSummary[];
  latencyMs: { p50: number; p99: number; max: number };
}

const DEFAULT_PATH = "/api/v1/namespaces/default";

export const labelOf = (t: LoadTarget) => t.label ?? `${t.url} ${t.clusterId}`;

/** A message with its ids and numbers (ports, durations) masked, to group alike failures. */
const mask = (m: string) => m.replace(/[0-9a-f]{8}-[0-9a-f-]{27}|\d+/g, "#");

/** A failure's message: the Kubernetes Status message of an error answer, else its text. */
function messageOf(s: LoadSample): string {
  const json = s.error?.indexOf("{") ?? -1;
  if (s.error && json >= 0) {
    try {
      const status = JSON.parse(s.error.slice(json)) as { message?: unknown };
      if (typeof status.message === "string") return `${s.status} ${mask(status.message)}`;
    } catch { /* cut or not JSON */ }
  }
  return mask(s.error ?? `status ${s.status}`);
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export class LoadGenerator {
  readonly #opts: Required<Omit<LoadOptions, "durationMs" | "client">> & LoadOptions;
  #targets: LoadTarget[];
  #next = 0;
  #samples: LoadSample[] = [];
  #inFlight = new Map<string, number>();
  #running = new Set<Promise<void>>();
  #skipped = 0;
  #stopped = false;
  #wake?: () => void;
  #startedAt = 0;
  #endedAt = 0;
  #loop?: Promise<void>;
  #errors: string[] = [];
  #errorKeys = new Set<string>();

  constructor(opts: LoadOptions) {
    if (!(opts.rate > 0)) throw new Error("rate must be above 0");
    this.#opts = {
      path: DEFAULT_PATH,
      maxInFlight: 64,
      timeoutMs: 10_000,
      keepErrors: 10,
      ...opts,
    };
    this.#targets = [...opts.targets];
  }

  /** Starts sending; returns this. */
  start(): this {
    if (this.#loop) return this;
    this.#startedAt = performance.now();
    this.#loop = this.#run();
    return this;
  }

  /** New requests go to these targets from now on (an empty list pauses sending). */
  setTargets(targets: LoadTarget[]): void {
    this.#targets = [...targets];
  }

  get targets(): readonly LoadTarget[] {
    return this.#targets;
  }

  /** Requests running now, all or to one replica URL. */
  inFlight(url?: string): number {
    if (url !== undefined) return this.#inFlight.get(url) ?? 0;
    let n = 0;
    for (const v of this.#inFlight.values()) n += v;
    return n;
  }

  /** Every finished request so far, in the order they finished. */
  samples(): readonly LoadSample[] {
    return this.#samples;
  }

  /** Resolves when the duration is over (or stop() was called) and every request finished. */
  async done(): Promise<LoadSummary> {
    await this.#loop;
    while (this.#running.size) await Promise.all([...this.#running]);
    this.#endedAt ||= performance.now();
    return this.summary();
  }

  /** Stops sending, waits for the requests still running, returns the summary. */
  stop(): Promise<LoadSummary> {
    this.#stopped = true;
    this.#wake?.();
    return this.done();
  }

  /** The summary of the requests finished so far (or of the whole run once done). */
  summary(samples: readonly LoadSample[] = this.#samples): LoadSummary {
    const byStatus: Record<string, number> = {};
    const byMessage: Record<string, number> = {};
    const per = new Map<string, TargetSummary>();
    const latencies: number[] = [];
    let ok = 0;
    for (const s of samples) {
      const label = labelOf(s.target);
      let t = per.get(label);
      if (!t) {
        t = { label, url: s.target.url, clusterId: s.target.clusterId, sent: 0, ok: 0, failed: 0 };
        per.set(label, t);
      }
      t.sent++;
      if (s.ok) {
        ok++;
        t.ok++;
        latencies.push(s.endedAt - s.startedAt);
      } else {
        t.failed++;
        byStatus[String(s.status)] = (byStatus[String(s.status)] ?? 0) + 1;
        const m = messageOf(s);
        byMessage[m] = (byMessage[m] ?? 0) + 1;
      }
    }
    latencies.sort((a, b) => a - b);
    const end = this.#endedAt || performance.now();
    return {
      rate: this.#opts.rate,
      durationMs: Math.round(this.#startedAt ? end - this.#startedAt : 0),
      sent: samples.length,
      ok,
      failed: samples.length - ok,
      skipped: this.#skipped,
      byStatus,
      firstErrors: [...this.#errors],
      byMessage,
      perTarget: [...per.values()],
      latencyMs: {
        p50: Math.round(percentile(latencies, 0.5)),
        p99: Math.round(percentile(latencies, 0.99)),
        max: Math.round(latencies.at(-1) ?? 0),
      },
    };
  }

  async #run(): Promise<void> {
    const period = 1000 / this.#opts.rate;
    const until = this.#opts.durationMs === undefined
      ? Infinity
      : this.#startedAt + this.#opts.durationMs;
    let due = this.#startedAt;
    while (!this.#stopped) {
      const now = performance.now();
      if (now >= until) break;
      if (now < due) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, due - now);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        continue;
      }
      // Behind by more than a second (a stalled event loop): start afresh rather than burst.
      due = now - due > 1000 ? now + period : due + period;
      const targets = this.#targets;
      if (!targets.length) continue;
      if (this.inFlight() >= this.#opts.maxInFlight) {
        this.#skipped++;
        continue;
      }
      const target = targets[this.#next++ % targets.length];
      const p = this.#send(target);
      this.#running.add(p);
      p.finally(() => this.#running.delete(p));
    }
    this.#endedAt = performance.now();
  }

  async #send(target: LoadTarget): Promise<void> {
    this.#inFlight.set(target.url, (this.#inFlight.get(target.url) ?? 0) + 1);
    const startedAt = performance.now();
    let status = 0;
    let error: string | undefined;
    try {
      const client = this.#opts.client?.(target.url);
      const res = await fetch(
        `${target.url}/api/clusters/${target.clusterId}/k8s${this.#opts.path}`,
        {
          headers: { authorization: `Bearer ${this.#opts.token}` },
          signal: AbortSignal.timeout(this.#opts.timeoutMs),
          ...(client ? { client } : {}),
        } as RequestInit,
      );
      status = res.status;
      const body = await res.text();
      if (!res.ok) error = `${status} ${body.replace(/\s+/g, " ").slice(0, 1000)}`;
    } catch (err) {
      status = 0;
      error = `network: ${(err as Error).message}`;
    } finally {
      this.#inFlight.set(target.url, (this.#inFlight.get(target.url) ?? 1) - 1);
    }
    const ok = status >= 200 && status < 300;
    if (!ok) this.#noteError(target, error ?? `status ${status}`);
    this.#samples.push({
      target,
      startedAt,
      endedAt: performance.now(),
      status,
      ok,
      ...(ok ? {} : { error }),
    });
  }

  #noteError(target: LoadTarget, error: string): void {
    if (this.#errors.length >= this.#opts.keepErrors) return;
    // Distinct by message, with the numbers (ids, ports, durations) masked.
    const key = mask(error);
    if (this.#errorKeys.has(key)) return;
    this.#errorKeys.add(key);
    this.#errors.push(`${labelOf(target)}: ${error}`);
  }
}

/** Starts a load generator (see LoadGenerator). */
export function startLoad(opts: LoadOptions): LoadGenerator {
  return new LoadGenerator(opts).start();
}

/** One line: sent, ok, failed by status, skipped, latency, failures by message. */
export function formatSummary(s: LoadSummary): string {
  const statuses = Object.entries(s.byStatus).map(([k, v]) => `${k}:${v}`).join(" ") || "-";
  return `sent=${s.sent} ok=${s.ok} failed=${s.failed} (by status ${statuses}) ` +
    `skipped=${s.skipped} rate=${s.rate}/s over ${(s.durationMs / 1000).toFixed(1)}s ` +
    `latency p50=${s.latencyMs.p50}ms p99=${s.latencyMs.p99}ms max=${s.latencyMs.max}ms` +
    (s.failed ? ` failures by message ${JSON.stringify(s.byMessage)}` : "");
}
