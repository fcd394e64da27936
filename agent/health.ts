// The agent's probe endpoints for Kubernetes: /healthz answers while the process runs its event
// loop; /readyz answers 200 only while the control stream to the dashboard is connected.
import type { Connector } from "./connector.ts";

export function serveHealth(
  addr: { hostname: string; port: number },
  connector: Connector,
): Deno.HttpServer {
  return Deno.serve({ hostname: addr.hostname, port: addr.port, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/healthz") return new Response("ok\n");
    if (path === "/readyz") {
      return connector.state === "connected" ? new Response("connected\n") : new Response(
        `${connector.state}${connector.lastError ? `: ${connector.lastError}` : ""}\n`,
        { status: 503 },
      );
    }
    return new Response("not found\n", { status: 404 });
  });
}
