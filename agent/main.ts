// The cluster agent's entry point (`deno task agent`, or the compiled binary in its image):
// loads its configuration, reaches its own API server, keeps its credential, connects out to the
// dashboard and serves health probes until SIGTERM/SIGINT.
import { AgentConfigError, agentUsage, loadAgentConfig } from "./config.ts";
import { KubeAccessError, loadKube } from "./kube.ts";
import { type CredentialStore, fileCredentialStore, secretCredentialStore } from "./credentials.ts";
import { Dialer } from "./dialer.ts";
import { HEALTH_ADDR_SETTING, serveHealth } from "./health.ts";
import { listenErrorMessage } from "../common/listen_error.ts";
import { log, setLogLevel } from "../common/log.ts";
import { startMemoryReducer } from "../common/memory_reducer.ts";
import { VERSION } from "../common/version.ts";

let cfg;
try {
  cfg = loadAgentConfig(Deno.env.toObject(), Deno.args);
} catch (err) {
  if (err instanceof AgentConfigError) {
    console.error(`agent configuration error: ${err.message}`);
    Deno.exit(2);
  }
  throw err;
}
if (cfg === "version" || cfg === "help") {
  console.log(cfg === "version" ? VERSION : agentUsage());
  Deno.exit(0);
}
setLogLevel(cfg.logLevel);

let kube;
try {
  kube = await loadKube(cfg.kubeconfig);
} catch (err) {
  console.error(`agent: cannot reach the cluster's API server: ${(err as Error).message}`);
  Deno.exit(err instanceof KubeAccessError ? 2 : 1);
}

const namespace = cfg.namespace ?? kube.podNamespace;
let store: CredentialStore;
if (cfg.stateDir) store = fileCredentialStore(cfg.stateDir);
else if (namespace) store = secretCredentialStore(kube, namespace, cfg.credentialSecret);
else {
  console.error(
    "agent: outside a pod, pass --state-dir (or POD_NAMESPACE to keep the credential in a Secret)",
  );
  Deno.exit(2);
}

log.info("agent starting", {
  version: VERSION,
  dashboard: cfg.dashboardUrl.origin,
  api_server: kube.server,
  credential: store.where,
  // Impersonation: off, or the prefix every impersonated name must start with.
  impersonation: cfg.allowImpersonation ? cfg.impersonationPrefix : "off",
});
const dialer = new Dialer(cfg, kube, store);
let health: Deno.HttpServer;
try {
  health = serveHealth(cfg.healthAddr, dialer);
} catch (err) {
  // HEALTH_ADDR in use (a second agent on one host), a privileged port: a configuration error.
  const message = listenErrorMessage(err, cfg.healthAddr, HEALTH_ADDR_SETTING);
  if (!message) throw err;
  console.error(`agent configuration error: ${message}`);
  kube.close();
  Deno.exit(2);
}
const running = dialer.run();
startMemoryReducer();

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(signal, async () => {
    log.info("agent stopping", { signal });
    dialer.stop();
    await Promise.race([running, new Promise((r) => setTimeout(r, 5_000))]);
    await health.shutdown();
    kube.close();
    Deno.exit(0);
  });
}
