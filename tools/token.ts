// `deno task token create|list|revoke`: agent registration tokens from a shell, through the
// dashboard's REST API (so the usual admin check applies and nothing touches the database
// directly). Environment: DASHBOARD_URL (default https://127.0.0.1:8080), DASHBOARD_TOKEN (an
// admin's API token; required), DASHBOARD_CA_FILE (default: ./data/tls/ca.crt when it exists).
import { parseArgs } from "node:util";
import { TOKEN_HINT, TOKEN_TITLE } from "../backend/agents/install/command.ts";
import type { AgentTokenCreated, AgentTokenInfo, ErrorBody, ItemsOf } from "../web/lib/types.ts";

const USAGE = `usage:
  deno task token create <cluster-name> [--permissions read-only|operator|admin]
  deno task token list
  deno task token revoke <token-id>
environment: DASHBOARD_URL, DASHBOARD_TOKEN (an admin API token), DASHBOARD_CA_FILE`;

function fail(message: string, code = 2): never {
  console.error(`token: ${message}`);
  Deno.exit(code);
}

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { permissions: { type: "string", default: "read-only" }, help: { type: "boolean" } },
  allowPositionals: true,
  strict: true,
});
if (values.help || positionals.length === 0) {
  console.log(USAGE);
  Deno.exit(values.help ? 0 : 2);
}
const base = (Deno.env.get("DASHBOARD_URL") ?? "https://127.0.0.1:8080").replace(/\/+$/, "");
const token = Deno.env.get("DASHBOARD_TOKEN") ??
  fail("set DASHBOARD_TOKEN to an admin's API token (Account → API tokens)");
const caFile = Deno.env.get("DASHBOARD_CA_FILE") ??
  (await Deno.stat("data/tls/ca.crt").then(() => "data/tls/ca.crt", () => undefined));
const http = Deno.createHttpClient({
  caCerts: caFile ? [await Deno.readTextFile(caFile)] : undefined,
});

/** One REST call; its answer is typed as the web client types it (web/lib/types.ts). */
async function call<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(base + path, {
    method,
    client: http,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  } as RequestInit).catch((err) => fail(`cannot reach ${base}: ${(err as Error).message}`, 1));
  const json: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const err = (json as Partial<ErrorBody> | undefined)?.error;
    fail(
      `${method} ${path}: HTTP ${res.status}: ${
        err ? `${err.message} (${err.code})` : "no details"
      }`,
      1,
    );
  }
  return json as T;
}

const [command, arg] = positionals;
if (command === "create") {
  if (!arg) fail("create needs a cluster name");
  const t = await call<AgentTokenCreated>("POST", "/api/clusters/agent-token", {
    cluster_name: arg,
    permissions: values.permissions,
  });
  console.log(
    `token ${t.id} for cluster ${t.cluster_name} (${t.permissions.preset}), expires ${t.expires_at}\n`,
  );
  // The commands carry no token: print it beside them, with how to pass it (as the dialog does).
  console.log(`${TOKEN_TITLE} (single use):\n${t.token}\n${TOKEN_HINT}\n`);
  console.log(`Install with:\n${t.install_command}\n\nor with Helm:\n${t.helm_command}`);
} else if (command === "list") {
  const { items } = await call<ItemsOf<AgentTokenInfo>>("GET", "/api/clusters/agent-token");
  for (const t of items) console.log([t.id, t.cluster_name, t.state, t.expires_at].join("\t"));
} else if (command === "revoke") {
  if (!arg) fail("revoke needs a token id (see: deno task token list)");
  const t = await call<AgentTokenInfo>(
    "DELETE",
    `/api/clusters/agent-token/${encodeURIComponent(arg)}`,
  );
  console.log(`revoked ${t.id} (${t.cluster_name})`);
} else {
  fail(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
}
http.close();
