// Runs a watch the dashboard asked for (WatchStart) against the agent's API server and sends
// each event back as a WatchEvent frame. The agent tracks the last resourceVersion: when the API
// server ends the watch (its own timeout, a restart, a dropped connection), the agent resumes
// from there, so the client sees one unbroken watch; when that version is too old (410 Gone) the
// client gets the API server's ERROR event and relists, as with a direct watch.
import type { WatchStart__Output } from "../proto/gen/agent/v1/WatchStart.ts";
import {
  forwardHeaders,
  type ImpersonationPolicy,
  ImpersonationRefused,
  type KubeAccess,
} from "./kube.ts";
import type { Exchange } from "./tunnel.ts";
import { failTunnel, responseHeaders } from "./proxy.ts";
import { log } from "../common/log.ts";
import { lines } from "../common/lines.ts";

const RESUME_DELAY_MS = 1_000;
const MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface ParsedEvent {
  type: string;
  resourceVersion: string;
  /** The raw JSON of the event's object, unparsed and uncopied where possible. */
  object: Uint8Array;
  /** ERROR event carrying 410 Gone: the resume point is too old. */
  gone: boolean;
}

const encoder = new TextEncoder();

/** Splits one watch line ({"type":..,"object":..}) into its parts. */
export function parseEventLine(line: string): ParsedEvent {
  const e = JSON.parse(line) as {
    type?: string;
    object?: { code?: number; metadata?: { resourceVersion?: string } };
  };
  if (typeof e?.type !== "string" || e.object === undefined) throw new Error("not a watch event");
  // The API server writes {"type":"..","object":{..}}: then the object's raw JSON is sliced out
  // as is. Any other layout (key order, spacing, extra keys) is re-serialized instead.
  const prefix = /^\{"type":"[A-Za-z]*","object":/.exec(line);
  const raw = prefix && line.endsWith("}") && Object.keys(e).length === 2
    ? line.slice(prefix[0].length, line.length - 1)
    : JSON.stringify(e.object);
  return {
    type: e.type,
    resourceVersion: e.object.metadata?.resourceVersion ?? "",
    object: encoder.encode(raw),
    gone: e.type === "ERROR" && e.object.code === 410,
  };
}

/** The lines of a watch's body; an event (one line) over 16 MiB fails it. */
export function watchLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  return lines(body, MAX_LINE_BYTES, () => new Error("a watch event is larger than 16 MiB"));
}

function watchUrl(path: string, resourceVersion: string): string {
  const [p, q = ""] = path.split("?", 2);
  const params = new URLSearchParams(q);
  params.set("watch", "true");
  if (!params.has("allowWatchBookmarks")) params.set("allowWatchBookmarks", "true");
  if (resourceVersion) params.set("resourceVersion", resourceVersion);
  else params.delete("resourceVersion");
  return `${p}?${params}`;
}

export async function runWatch(
  kube: KubeAccess,
  start: WatchStart__Output,
  tunnel: Exchange,
  opts: ImpersonationPolicy,
): Promise<void> {
  let headers: Headers;
  try {
    headers = forwardHeaders(start.headers, opts);
  } catch (err) {
    if (!(err instanceof ImpersonationRefused)) throw err;
    await failTunnel(tunnel, false, 403, err.message);
    return;
  }
  headers.set("accept", "application/json");
  const clientTimeout = new URLSearchParams(start.path.split("?")[1] ?? "").has("timeoutSeconds");
  let rv = start.resource_version;
  let headSent = false;
  try {
    while (!tunnel.signal.aborted) {
      const res = await kube.fetch(watchUrl(start.path, rv), { headers, signal: tunnel.signal });
      if (!headSent) {
        await tunnel.respond(res.status, responseHeaders(res));
        headSent = true;
        if (!res.ok) {
          if (res.body) { for await (const chunk of res.body) await tunnel.sendBody(chunk); }
          tunnel.finish();
          return;
        }
      } else if (!res.ok) {
        // Resuming failed: tell the client as the API server would, then end.
        const text = await res.text();
        await tunnel.write({
          watch_event: { type: "ERROR", object: encoder.encode(text), resource_version: "" },
        });
        tunnel.finish();
        return;
      }
      for await (const line of watchLines(res.body!)) {
        const e = parseEventLine(line);
        await tunnel.write({
          watch_event: { type: e.type, object: e.object, resource_version: e.resourceVersion },
        });
        if (e.gone) {
          tunnel.finish();
          return;
        }
        if (e.resourceVersion) rv = e.resourceVersion;
      }
      if (clientTimeout) break;
      log.debug("watch ended by the API server; resuming", {
        path: start.path.split("?")[0],
        resourceVersion: rv,
      });
      await new Promise((r) => setTimeout(r, RESUME_DELAY_MS));
    }
    tunnel.finish();
  } catch (err) {
    if (tunnel.signal.aborted) {
      tunnel.finish("cancelled");
      return;
    }
    log.warn("watch failed", { path: start.path.split("?")[0], err });
    await failTunnel(tunnel, headSent, 502, `the agent's watch failed: ${(err as Error).message}`);
  }
}
