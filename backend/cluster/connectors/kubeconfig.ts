// The connector of kubeconfig clusters: the stored kubeconfig is decrypted and checked
// (../kubeconfig.ts), and the client is Deno's fetch over HTTPS with the kubeconfig's CA and
// client certificate or bearer token. Bodies stream both ways; aborting the Request aborts the
// upstream call. fetch negotiates and decodes compression itself, so the caller's
// accept-encoding is not passed on and the Response carries the decoded body without the API
// server's content-encoding and content-length. A cluster that cannot be reached is a 502.
// Upgraded streams (exec, attach, port-forward) are WebSockets to the API server with the same
// credentials (../ws_stream.ts). A request impersonating several groups goes out through
// node:https instead, which sends one Impersonate-Group line per group (common/impersonation.ts),
// on connections that read only as fast as the caller does (common/demand_socket.ts: Deno's
// node:tls socket would read a paused answer whole into memory).
import { type ClusterClient, ClusterUnavailableError } from "../client.ts";
import { type DirectTarget, parseKubeconfig } from "../kubeconfig.ts";
import type { Connector } from "../manager.ts";
import type { ClusterStore } from "../store.ts";
import type { SecretBox } from "../../crypto/secretbox.ts";
import { openWebSocketStream } from "../ws_stream.ts";
import { needsSeparateGroupLines } from "../../../common/impersonation.ts";
import { nodeFetch } from "../../../common/node_fetch.ts";
import { DemandHttpAgent, DemandHttpsAgent } from "../../../common/demand_socket.ts";
import http from "node:http";
import https from "node:https";

/** Builds kubeconfig clusters' clients from their stored, sealed kubeconfigs. */
export function kubeconfigConnector(store: ClusterStore, box: SecretBox): Connector {
  return async (c) => {
    const { sealed, context } = await store.kubeconfigOf(c.id);
    return kubeconfigClient(parseKubeconfig(await box.open(sealed, c.id), context ?? undefined));
  };
}

/** The client for one checked kubeconfig target. */
export function kubeconfigClient(target: DirectTarget): ClusterClient {
  const client = Deno.createHttpClient({
    caCerts: target.caPem ? [target.caPem] : undefined,
    ...(target.certPem && target.keyPem ? { cert: target.certPem, key: target.keyPem } : {}),
  });
  const secure = new URL(target.server).protocol === "https:";
  // Created on the first request that needs repeated header lines; idle connections are kept.
  let pool: http.Agent | undefined;
  const nodePool = () =>
    pool ??= secure
      ? new DemandHttpsAgent({
        keepAlive: true,
        maxFreeSockets: 4,
        ca: target.caPem ?? undefined,
        cert: target.certPem ?? undefined,
        key: target.keyPem ?? undefined,
      })
      : new DemandHttpAgent({ keepAlive: true, maxFreeSockets: 4 });
  return {
    fetch(req) {
      const u = new URL(req.url);
      const headers = new Headers(req.headers);
      headers.delete("accept-encoding");
      if (target.token) headers.set("authorization", `Bearer ${target.token}`);
      const url = target.server + u.pathname + u.search;
      const sent = needsSeparateGroupLines(headers)
        ? nodeFetch(secure ? https.request : http.request, nodePool(), new URL(url), {
          method: req.method,
          headers,
          body: req.body,
          signal: req.signal,
        })
        : fetch(
          url,
          {
            method: req.method,
            headers,
            body: req.body,
            signal: req.signal,
            redirect: "manual",
            client,
          } as RequestInit & { client: Deno.HttpClient },
        );
      return sent.then(decoded, (err) => {
        throw new ClusterUnavailableError(
          502,
          "ServiceUnavailable",
          `the cluster is unreachable: ${(err as Error).message}`,
          { cause: err },
        );
      });
    },
    stream: (req) => openWebSocketStream(target, req),
    close: () => {
      client.close();
      pool?.destroy();
    },
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
