// A watch through an agent that outlives the replica carrying it: when the stream under it fails,
// the watch is opened again once, from the resourceVersion of the last event the client received;
// the hub's routing (AgentHub.route) then waits for an agent that is moving between replicas (its
// replica drained or died) and reaches whichever replica holds it now, and the client's response
// simply goes on. An agent that went away itself is not waited for: the reopened watch fails and
// the client's watch ends promptly, as before. Only whole event lines reach the client, so a line
// cut by the failure is never half delivered. A watch also ends as before when its stream ends
// cleanly (the API server's timeout), when the client goes away, or when no resource version is
// known to resume from (nothing seen and none asked for: resuming could miss events).
import { log } from "../../common/log.ts";

/** The longest event line held back while it is incomplete (the agent's own bound is 16 MiB). */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;

/** Whether a request is a watch (GET with watch=true or watch=1). */
export function isWatch(req: Request): boolean {
  return req.method === "GET" &&
    /^(true|1)$/.test(new URL(req.url).searchParams.get("watch") ?? "");
}

/** The resource version of a watch event line, unless it is an ERROR event or has none. */
export function eventResourceVersion(line: Uint8Array): string | null {
  try {
    const e = JSON.parse(new TextDecoder().decode(line)) as {
      type?: string;
      object?: { metadata?: { resourceVersion?: unknown } };
    };
    const rv = e.object?.metadata?.resourceVersion;
    return e.type !== "ERROR" && typeof rv === "string" && rv !== "" ? rv : null;
  } catch {
    return null;
  }
}

/** The same watch request, from resource version `rv`. */
export function watchFrom(req: Request, rv: string): Request {
  const url = new URL(req.url);
  url.searchParams.set("resourceVersion", rv);
  return new Request(url, { method: "GET", headers: req.headers, signal: req.signal });
}

/**
 * Wraps a watch's response so that a failure of the stream under it is resumed with `reopen`
 * (which takes the request to send); see the module comment. Anything but a 200 is returned as it
 * is.
 */
export function resumableWatch(
  req: Request,
  first: Response,
  reopen: (req: Request) => Promise<Response>,
): Response {
  if (first.status !== 200 || !first.body) return first;
  const initialRv = new URL(req.url).searchParams.get("resourceVersion") || null;
  let reader = first.body.getReader();
  /** The unfinished line's pieces. */
  let tail: Uint8Array[] = [];
  let tailBytes = 0;
  /** The pieces of the last whole line passed on (joined and parsed only for a resume). */
  let lastLine: Uint8Array[] | null = null;
  let resumes = 0;
  /** The client went away: a failing read is expected then, and nobody is told. */
  let cancelled = false;

  const resumePoint = (): string | null =>
    lastLine ? eventResourceVersion(joinBytes(lastLine)) : initialRv;

  /** Opens the watch again from the last event; false when it cannot be resumed. */
  const resume = async (why: unknown): Promise<boolean> => {
    const rv = resumePoint();
    if (!rv || req.signal.aborted) return false;
    const path = new URL(req.url).pathname;
    try {
      const res = await reopen(watchFrom(req, rv));
      if (res.status === 200 && res.body) {
        reader = res.body.getReader();
        tail = [];
        tailBytes = 0;
        resumes++;
        log.info("watch resumed", { path, resource_version: rv, after: String(why) });
        return true;
      }
      await res.body?.cancel();
      log.info("watch not resumed", { path, status: res.status, resumes });
    } catch (err) {
      log.info("watch not resumed", { path, err, resumes });
    }
    return false;
  };

  const body = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (cancelled) return;
          if (req.signal.aborted) {
            ctrl.close();
            return;
          }
          if (await resume(err)) continue;
          ctrl.error(err);
          return;
        }
        if (chunk.done) {
          ctrl.close();
          return;
        }
        const data = chunk.value;
        const end = data.lastIndexOf(NEWLINE);
        if (end < 0) {
          tail.push(data);
          tailBytes += data.length;
          if (tailBytes > MAX_LINE_BYTES) {
            ctrl.error(new Error(`a watch event is longer than ${MAX_LINE_BYTES} bytes`));
            await reader.cancel().catch(() => {});
            return;
          }
          continue;
        }
        // Whole lines go out now, uncopied; the piece after the last newline waits for its end.
        const before = end > 0 ? data.lastIndexOf(NEWLINE, end - 1) : -1;
        lastLine = before >= 0
          ? [data.subarray(before + 1, end)]
          : [...tail, data.subarray(0, end)];
        for (const piece of tail) ctrl.enqueue(piece);
        ctrl.enqueue(data.subarray(0, end + 1));
        tail = end + 1 < data.length ? [data.subarray(end + 1)] : [];
        tailBytes = data.length - end - 1;
        return;
      }
    },
    async cancel(reason) {
      cancelled = true;
      await reader.cancel(reason).catch(() => {});
    },
  });
  return new Response(body, { status: first.status, headers: first.headers });
}

function joinBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
