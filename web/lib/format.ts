// Time and size formatting shared by server-rendered pages and islands. Everything takes `now`
// explicitly so server and client render the same text and tests need no clock.

type DateLike = string | number | Date | null | undefined;

function toMs(d: DateLike): number | null {
  if (d === null || d === undefined || d === "") return null;
  const ms = d instanceof Date ? d.getTime() : typeof d === "number" ? d : Date.parse(d);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * "12 s ago", "3 min ago", "5 h ago", "2 d ago"; "just now" under a second; future times (clock
 * skew) read "just now" too. Older than 30 days: the date (YYYY-MM-DD). Missing: `never`.
 */
export function timeAgo(d: DateLike, now: number, never = "never"): string {
  const ms = toMs(d);
  if (ms === null) return never;
  const s = Math.floor((now - ms) / 1000);
  if (s < 1) return "just now";
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ago`;
  const days = Math.floor(h / 24);
  if (days <= 30) return `${days} d ago`;
  return new Date(ms).toISOString().slice(0, 10);
}

/** kubectl's age column: 45s, 12m, 3h4m, 5d, 2y… (k8s.io/apimachinery HumanDuration). */
export function kubeAge(d: DateLike, now: number): string {
  const ms = toMs(d);
  if (ms === null) return "<unknown>";
  const secs = Math.floor((now - ms) / 1000);
  if (secs < 0) return "0s";
  if (secs < 60 * 2) return `${secs}s`;
  const mins = Math.floor(secs / 60);
  if (mins < 10) return secs % 60 === 0 ? `${mins}m` : `${mins}m${secs % 60}s`;
  if (mins < 60 * 3) return `${mins}m`;
  const hours = Math.floor(mins / 60);
  if (hours < 8) return mins % 60 === 0 ? `${hours}h` : `${hours}h${mins % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    return hours % 24 === 0
      ? `${Math.floor(hours / 24)}d`
      : `${Math.floor(hours / 24)}d${hours % 24}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24);
    const years = Math.floor(days / 365);
    return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** Absolute UTC timestamp for tooltips: "2026-01-02 15:04:05 UTC". */
export function absoluteTime(d: DateLike): string {
  const ms = toMs(d);
  if (ms === null) return "";
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/** "in 23 h", "in 5 min", "expired" — for token expiry. */
export function timeUntil(d: DateLike, now: number): string {
  const ms = toMs(d);
  if (ms === null) return "never";
  const s = Math.floor((ms - now) / 1000);
  if (s <= 0) return "expired";
  if (s < 60) return `in ${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `in ${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `in ${h} h`;
  return `in ${Math.floor(h / 24)} d`;
}

/** Round-trip time: "4 ms", "1.2 s"; missing: "—". */
export function formatRtt(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 10) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** 1 → "1 node", 3 → "3 nodes"; null → "—". */
export function plural(n: number | null | undefined, word: string, many = `${word}s`): string {
  if (n === null || n === undefined) return "—";
  return `${n} ${n === 1 ? word : many}`;
}
