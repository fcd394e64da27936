// The Kubernetes remotecommand WebSocket protocol (exec and attach), as the Shell tab's terminal
// speaks it through the dashboard's proxy: the URLs and subprotocols, framing (one channel byte,
// then the payload), stdin/resize/close messages, decoding the server's messages, the
// metav1.Status the server sends when the process ends and its exit code, and the "command not
// found, retry with sh" rule. Pure logic: no DOM, no WebSocket; unit-tested in
// remotecommand_test.ts.
//
// Channels: 0 stdin (to the server), 1 stdout, 2 stderr, 3 error/status (a JSON metav1.Status
// when the process ends, in v4 and v5), 4 resize (to the server, JSON {"Width":c,"Height":r}),
// and in v5 only 255 close (to the server: [255, n] half-closes stream n, so [255, 0] is EOF on
// stdin). v4 has no close signal: closing the WebSocket is the only way to end stdin.
import { proxyBase } from "./paths.ts";

/** The subprotocols the browser offers, best first. */
export const SUBPROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const;

export const CHANNEL = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  error: 3,
  resize: 4,
  close: 255,
} as const;

export interface StreamTarget {
  clusterId: string;
  namespace: string;
  pod: string;
  container: string;
}

/** Query values as the API expects them; "/" stays readable (`command=/bin/sh`). */
const q = (v: string) => encodeURIComponent(v).replace(/%2F/gi, "/");

function podBase(t: StreamTarget): string {
  return `${proxyBase(t.clusterId)}/api/v1/namespaces/${encodeURIComponent(t.namespace)}/pods/${
    encodeURIComponent(t.pod)
  }`;
}

/**
 * The path (with query) of an exec through the dashboard's proxy: one `command=` per argv
 * element, stdin/stdout/stderr and a TTY.
 */
export function execPath(t: StreamTarget, argv: string[]): string {
  if (argv.length === 0) throw new Error("exec needs a command");
  const parts = [
    `container=${q(t.container)}`,
    ...argv.map((a) => `command=${q(a)}`),
    "stdin=true",
    "stdout=true",
    "stderr=true",
    "tty=true",
  ];
  return `${podBase(t)}/exec?${parts.join("&")}`;
}

/** The path (with query) of an attach to the container's main process (no command). */
export function attachPath(t: StreamTarget): string {
  return `${podBase(t)}/attach?container=${q(t.container)}&stdin=true&stdout=true&tty=true`;
}

