// The JSON log lines code under test writes (common/log.ts writes one JSON object a line to
// stderr with Deno.stderr.writeSync): captured while a function runs, and parsed. Test tooling
// only.

/**
 * The JSON log lines written to stderr while `fn` runs, parsed. Stderr is captured (not
 * printed) until `fn` settles, then restored, also when `fn` throws.
 */
export async function capturedLogs(fn: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const write = Deno.stderr.writeSync;
  Deno.stderr.writeSync = (p: Uint8Array) => {
    for (const l of new TextDecoder().decode(p).split("\n")) if (l) lines.push(JSON.parse(l));
    return p.length;
  };
  try {
    await fn();
  } finally {
    Deno.stderr.writeSync = write;
  }
  return lines;
}
