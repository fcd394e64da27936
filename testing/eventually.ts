/**
 * eventually(): the one polling helper of the tests (and of tools/testenv's readiness waits),
 * after Gomega's Eventually. It calls a condition until it returns something truthy, every
 * `intervalMs`, and fails after `timeoutMs` with a message that says what it waited for, the
 * condition's last error if it threw, and any extra `message` the caller adds (a log tail, say).
 * A condition that throws keeps being polled (the API may not be up yet), unless it throws
 * StopTrying: then eventually() fails at once (a process it waits on has exited, say).
 *
 * Dependency-free, so anything under testing/, tools/ or e2e/ may import it.
 */

/** How long and how often eventually() polls, and what it adds to its failure. */
export interface EventuallyOptions {
  /** Give up after this long (default 15 s). The condition is always tried at least once. */
  timeoutMs?: number;
  /** Wait this long between tries (default 100 ms). */
  intervalMs?: number;
  /** Appended to the failure message; a function is called only on failure. */
  message?: string | (() => string | Promise<string>);
}

/** Thrown by a condition to make eventually() fail at once with this error's message. */
export class StopTrying extends Error {
  override name = "StopTrying";
}

/** A condition's result once truthy: not undefined, null or false. */
export type Truthy<T> = Exclude<T, undefined | null | false>;

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_INTERVAL_MS = 100;

/**
 * Calls `condition` until it returns a truthy value and returns that value. `opts` may be a
 * timeout in milliseconds. Fails with "timed out after N ms waiting for <what>: <last error>".
 */
export async function eventually<T>(
  what: string,
  condition: () => T | Promise<T>,
  opts: EventuallyOptions | number = {},
): Promise<Truthy<T>> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = DEFAULT_INTERVAL_MS, message } =
    typeof opts === "number" ? { timeoutMs: opts } : opts;
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await condition();
      if (v) return v as Truthy<T>;
    } catch (err) {
      if (err instanceof StopTrying) throw err;
      last = err;
    }
    if (performance.now() >= deadline) {
      const cause = last === undefined
        ? ""
        : `: ${last instanceof Error ? last.message : String(last)}`;
      const extra = typeof message === "function" ? await message() : message;
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${cause}${extra ? `\n${extra}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `p`, or a failure "timed out after N ms: <what>" when it has not settled within `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
