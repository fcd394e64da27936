// The address a request came from, as the connection says: Deno.serve's remote address (behind
// the HTTPS front, the client's, see tls_front.ts). X-Forwarded-For is never read: it is the
// client's to choose. Used by the login limiters and the audit trail.
import type { Context } from "hono";
import type { ServeInfo } from "./types.ts";

/** The connection's remote address, or "unknown" (in-process requests have none). */
export function clientAddress(c: Context): string {
  const info = c.env as Partial<ServeInfo> | undefined;
  try {
    return info?.remoteAddr?.hostname || "unknown";
  } catch {
    // Deno's getter throws once the request is closed (after a WebSocket upgrade).
    return "unknown";
  }
}
