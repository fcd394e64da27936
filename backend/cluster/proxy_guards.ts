// Pure guards of the Kubernetes-compatible proxy (proxy.ts), kept apart so each is unit-tested
// on its own: the agent credential's path, which response content types a browser may render
// as they are, and the per-caller bound on concurrent proxied requests (watches included) with
// the body wrapper that gives a slot back when a response ends or its client goes away.

/** The Secret the agent's Helm chart keeps its dashboard credential in (the chart's default). */
export const AGENT_CREDENTIAL_SECRET = "dashboard-agent-credential";

/** Concurrent proxied requests one caller (session or API token) may have open per cluster. */
export const PER_CALLER_LIMIT = 64;

/** Seconds a caller refused for too many concurrent requests is told to wait. */
export const RETRY_AFTER_SECONDS = 5;

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Whether a Kubernetes API path names the agent credential Secret in any namespace: the object,
 * any of its subresources, a trailing slash, and the legacy /api/v1/watch/namespaces/… form.
 * Segments are compared decoded (the API server decodes them) and empty ones are ignored.
 */
export function isAgentCredentialPath(path: string): boolean {
  const s = path.split("/").filter((seg) => seg !== "").map(decodeSegment);
  if (s[0] !== "api" || s.length < 2) return false;
  const i = s[2] === "watch" ? 3 : 2;
  return s[i] === "namespaces" && s[i + 2] === "secrets" && s[i + 3] === AGENT_CREDENTIAL_SECRET;
}

/**
 * Whether a response of this content type is inert in a browser as it is: JSON (and +json),
 * YAML, Kubernetes protobuf, or text/plain (logs). Everything else, and a missing type, may be
 * rendered (HTML, SVG, XML with scripts) and is served as a sandboxed download instead.
 */
export function isInertContentType(contentType: string | null | undefined): boolean {
  const essence = (contentType ?? "").split(";", 1)[0].trim().toLowerCase();
  return essence === "application/json" ||
    /^application\/[a-z0-9.-]+\+json$/.test(essence) ||
    essence === "application/yaml" ||
    essence === "application/vnd.kubernetes.protobuf" ||
    essence === "text/plain";
}

/** Counts concurrent holders per key and refuses beyond the limit. */
export class ConcurrencyLimiter {
  readonly #inUse = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** A release function (idempotent) when a slot was free, else null. */
  tryAcquire(key: string): (() => void) | null {
    const n = this.#inUse.get(key) ?? 0;
    if (n >= this.limit) return null;
    this.#inUse.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inUse.get(key) ?? 1) - 1;
      if (left <= 0) this.#inUse.delete(key);
      else this.#inUse.set(key, left);
    };
  }

  /** Slots in use for a key (0 when none). */
  inUse(key: string): number {
    return this.#inUse.get(key) ?? 0;
  }

  /** Keys holding at least one slot (a leak shows up here). */
  get size(): number {
    return this.#inUse.size;
  }
}

/**
 * Wraps a response body so release() runs once when it ends, fails, or is cancelled (the client
 * went away). Pull-based with no queue of its own, so a slow client still holds the stream back.
 * A read that fails because `stopped` was aborted (the dashboard stopping, the client gone) ends
 * the stream quietly, as a watch ends; any other failure errors it.
 */
export function releaseWhenDone(
  body: ReadableStream<Uint8Array> | null,
  release: () => void,
  stopped?: AbortSignal,
): ReadableStream<Uint8Array> | null {
  if (!body) {
    release();
    return null;
  }
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await reader.read();
        if (r.done) {
          release();
          controller.close();
        } else {
          controller.enqueue(r.value);
        }
      } catch (err) {
        release();
        if (stopped?.aborted) controller.close();
        else controller.error(err);
      }
    },
    async cancel(reason) {
      release();
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}
