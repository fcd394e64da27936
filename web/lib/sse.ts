// A Server-Sent Events parser for streams read with fetch(): unlike EventSource it lets the page
// see HTTP statuses (401 → log in again, 404 → the server has no stream: poll instead).

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Feeds text chunks; returns the complete events (per the WHATWG event-stream rules). */
export class SseParser {
  #buf = "";
  #event = "";
  #data: string[] = [];
  #id: string | undefined;

  push(chunk: string): SseEvent[] {
    this.#buf += chunk;
    const out: SseEvent[] = [];
    const lines = this.#buf.split(/\r\n|\r|\n/);
    this.#buf = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "") {
        if (this.#data.length) {
          out.push({
            event: this.#event || "message",
            data: this.#data.join("\n"),
            ...(this.#id !== undefined ? { id: this.#id } : {}),
          });
        }
        this.#event = "";
        this.#data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") this.#event = value;
      else if (field === "data") this.#data.push(value);
      else if (field === "id") this.#id = value;
    }
    return out;
  }
}
