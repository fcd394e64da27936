// The client for a kubeconfig cluster: Deno's fetch over HTTPS with the kubeconfig's CA and
// client certificate or bearer token. Bodies stream both ways; aborting the Request aborts the
// upstream call.
import type { ClusterClient } from "./client.ts";
import type { DirectTarget } from "./kubeconfig.ts";

export function directClient(target: DirectTarget): ClusterClient {
  const http = Deno.createHttpClient({
    caCerts: target.caPem ? [target.caPem] : undefined,
    ...(target.certPem && target.keyPem ? { cert: target.certPem, key: target.keyPem } : {}),
  });
  return {
    fetch(req) {
      const u = new URL(req.url);
      const headers = new Headers(req.headers);
      if (target.token) headers.set("authorization", `Bearer ${target.token}`);
      const init: RequestInit & { client: Deno.HttpClient } = {
        method: req.method,
        headers,
        body: req.body,
        signal: req.signal,
        redirect: "manual",
        client: http,
      };
      return fetch(target.server + u.pathname + u.search, init);
    },
    close: () => http.close(),
  };
}
