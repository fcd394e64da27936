// Splitting a text or byte stream into lines (newline-delimited JSON: watch events, logs, the
// benchmark's child process reports). One splitter for the dashboard, the agent and the browser.

/** Splits pushed text into complete lines, keeping the unfinished tail; blank lines are dropped. */
export class LineSplitter {
  #buf = "";

  push(chunk: string): string[] {
    this.#buf += chunk;
    const parts = this.#buf.split("\n");
    this.#buf = parts.pop() ?? "";
    return parts.filter((l) => l.trim() !== "");
  }

  /** The unfinished tail as a last line, if it is not blank. */
  flush(): string[] {
    const rest = this.#buf;
    this.#buf = "";
    return rest.trim() ? [rest] : [];
  }

  /** Characters of the unfinished line held so far. */
  get pending(): number {
    return this.#buf.length;
  }
}

/**
 * Yields the trimmed, non-blank lines of a byte stream. With `maxLine`, an unfinished line longer
 * than that many characters fails the stream with `tooLong()`.
 */
export async function* lines(
  body: AsyncIterable<Uint8Array>,
  maxLine = Infinity,
  tooLong: () => Error = () => new Error(`a line is longer than ${maxLine} characters`),
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const split = new LineSplitter();
  for await (const chunk of body) {
    for (const line of split.push(decoder.decode(chunk, { stream: true }))) yield line.trim();
    if (split.pending > maxLine) throw tooLong();
  }
  for (const line of [...split.push(decoder.decode()), ...split.flush()]) yield line.trim();
}
