// Executes one tunnelled Kubernetes request against the agent's own API server and streams the
// answer back: status and headers, then the body in chunks with backpressure. A cancel from the
// dashboard aborts the API server request.
import type { K8sRequest__Output } from "../proto/gen/agent/v1/K8sRequest.ts";
import { forwardHeaders, type KubeAccess } from "./kube.ts";
import { type AgentTunnel, toHeaderList } from "./tunnel.ts";
import { log } from "../proto/log.ts";

const RESPONSE_HEADERS_DROPPED = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "content-encoding",
]);

export function statusBody(code: number, message: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: code === 504 ? "Timeout" : "ServiceUnavailable",
    code,
  }));
}

/** Sends an error as a Kubernetes Status, if the head has not gone out yet. */
export async function failTunnel(
  tunnel: AgentTunnel,
  headSent: boolean,
  code: number,
  message: string,
): Promise<void> {
  try {
    if (!headSent) {
      await tunnel.respond(code, [{ name: "content-type", value: "application/json" }]);
      await tunnel.sendBody(statusBody(code, message));
      tunnel.finish();
    } else {
      tunnel.finish(message);
    }
  } catch {
    tunnel.finish(message);
  }
}

export function responseHeaders(res: Response) {
  const h = new Headers();
  res.headers.forEach((v, k) => {
    if (!RESPONSE_HEADERS_DROPPED.has(k)) h.set(k, v);
  });
  return toHeaderList(h);
}

export async function proxyRequest(
  kube: KubeAccess,
  req: K8sRequest__Output,
  tunnel: AgentTunnel,
  opts: { allowImpersonation: boolean },
): Promise<void> {
  let headSent = false;
  try {
    const body = req.has_body ? tunnel.requestBody() : null;
    if (!body) tunnel.skipBody();
    const res = await kube.fetch(req.path, {
      method: req.method,
      headers: forwardHeaders(req.headers, opts.allowImpersonation),
      body,
      signal: tunnel.signal,
    });
    await tunnel.respond(res.status, responseHeaders(res));
    headSent = true;
    if (res.body) {
      for await (const chunk of res.body) await tunnel.sendBody(chunk);
    }
    tunnel.finish();
  } catch (err) {
    if (tunnel.signal.aborted) {
      tunnel.finish("cancelled");
      return;
    }
    log.warn("tunnelled request failed", { method: req.method, path: req.path.split("?")[0], err });
    await failTunnel(
      tunnel,
      headSent,
      502,
      `the agent could not reach its API server: ${(err as Error).message}`,
    );
  }
}
