// The agent's access to its own API server: ./kubeconfig.ts loads the in-cluster config (the
// pod's ServiceAccount) or a kubeconfig, and requests go out with Deno's fetch so bodies stream.
// A token file (the ServiceAccount's, or a kubeconfig's tokenFile) is re-read periodically
// (projected tokens rotate). Only API paths are reachable, and the dashboard's own credential
// headers never pass (no SSRF, no privilege borrowing) unless impersonation is explicitly allowed.
import { KubeAccessError, loadInCluster, loadKubeconfig, readTokenFile } from "./kubeconfig.ts";
import { log } from "../proto/log.ts";

export { KubeAccessError };

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

export async function loadKube(kubeconfigPath?: string): Promise<KubeAccess> {
  const target = kubeconfigPath ? await loadKubeconfig(kubeconfigPath) : await loadInCluster();
  const { caPem, certPem, keyPem, tokenFile } = target;
  let token = target.token;
  let tokenReadAt = Date.now();
  let refreshing: Promise<void> | undefined;
  const currentToken = async () => {
    if (tokenFile && Date.now() - tokenReadAt > TOKEN_REFRESH_MS) {
      // One read for concurrent requests; on failure keep the last token and retry later.
      refreshing ??= readTokenFile(tokenFile).then(
        (t) => void (token = t),
        (err) => log.warn("cannot re-read the token file; keeping the last token", { err }),
      ).finally(() => {
        tokenReadAt = Date.now();
        refreshing = undefined;
      });
      await refreshing;
    }
    return token;
  };
  let http: Deno.HttpClient;
  try {
    http = Deno.createHttpClient({
      caCerts: caPem ? [caPem] : undefined,
      ...(certPem && keyPem ? { cert: certPem, key: keyPem } : {}),
    });
  } catch (err) {
    throw new KubeAccessError(
      `the CA or client certificate cannot be used: ${(err as Error).message}`,
    );
  }
  const server = target.server;
  return {
    server,
    podNamespace: target.namespace,
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
