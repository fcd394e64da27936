// Small statistics helpers for the benchmarks: percentiles and ratios, formatted for the table.

/** The p-th percentile (0-100) of values, by nearest rank; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export function ratio(a: number, b: number): number {
  return b === 0 || !Number.isFinite(a) || !Number.isFinite(b) ? NaN : a / b;
}

export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return "n/a";
  return n >= 100 ? n.toFixed(0) : n.toFixed(digits);
}

/** Renders rows as a Markdown table (the same text goes to the terminal and the docs). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)]
    .join("\n");
}

/** Resident memory and CPU seconds of a process, from /proc (Linux). */
export async function processStats(
  pid: number,
): Promise<{ rssBytes: number; privateBytes: number; hwmBytes: number; cpuSeconds: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  const stat = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]);
  return {
    rssBytes: kb("VmRSS"),
    // RssAnon: the process's own memory, without the pages of its executable and other files.
    privateBytes: kb("RssAnon"),
    hwmBytes: kb("VmHWM"),
    cpuSeconds: ticks / 100,
  };
}

/**
 * Resets a process's peak RSS (VmHWM) to its current RSS (Linux: "5" to /proc/<pid>/clear_refs),
 * so that a later processStats reads the peak of what ran in between.
 */
export async function resetPeak(pid: number): Promise<void> {
  await Deno.writeTextFile(`/proc/${pid}/clear_refs`, "5");
}
