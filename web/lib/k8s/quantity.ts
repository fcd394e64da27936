// Kubernetes resource quantities ("250m", "12345678n", "64Mi", "1.5Gi", "2e3"): parsed to a plain
// number in base units (cores, bytes) and formatted as the metrics columns show them (CPU in
// millicores as kubectl top does, memory in KiB/MiB/GiB).

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY =
  /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/**
 * A quantity's value in base units (cores for CPU, bytes for memory), or null if malformed or
 * beyond a double (whatever a metrics API sends: it is another server's answer).
 */
export function parseQuantity(q: unknown): number | null {
  if (typeof q !== "string" || q.length > 64) return null;
  const m = QUANTITY.exec(q.trim());
  if (!m) return null;
  const n = Number(m[1]) * (m[2] ? 10 ** Number(m[2].slice(1)) : SUFFIX[m[3] ?? ""]);
  return Number.isFinite(n) ? n : null;
}

/** CPU cores as millicores, rounded up as kubectl top does: "0m", "13m", "1500m". */
export function formatCpu(cores: number | null | undefined): string {
  if (cores === null || cores === undefined || !Number.isFinite(cores)) return "—";
  if (cores <= 0) return "0m";
  // A little slack so that 0.25 cores (0.25 * 1000 = 250.00000000000003) is 250m, not 251m.
  return `${Math.ceil(cores * 1000 - 1e-6)}m`;
}

const KI = 1024;
const MI = 1024 * KI;
const GI = 1024 * MI;

/** Bytes as KiB under 1 MiB, whole MiB under 1 GiB, else GiB with one decimal: "34 MiB". */
export function formatMemory(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  if (bytes <= 0) return "0 MiB";
  if (bytes < MI) return `${Math.ceil(bytes / KI)} KiB`;
  if (bytes < GI) {
    const mib = Math.round(bytes / MI);
    return mib >= 1024 ? "1 GiB" : `${mib} MiB`;
  }
  const gib = (Math.round(bytes / GI * 10) / 10).toFixed(1).replace(/\.0$/, "");
  return `${gib} GiB`;
}
