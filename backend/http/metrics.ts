// Prometheus metrics in the text exposition format: request counts and durations by route,
// plus gauges that other modules register (clusters by status, connected agents).

type Labels = Record<string, string>;

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const labelText = (l: Labels) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly histograms = new Map<
    string,
    { buckets: number[]; sum: number; count: number }
  >();
  /** Routes are patterns and statuses few, so this stays small. */
  private readonly requestLabels = new Map<string, { counter: string; histogram: string }>();
  private readonly gauges = new Map<
    string,
    { help: string; read: () => Promise<Array<[Labels, number]>> }
  >();

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const keys = this.requestKeys(method, route, status);
    this.counters.set(keys.counter, (this.counters.get(keys.counter) ?? 0) + 1);
    let h = this.histograms.get(keys.histogram);
    if (!h) {
      h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.histograms.set(keys.histogram, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) h.buckets[i]++;
    h.sum += seconds;
    h.count++;
  }

  /** The label texts of a request's series, escaped once per method, route and status. */
  private requestKeys(method: string, route: string, status: number) {
    const plain = `${method} ${status} ${route}`;
    let keys = this.requestLabels.get(plain);
    if (!keys) {
      keys = {
        counter: labelText({ method, route, status: String(status) }),
        histogram: labelText({ method, route }),
      };
      this.requestLabels.set(plain, keys);
    }
    return keys;
  }

  gauge(name: string, help: string, read: () => Promise<Array<[Labels, number]>>): void {
    this.gauges.set(name, { help, read });
  }

  async render(): Promise<string> {
    const out: string[] = [];
    out.push(
      "# HELP dashboard_http_requests_total HTTP requests served.",
      "# TYPE dashboard_http_requests_total counter",
    );
    for (const [k, v] of this.counters) out.push(`dashboard_http_requests_total${k} ${v}`);
    out.push(
      "# HELP dashboard_http_request_duration_seconds Time to the response head.",
      "# TYPE dashboard_http_request_duration_seconds histogram",
    );
    for (const [k, h] of this.histograms) {
      const base = k.slice(1, -1);
      BUCKETS.forEach((b, i) =>
        out.push(
          `dashboard_http_request_duration_seconds_bucket{${base},le="${b}"} ${h.buckets[i]}`,
        )
      );
      out.push(`dashboard_http_request_duration_seconds_bucket{${base},le="+Inf"} ${h.count}`);
      out.push(`dashboard_http_request_duration_seconds_sum${k} ${h.sum}`);
      out.push(`dashboard_http_request_duration_seconds_count${k} ${h.count}`);
    }
    for (const [name, g] of this.gauges) {
      out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`);
      for (const [labels, value] of await g.read()) {
        out.push(`${name}${labelText(labels)} ${value}`);
      }
    }
    const mem = Deno.memoryUsage();
    out.push(
      "# HELP process_resident_memory_bytes Resident memory.",
      "# TYPE process_resident_memory_bytes gauge",
    );
    out.push(`process_resident_memory_bytes ${mem.rss}`);
    return out.join("\n") + "\n";
  }
}
