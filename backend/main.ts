// The dashboard's entry point (`deno task start`): reads the configuration, starts the server,
// prints where to log in, and shuts down gracefully on SIGINT/SIGTERM.
import { ConfigError, loadConfig } from "./config.ts";
import { startDashboard } from "./server.ts";
import { log, setLogLevel } from "../common/log.ts";
import { startMemoryReducer } from "../common/memory_reducer.ts";

function configurationError(err: Error): never {
  console.error(`configuration error: ${err.message}\nSee docs/configuration.md.`);
  Deno.exit(2);
}

let config;
try {
  config = loadConfig(Deno.env.toObject(), Deno.args);
} catch (err) {
  if (err instanceof ConfigError || err instanceof TypeError) configurationError(err);
  throw err;
}
setLogLevel(config.logLevel);

// A listener that cannot bind its address (HTTP_ADDR, GRPC_ADDR in use, a privileged port) is a
// ConfigError; startDashboard has closed what it opened before throwing it.
const dashboard = await startDashboard(config).catch((err) => {
  if (err instanceof ConfigError) configurationError(err);
  log.error("dashboard failed to start", { err });
  Deno.exit(1);
});

const passwordLogin = dashboard.bootstrap?.password
  ? `Log in as "admin" with password: ${dashboard.bootstrap.password}\n(shown once; change it after signing in: user menu → Change password, ${config.publicUrl}/account/password; or set ADMIN_PASSWORD before the first start)`
  : dashboard.bootstrap
  ? `Log in as "admin" with the password from ADMIN_PASSWORD.`
  : `Log in with an existing account.`;
const sso = config.oidc &&
  `Single sign-on: "Sign in with ${config.oidc.providerName}" (register the redirect URI ${config.publicUrl}/auth/oidc/callback at the provider).`;
const login = !config.localLogin
  ? `${sso}\nPassword sign-in is off (OIDC_LOCAL_LOGIN=false).`
  : sso
  ? `${passwordLogin}\n${sso}`
  : passwordLogin;
console.log(`\nDashboard running at ${config.publicUrl}\n${login}\n`);
startMemoryReducer();

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    log.info("shutting down", { signal });
    await dashboard.stop({ exiting: true });
    Deno.exit(0);
  });
}
