// The agent's probe endpoints for Kubernetes: /healthz answers while the process runs its event
// loop; /readyz answers 200 only while the control stream to the dashboard is connected.
import type { Dialer } from "./dialer.ts";
import type { AddrSetting } from "../common/listen_error.ts";

/** The setting that chooses the health address, for its start-up errors (main.ts). */
export const HEALTH_ADDR_SETTING: AddrSetting = {
  env: "HEALTH_ADDR",
  flag: "--health-addr",
  inUseHint: ", e.g. 127.0.0.1:0 for any port",
};

export function serveHealth(
  addr: { hostname: string; port: number },
  dialer: Dialer,
): Deno.HttpServer {
  return Deno.serve({ hostname: addr.hostname, port: addr.port, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/healthz") return new Response("ok\n");
    if (path === "/readyz") {
      return dialer.state === "connected" ? new Response("connected\n") : new Response(
        `${dialer.state}${dialer.lastError ? `: ${dialer.lastError}` : ""}\n`,
        { status: 503 },
      );
    }
    return new Response("not found\n", { status: 404 });
  });
}
