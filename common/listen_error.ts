// Start-up errors of listeners whose address a setting chooses (the dashboard's HTTP_ADDR and
// GRPC_ADDR, the agent's HEALTH_ADDR): an address in use, a privileged port, an address that is
// not this machine's become one line that names the address and the setting to change, reported
// by the entry points as a configuration error (exit 2) instead of a stack trace.

/** Why binding failed, for the failures another address fixes. */
export type ListenFailure = "in-use" | "denied" | "unavailable";

/**
 * Classifies a bind error from Deno (Deno.serve, Deno.listen), node:net/node:tls (`code`) or
 * grpc-js (bindAsync's "No address added out of total 1 resolved errors: [listen EADDRINUSE: …]").
 * Deno's node compatibility reports an address that is not this machine's as EINVAL.
 */
export function listenFailure(err: unknown): ListenFailure | undefined {
  if (err instanceof Deno.errors.AddrInUse) return "in-use";
  if (err instanceof Deno.errors.PermissionDenied) return "denied";
  if (err instanceof Deno.errors.AddrNotAvailable) return "unavailable";
  const code = (err as { code?: unknown } | null)?.code;
  const text = `${typeof code === "string" ? code : ""} ${err instanceof Error ? err.message : ""}`;
  if (/\bEADDRINUSE\b/.test(text)) return "in-use";
  if (/\bEACCES\b/.test(text)) return "denied";
  if (/\b(EADDRNOTAVAIL|EINVAL)\b/.test(text)) return "unavailable";
  return undefined;
}

/** host:port as written in the settings (IPv6 in brackets). */
export function formatAddr(addr: { hostname: string; port: number }): string {
  return `${addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname}:${addr.port}`;
}

export interface AddrSetting {
  /** The environment variable, e.g. HTTP_ADDR. */
  env: string;
  /** The flag, e.g. --http-addr. */
  flag: string;
  /** Appended to the advice for a busy address, e.g. ", e.g. 127.0.0.1:0 for any port". */
  inUseHint?: string;
}

/**
 * The message for a listener that could not bind addr, naming the setting to change; undefined
 * when err is not a failure another address fixes (the caller rethrows it).
 */
export function listenErrorMessage(
  err: unknown,
  addr: { hostname: string; port: number },
  setting: AddrSetting,
): string | undefined {
  const where = formatAddr(addr);
  const set = `set ${setting.env} or ${setting.flag}`;
  switch (listenFailure(err)) {
    case "in-use":
      return `${where} is in use (${set} to a free address${setting.inUseHint ?? ""})`;
    case "denied":
      return addr.port < 1024
        ? `${where}: permission denied, ports below 1024 need root or CAP_NET_BIND_SERVICE ` +
          `(${set} to a port from 1024 up)`
        : `${where}: permission denied (${set} to another address)`;
    case "unavailable":
      return `${where} is not an address of this machine ` +
        `(${set} to one of its addresses, or 0.0.0.0:${addr.port} for all of them)`;
    default:
      return undefined;
  }
}
