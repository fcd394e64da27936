// The agent's access to its own API server: client-node loads the in-cluster config (the pod's
// ServiceAccount) or a kubeconfig, and requests go out with Deno's fetch so bodies stream.
// The ServiceAccount token file is re-read periodically (projected tokens rotate). Only API paths
// are reachable, and the dashboard's own credential headers never pass (no SSRF, no
// privilege borrowing) unless impersonation is explicitly allowed.
import { KubeConfig } from "@kubernetes/client-node";

export interface KubeAccess {
  server: string;
  /** Namespace of the agent's ServiceAccount, when running in a pod. */
  podNamespace?: string;
  fetch(
    pathAndQuery: string,
    init: { method?: string; headers?: Headers; body?: BodyInit | null; signal?: AbortSignal },
  ): Promise<Response>;
  close(): void;
}

export class KubeAccessError extends Error {}

const ALLOWED_PATH = /^\/(api|apis|version|openapi)(\/|\?|$)/;
const DROPPED_HEADERS = new Set([
  "authorization",
  "cookie",
  "host",
  "connection",
  "keep-alive",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "accept-encoding",
]);
const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const TOKEN_REFRESH_MS = 60_000;

/** Why a path is refused, or null when the agent may request it. */
export function refusePath(pathAndQuery: string): string | null {
  const path = pathAndQuery.split("?")[0];
  // URL parsing turns "\" into "/" and drops tabs and newlines, which would undo the checks below.
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x20\x7f]/.test(pathAndQuery) || path.includes("\\")) {
    return "backslashes, spaces and control characters are not allowed in the path";
  }
  if (!ALLOWED_PATH.test(pathAndQuery)) {
    return "only Kubernetes API paths (/api, /apis, /version, /openapi) are allowed";
  }
  if (/%2f|%5c|%2e/i.test(path) || path.split("/").some((s) => s === ".." || s === ".")) {
    return "dot segments and encoded separators are not allowed";
  }
  return null;
}

/** Headers to forward from the dashboard: never its credentials; impersonation only if allowed. */
export function forwardHeaders(
  pairs: Iterable<{ name: string; value: string }>,
  allowImpersonation: boolean,
): Headers {
  const out = new Headers();
  for (const { name, value } of pairs) {
    const n = name.toLowerCase();
    if (DROPPED_HEADERS.has(n)) continue;
    if (n.startsWith("impersonate-") && !allowImpersonation) continue;
    out.append(n, value);
  }
  return out;
}

const b64 = (s: string) =>
  new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));

export async function loadKube(kubeconfigPath?: string): Promise<KubeAccess> {
  const kc = new KubeConfig();
  let podNamespace: string | undefined;
  if (kubeconfigPath) {
    kc.loadFromFile(kubeconfigPath);
  } else {
    try {
      kc.loadFromCluster();
      podNamespace = (await Deno.readTextFile(`${SA_DIR}/namespace`)).trim();
    } catch (err) {
      throw new KubeAccessError(
        `not running in a pod (${
          (err as Error).message
        }); pass --kubeconfig to run the agent outside a cluster`,
      );
    }
  }
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster || !user) {
    throw new KubeAccessError("the kubeconfig has no current context with a cluster and user");
  }
  if (user.exec || (user.authProvider && user.authProvider.name !== "tokenFile")) {
    throw new KubeAccessError(
      "exec and auth-provider credentials are not supported: use a token or client certificate",
    );
  }
  const caPem = cluster.caData
    ? b64(cluster.caData)
    : cluster.caFile
    ? await Deno.readTextFile(cluster.caFile)
    : undefined;
  const certPem = user.certData
    ? b64(user.certData)
    : user.certFile
    ? await Deno.readTextFile(user.certFile)
    : undefined;
  const keyPem = user.keyData
    ? b64(user.keyData)
    : user.keyFile
    ? await Deno.readTextFile(user.keyFile)
    : undefined;
  const tokenFile = user.authProvider?.config?.tokenFile as string | undefined;
  let token = user.token;
  let tokenReadAt = 0;
  const currentToken = async () => {
    if (tokenFile && Date.now() - tokenReadAt > TOKEN_REFRESH_MS) {
      token = (await Deno.readTextFile(tokenFile)).trim();
      tokenReadAt = Date.now();
    }
    return token;
  };
  await currentToken();
  const http = Deno.createHttpClient({
    caCerts: caPem ? [caPem] : undefined,
    ...(certPem && keyPem ? { cert: certPem, key: keyPem } : {}),
  });
  const server = cluster.server.replace(/\/+$/, "");
  return {
    server,
    podNamespace,
    async fetch(pathAndQuery, init) {
      const headers = new Headers(init.headers);
      const t = await currentToken();
      if (t) headers.set("authorization", `Bearer ${t}`);
      const req: RequestInit & { client: Deno.HttpClient } = {
        method: init.method ?? "GET",
        headers,
        body: init.body,
        signal: init.signal,
        redirect: "manual",
        client: http,
      };
      return await fetch(server + pathAndQuery, req);
    },
    close: () => http.close(),
  };
}
