// Starts a real dashboard (backend/server.ts's startDashboard: store, API, proxy, agent tunnel,
// event stream and the web UI) for E2E tests and as a dev server:
//
//   deno run -A web/e2e/harness.ts        (PORT=8088, DATA_DIR=<tmp>; admin / admin-password-123)
//
// It serves plain HTTP and gRPC on loopback so the browser needs no certificate exception.
import { loadConfig } from "../../backend/config.ts";
import { type Dashboard, startDashboard } from "../../backend/server.ts";
import type { AuthService } from "../../backend/auth/service.ts";

export interface TestDashboard {
  /** Where the browser goes. */
  url: string;
  dashboard: Dashboard;
  auth: AuthService;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startWebDashboard(
  opts: {
    adminPassword: string;
    dataDir?: string;
    port?: number;
    /** AGENT_HEARTBEAT_SECONDS (agents' heartbeat interval; the status deadlines scale with it). */
    heartbeatSeconds?: number;
  },
): Promise<TestDashboard> {
  const dataDir = opts.dataDir ?? await Deno.makeTempDir({ prefix: "kd-web-" });
  const config = loadConfig({
    HTTP_ADDR: `127.0.0.1:${opts.port ?? 0}`,
    HTTP_INSECURE: "true",
    GRPC_ADDR: "127.0.0.1:0",
    GRPC_INSECURE: "true",
    DATA_DIR: dataDir,
    ADMIN_PASSWORD: opts.adminPassword,
    LOG_LEVEL: "warn",
    ...(opts.heartbeatSeconds ? { AGENT_HEARTBEAT_SECONDS: String(opts.heartbeatSeconds) } : {}),
  });
  const dashboard = await startDashboard(config);
  return {
    url: dashboard.url,
    dashboard,
    auth: dashboard.auth,
    dataDir,
    stop: async () => {
      await dashboard.stop();
      if (!opts.dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

if (import.meta.main) {
  const d = await startWebDashboard({
    adminPassword: "admin-password-123",
    port: Number(Deno.env.get("PORT") ?? 8088),
    dataDir: Deno.env.get("DATA_DIR"),
  });
  console.log(
    `dashboard with web UI at ${d.url} (admin / admin-password-123), data in ${d.dataDir}`,
  );
}
