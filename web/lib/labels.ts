// A cluster's labels as people type them: one `key=value` per line (the cluster settings dialog
// and the Add Cluster dialog), and as the pages show them (`key=value` chips). Only the shape is
// checked here (an "=", a key, no key twice); the API checks the keys and values themselves
// (Kubernetes-style `[prefix/]name`, values of up to 63 characters, at most 32 labels) and its
// message is what the dialogs show.

/** What an empty labels field shows. */
export const LABELS_PLACEHOLDER = "env=prod\nteam=payments";

export type LabelsParse =
  | { ok: true; labels: Record<string, string> }
  | { ok: false; error: string };

/**
 * Reads `key=value` lines: blank lines are skipped, spaces around the key and the value are
 * trimmed, the value is everything after the first "=" (it may be empty, as in Kubernetes).
 */
export function parseLabelLines(text: string): LabelsParse {
  const labels = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const at = line.indexOf("=");
    if (at < 0) return { ok: false, error: `line ${i + 1}: write key=value (got "${line}")` };
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    if (!key) return { ok: false, error: `line ${i + 1}: the key before "=" is empty` };
    if (labels.has(key)) {
      return { ok: false, error: `line ${i + 1}: the label ${key} is given twice` };
    }
    labels.set(key, value);
  }
  // fromEntries defines own properties: a key such as "__proto__" stays a plain key.
  return { ok: true, labels: Object.fromEntries(labels) };
}

/** The labels sorted by key, one `key=value` per line (what parseLabelLines reads back). */
export function formatLabelLines(labels: Record<string, string> | null | undefined): string {
  return labelList(labels).join("\n");
}

/** The labels as `key=value` strings, sorted by key (chips). */
export function labelList(labels: Record<string, string> | null | undefined): string[] {
  return Object.keys(labels ?? {}).sort().map((k) => `${k}=${labels![k]}`);
}

/** Whether two label sets hold the same keys with the same values. */
export function sameLabels(
  a: Record<string, string> | null | undefined,
  b: Record<string, string> | null | undefined,
): boolean {
  const x = labelList(a), y = labelList(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
