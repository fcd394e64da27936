// Log lines from several streams at once (all containers of a pod, all pods of a workload): each
// line keeps where it came from and when it was written (the kubelet's timestamp, asked for with
// timestamps=true), and lines are kept in time order as they arrive, so the streams' output
// interleaves as it happened; each stream keeps its number (its prefix colour); the search box's
// test. Pure logic for web/islands/LogViewer.tsx and WorkloadLogs.tsx.

/** One line: its source's index, its timestamp (ms; NaN when it had none), the stamp, the text. */
export interface LogLine {
  src: number;
  at: number;
  stamp: string;
  text: string;
}

/** The kubelet's RFC 3339 stamp at the start of a line with timestamps=true, and its space. */
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) /;

/** Splits a line into its timestamp and text (a line without one keeps NaN and all its text). */
export function parseLine(src: number, line: string): LogLine {
  const m = STAMP.exec(line);
  if (!m) return { src, at: NaN, stamp: "", text: line };
  // Date.parse reads milliseconds only: nanoseconds beyond them are dropped.
  const at = Date.parse(m[1].replace(/(\.\d{3})\d+/, "$1"));
  return { src, at, stamp: m[1], text: line.slice(m[0].length) };
}

/**
 * Inserts `line` after every line not later than it (arrival order among equal times); a line
 * without a timestamp goes last. Lines mostly arrive in order, so the search starts at the end.
 */
export function insertByTime(lines: LogLine[], line: LogLine): void {
  if (Number.isNaN(line.at)) {
    lines.push(line);
    return;
  }
  let i = lines.length;
  while (i > 0 && (Number.isNaN(lines[i - 1].at) || lines[i - 1].at > line.at)) i--;
  lines.splice(i, 0, line);
}

/** Keeps the newest `max` lines (drops from the front, in place). */
export function trimTo(lines: LogLine[], max: number): void {
  if (lines.length > max) lines.splice(0, lines.length - max);
}

/** The colour of a source's prefix (Tailwind classes written out, so the build keeps them). */
const PREFIX_COLOURS = [
  "text-sky-400",
  "text-emerald-400",
  "text-amber-400",
  "text-fuchsia-400",
  "text-rose-400",
  "text-lime-400",
  "text-cyan-400",
  "text-violet-400",
];

export const prefixColour = (src: number) => PREFIX_COLOURS[src % PREFIX_COLOURS.length];

/**
 * Stable source numbers for named streams (`pod/container`): a stream keeps its number, so its
 * prefix colour, for as long as the view lives, however streams come and go.
 */
export class Sources {
  #index = new Map<string, number>();
  #names: string[] = [];

  /** The stream's number, given on first sight. */
  of(name: string): number {
    let i = this.#index.get(name);
    if (i === undefined) {
      i = this.#names.push(name) - 1;
      this.#index.set(name, i);
    }
    return i;
  }

  name(src: number): string {
    return this.#names[src] ?? "";
  }
}

/**
 * The search box's test: case-insensitive, on the line as shown with its prefix (so a pod's or
 * container's name finds its lines); a blank query keeps every line.
 */
export function lineFilter(query: string): (shown: string) => boolean {
  const q = query.trim().toLowerCase();
  return q ? (shown) => shown.toLowerCase().includes(q) : () => true;
}