/** ws:// or wss:// URL of a same-origin path, for the page at `loc`. */
export function webSocketUrl(path: string, loc: { protocol: string; host: string }): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}${path}`;
}

/** Whether the negotiated subprotocol has the close channel (v5). */
export const hasCloseChannel = (protocol: string) => protocol === "v5.channel.k8s.io";

// ---------------------------------------------------------------------------------------------
// Messages to the server

const encoder = new TextEncoder();

function frame(channel: number, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(payload.length + 1);
  out[0] = channel;
  out.set(payload, 1);
  return out;
}

/** Stdin: text is sent as UTF-8; bytes as they are. */
export function encodeStdin(data: string | Uint8Array): Uint8Array<ArrayBuffer> {
  return frame(CHANNEL.stdin, typeof data === "string" ? encoder.encode(data) : data);
}

/**
 * Binary terminal input (xterm's onBinary: a string whose char codes are bytes, e.g. some mouse
 * reports) as stdin: each char code becomes one byte, never re-encoded as UTF-8.
 */
export function encodeBinaryStdin(data: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) bytes[i] = data.charCodeAt(i) & 0xff;
  return frame(CHANNEL.stdin, bytes);
}

/** A terminal size change (the TTY's columns and rows), whole numbers of at least 1. */
export function encodeResize(cols: number, rows: number): Uint8Array<ArrayBuffer> {
  const size = (n: number) => Math.max(1, Math.min(0xffff, Math.floor(n) || 1));
  return frame(
    CHANNEL.resize,
    encoder.encode(JSON.stringify({ Width: size(cols), Height: size(rows) })),
  );
}

/** v5 only: half-closes a stream (stdin by default): the process reads end of file. */
export function encodeClose(stream: number = CHANNEL.stdin): Uint8Array<ArrayBuffer> {
  return new Uint8Array([CHANNEL.close, stream]);
}

// ---------------------------------------------------------------------------------------------
// Messages from the server

export type Frame =
  | { kind: "stdout"; data: Uint8Array }
  | { kind: "stderr"; data: Uint8Array }
  /** Part (usually all) of the error channel: a JSON metav1.Status. */
  | { kind: "error"; data: Uint8Array }
  /** v5: the server closed a stream. */
  | { kind: "close"; stream: number }
  /** A message with no payload (servers may announce channels so) or an unknown channel. */
  | { kind: "ignore"; channel: number };

/**
 * Decodes one WebSocket message. Binary messages are the norm; a text message (no v4/v5 server
 * sends one) is read as bytes of its UTF-8 form so it cannot break the session.
 */
export function decodeMessage(msg: ArrayBuffer | ArrayBufferView | string): Frame {
  const bytes = typeof msg === "string"
    ? encoder.encode(msg)
    : msg instanceof ArrayBuffer
    ? new Uint8Array(msg)
    : new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
  if (bytes.length === 0) return { kind: "ignore", channel: -1 };
  const channel = bytes[0];
  const data = bytes.subarray(1);
  if (channel === CHANNEL.close) {
    return data.length ? { kind: "close", stream: data[0] } : { kind: "ignore", channel };
  }
  if (data.length === 0) return { kind: "ignore", channel };
  switch (channel) {
    case CHANNEL.stdout:
      return { kind: "stdout", data };
    case CHANNEL.stderr:
      return { kind: "stderr", data };
    case CHANNEL.error:
      return { kind: "error", data };
    default:
      return { kind: "ignore", channel };
  }
}

/** The metav1.Status the server sends on the error channel when the process ends. */
export interface KubeStatus {
  kind?: string;
  status?: "Success" | "Failure" | string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { reason?: string; message?: string; field?: string }[] };
}

/**
 * Parses the error channel's text: a Status, or null while it is not complete JSON yet (the
 * caller keeps collecting). A complete text that is not a Status (older protocols sent plain
 * text) becomes a Failure carrying it as the message when `final` is set.
 */
export function parseStatus(text: string, final = false): KubeStatus | null {
  const t = text.trim();
  if (!t) return null;
  try {
    const v = JSON.parse(t);
    if (v && typeof v === "object" && !Array.isArray(v)) return v as KubeStatus;
  } catch {
    // incomplete, or not JSON
  }
  return final ? { status: "Failure", message: t } : null;
}

/**
 * The process's exit code: 0 for Success, the ExitCode cause of a Failure, or null when the
 * Status names none (the exec could not start, the stream broke).
 */
export function exitCodeOf(status: KubeStatus): number | null {
  if (status.status === "Success") return 0;
  const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
  if (!cause?.message) return null;
  const n = Number(cause.message.trim());
  return Number.isInteger(n) ? n : null;
}

/**
 * What the server's final `status` means for the session: it ended (the process exited, with its
 * code), or it never ran or broke (a refusal such as a missing pod or a viewer's 403, which the
 * dashboard sends on the error channel; an error), shown as a disconnection with the message.
 */
export function sessionOutcome(
  status: KubeStatus,
): { state: "ended" | "disconnected"; text: string } {
  const code = exitCodeOf(status);
  if (code !== null) return { state: "ended", text: `the session ended (exit code ${code})` };
  return {
    state: "disconnected",
    text: status.message?.trim() || status.reason || "the server reported a failure",
  };
}

// ---------------------------------------------------------------------------------------------
// The command field

/**
 * Splits the command field into argv like a POSIX shell does words (no expansion): blanks
 * separate words, '…' keeps everything literally, "…" keeps all but \" and \\, a backslash
 * outside quotes escapes the next character. Throws on an unterminated quote.
 */
export function splitCommand(input: string): string[] {
  const out: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === " " || c === "\t" || c === "\n") {
      if (inWord) out.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) throw new Error("the command has an unterminated ' quote");
      word += input.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= input.length) throw new Error('the command has an unterminated " quote');
        const d = input[i];
        if (d === '"') break;
        if (d === "\\" && (input[i + 1] === '"' || input[i + 1] === "\\")) {
          word += input[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === "\\" && i + 1 < input.length) {
      word += input[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(word);
  return out;
}

/** What the terminal knows about a session that ended, for the retry rule. */
export interface EndedSession {
  argv: string[];
  /** The Status the server sent, if any. */
  status: KubeStatus | null;
  /** Milliseconds from the WebSocket opening to the end. */
  elapsedMs: number;
  /** Whether the user had typed anything (so the end is the user's doing, e.g. `exit 127`). */
  typed: boolean;
  /** Whether this session already was the retry. */
  retried: boolean;
}

/** How soon after opening a failure counts as "the command did not start". */
export const FAST_FAILURE_MS = 5_000;

const MISSING =
  /executable file not found|no such file or directory|command not found|exec format error|permission denied/i;

/**
 * Whether a session that ended should be retried once with `sh`: the command (not already
 * `sh`) failed at once, before any input, with exit code 126/127 or a runtime message saying
 * the executable is missing or cannot run.
 */
export function shouldRetryWithSh(s: EndedSession): boolean {
  if (s.retried || s.typed || !s.status || s.elapsedMs > FAST_FAILURE_MS) return false;
  if (s.argv.length === 1 && s.argv[0] === "sh") return false;
  if (s.status.status === "Success") return false;
  const code = exitCodeOf(s.status);
  return code === 126 || code === 127 || (code === null && MISSING.test(s.status.message ?? ""));
}

/** The container a pod's terminal starts with: the default-container annotation, else the first. */
export function defaultContainer(
  containers: string[],
  annotations: Record<string, string> | undefined,
): string {
  const annotated = annotations?.["kubectl.kubernetes.io/default-container"];
  return annotated && containers.includes(annotated) ? annotated : containers[0] ?? "";
}
