// A line diff, pure and bounded, for showing what an apply would change (the Create / apply page):
// the longest common subsequence of two texts' lines after their common head and tail are set
// aside, with the unchanged runs folded to a few lines of context. Past `maxCells` (the LCS table's
// size) the changed middle is shown as removed-then-added instead of aligned, so a huge object never
// costs more than that much memory and time.

/** One line of a diff: kept, removed from the old text, or added in the new. */
export interface DiffLine {
  op: "equal" | "remove" | "add";
  text: string;
  /** Its line number in the old text (equal, remove), 1-based. */
  oldLine?: number;
  /** Its line number in the new text (equal, add), 1-based. */
  newLine?: number;
}

export interface LineDiff {
  lines: DiffLine[];
  added: number;
  removed: number;
  /** False when the changed middle was too large to align (shown as removed, then added). */
  aligned: boolean;
}

/** The LCS table's largest size (cells) before the middle is shown unaligned. */
export const MAX_DIFF_CELLS = 2_000_000;

/** Splits a text into lines; a final newline ends the last line rather than starting another. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** The diff of two lists of lines. */
export function diffLines(a: string[], b: string[], maxCells = MAX_DIFF_CELLS): LineDiff {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head && tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const out: DiffLine[] = [];
  let oi = 0;
  let ni = 0;
  const equal = (text: string) => out.push({ op: "equal", text, oldLine: ++oi, newLine: ++ni });
  const remove = (text: string) => out.push({ op: "remove", text, oldLine: ++oi });
  const add = (text: string) => out.push({ op: "add", text, newLine: ++ni });

  for (let i = 0; i < head; i++) equal(a[i]);
  const n = am.length;
  const m = bm.length;
  const aligned = (n + 1) * (m + 1) <= maxCells || n === 0 || m === 0;
  if (!aligned || n === 0 || m === 0) {
    am.forEach(remove);
    bm.forEach(add);
  } else {
    // lcs[i][j]: the LCS length of am[i..] and bm[j..], row-major in one array.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = am[i] === bm[j]
          ? lcs[(i + 1) * w + j + 1] + 1
          : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (am[i] === bm[j]) {
        equal(am[i]);
        i++;
        j++;
      } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
        remove(am[i++]);
      } else {
        add(bm[j++]);
      }
    }
    while (i < n) remove(am[i++]);
    while (j < m) add(bm[j++]);
  }
  for (let i = a.length - tail; i < a.length; i++) equal(a[i]);
  return {
    lines: out,
    added: out.filter((l) => l.op === "add").length,
    removed: out.filter((l) => l.op === "remove").length,
    aligned,
  };
}

/** A row to show: a diff line, or a fold of unchanged lines. */
export type DiffRow = DiffLine | { op: "skip"; count: number };

/**
 * The rows to show: every change with `context` unchanged lines around it, each longer unchanged
 * run folded into one "skip" row. No change: no rows.
 */
export function diffRows(lines: DiffLine[], context = 3): DiffRow[] {
  const near = new Uint8Array(lines.length);
  lines.forEach((l, i) => {
    if (l.op === "equal") return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) {
      near[k] = 1;
    }
  });
  const rows: DiffRow[] = [];
  let skipped = 0;
  lines.forEach((l, i) => {
    if (near[i]) {
      if (skipped) rows.push({ op: "skip", count: skipped });
      skipped = 0;
      rows.push(l);
    } else {
      skipped++;
    }
  });
  if (skipped && rows.length) rows.push({ op: "skip", count: skipped });
  return rows;
}
