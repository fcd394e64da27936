// Byte-stream helpers both ends of the tunnel use: joining chunks, racing a promise against a
// deadline, and coalescing a stream's small chunks into tunnel-sized messages without holding
// back data that is not already on its way (a trickle such as `logs -f` is not delayed).

/** Joins chunks into one array of `total` bytes. */
export function concatBytes(chunks: Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Resolves with p's value, or "timeout" after ms (the timer is always cleared). */
export async function firstOf<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), Math.max(0, ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A piece of a coalesced stream; `last` when the stream ended right after it. */
export interface Piece {
  bytes: Uint8Array;
  last: boolean;
}

/**
 * Yields the stream's bytes in pieces of up to about `target` bytes: after each chunk, more is
 * taken only while the next read completes before a zero-delay timer, so data already buffered
 * is joined and a slow stream is passed on as soon as it arrives. A piece is marked `last` when
 * the end of the stream was seen with it (a small body is then known to be whole).
 */
export async function* coalesce(
  body: ReadableStream<Uint8Array>,
  target: number,
): AsyncGenerator<Piece> {
  const reader = body.getReader();
  let next: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  try {
    for (;;) {
      const first = await (next ?? reader.read());
      next = undefined;
      if (first.done) return;
      const parts = [first.value];
      let size = first.value.length;
      let ended = false;
      while (size < target) {
        next = reader.read();
        const r = await firstOf(next, 0);
        if (r === "timeout") break;
        next = undefined;
        if (r.done) {
          ended = true;
          break;
        }
        parts.push(r.value);
        size += r.value.length;
      }
      yield { bytes: parts.length === 1 ? parts[0] : concatBytes(parts, size), last: ended };
      if (ended) return;
    }
  } finally {
    // An early exit (the tunnel broke) cancels the source; a finished stream is just released.
    await reader.cancel().catch(() => {});
  }
}
