// The connector of kubeconfig clusters: the stored kubeconfig is decrypted and checked
// (../kubeconfig.ts), and the client is Deno's fetch over HTTPS with the kubeconfig's CA and
// client certificate or bearer token. Bodies stream both ways; aborting the Request aborts the
// upstream call. fetch negotiates and decodes compression itself, so the caller's
// accept-encoding is not passed on and the Response carries the decoded body without the API
// server's content-encoding and content-length. A cluster that cannot be reached is a 502.
// Upgraded streams (exec, attach, port-forward) are WebSockets to the API server with the same
// credentials (../ws_stream.ts).
import { type ClusterClient, ClusterUnavailableError } from "../client.ts";
import { type DirectTarget, parseKubeconfig } from "../kubeconfig.ts";
import type { Connector } from "../manager.ts";
import type { ClusterStore } from "../store.ts";
import type { SecretBox } from "../../crypto/secretbox.ts";
import { openWebSocketStream } from "../ws_stream.ts";

/** Builds kubeconfig clusters' clients from their stored, sealed kubeconfigs. */
export function kubeconfigConnector(store: ClusterStore, box: SecretBox): Connector {
  return async (c) => {
    const { sealed, context } = await store.kubeconfigOf(c.id);
    return kubeconfigClient(parseKubeconfig(await box.open(sealed, c.id), context ?? undefined));
  };
}

/** The client for one checked kubeconfig target. */
export function kubeconfigClient(target: DirectTarget): ClusterClient {
  const http = Deno.createHttpClient({
    caCerts: target.caPem ? [target.caPem] : undefined,
    ...(target.certPem && target.keyPem ? { cert: target.certPem, key: target.keyPem } : {}),
  });
  return {
    fetch(req) {
      const u = new URL(req.url);
      const headers = new Headers(req.headers);
      headers.delete("accept-encoding");
      if (target.token) headers.set("authorization", `Bearer ${target.token}`);
      const init: RequestInit & { client: Deno.HttpClient } = {
        method: req.method,
        headers,
        body: req.body,
        signal: req.signal,
        redirect: "manual",
        client: http,
      };
      return fetch(target.server + u.pathname + u.search, init).then(decoded, (err) => {
        throw new ClusterUnavailableError(
          502,
          "ServiceUnavailable",
          `the cluster is unreachable: ${(err as Error).message}`,
          { cause: err },
        );
      });
    },
    stream: (req) => openWebSocketStream(target, req),
    close: () => http.close(),
  };
}

/** fetch's Response as a ClusterClient returns it: the body decoded, so no encoding or length. */
function decoded(res: Response): Response {
  if (!res.headers.has("content-encoding")) return res;
  const headers = new Headers(res.headers);
  headers.delete("content-encoding");
  headers.delete("content-length");
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
