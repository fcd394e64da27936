// Executes one tunnelled Kubernetes request against the agent's own API server and streams the
// answer back: status and headers, then the body in chunks with backpressure. A cancel from the
// dashboard aborts the API server request.
import type { K8sRequest__Output } from "../proto/gen/agent/v1/K8sRequest.ts";
import {
  acceptedEncoding,
  answerMayBeLarge,
  forwardHeaders,
  type ImpersonationPolicy,
  ImpersonationRefused,
  type KubeAccess,
} from "./kube.ts";
import type { Exchange } from "./tunnel.ts";
import type { Header } from "../proto/gen/agent/v1/Header.ts";
import { log } from "../common/log.ts";
import { CHUNK_BYTES } from "../proto/wire.ts";
import { coalesce } from "../proto/chunks.ts";
import { failureStatus } from "../common/kube_status.ts";

const RESPONSE_HEADERS_DROPPED = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
]);

/** A Kubernetes Status the agent answers with itself (a refusal, an unreachable API server). */
function statusBody(code: number, message: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(failureStatus(code, message)));
}

/** Sends an error as a Kubernetes Status, if the head has not gone out yet. */
export async function failTunnel(
  tunnel: Exchange,
  headSent: boolean,
  code: number,
  message: string,
): Promise<void> {
  try {
    if (!headSent) {
      const json = [{ name: "content-type", value: "application/json" }];
      await tunnel.respondWhole(code, json, statusBody(code, message));
    } else {
      tunnel.finish(message);
    }
  } catch {
    tunnel.finish(message);
  }
}

/** The headers to send back. A body fetch has decoded loses its content-encoding; a forwarded
 * one keeps it. Read straight off the Response (its names are already lower case and valid). */
export function responseHeaders(res: Response, asSent = false): Header[] {
  const out: Header[] = [];
  res.headers.forEach((value, name) => {
    if (!RESPONSE_HEADERS_DROPPED.has(name) && (asSent || name !== "content-encoding")) {
      out.push({ name, value });
    }
  });
  return out;
}

/**
 * Sends a response on the tunnel: its head, then its body, the API server's ~8-16 KiB reads
 * joined into tunnel-sized messages; a body that ends within its first piece goes out with the
 * head in one frame. `sent.head` says whether the head has gone out (a failure after it ends the
 * body instead of answering).
 */
export async function sendResponse(
  tunnel: Exchange,
  res: Response,
  headers: Header[],
  sent: { head: boolean },
): Promise<void> {
  for await (
    const { bytes, last } of coalesce(res.body ?? ReadableStream.from([]), CHUNK_BYTES)
  ) {
    if (!sent.head && last && bytes.length <= CHUNK_BYTES) {
      sent.head = true;
      await tunnel.respondWhole(res.status, headers, bytes);
      return;
    }
    if (!sent.head) {
      sent.head = true;
      await tunnel.respond(res.status, headers);
    }
    await tunnel.sendBody(bytes);
  }
  if (!sent.head) {
    sent.head = true;
    await tunnel.respondWhole(res.status, headers, new Uint8Array());
  } else tunnel.finish();
}

export async function proxyRequest(
  kube: KubeAccess,
  req: K8sRequest__Output,
  tunnel: Exchange,
  opts: ImpersonationPolicy,
): Promise<void> {
  const sent = { head: false };
  try {
    const upstream = forwardHeaders(req.headers, opts);
    // A read that may be large passes the API server's compression on (when the client accepts
    // it); everything else takes fetch's shared HTTP/2 connection.
    const asSent = req.method === "GET" && !req.has_body && answerMayBeLarge(req.path);
    if (asSent) upstream.set("accept-encoding", acceptedEncoding(req.headers));
    const init = {
      method: req.method,
      headers: upstream,
      body: tunnel.requestBody(),
      signal: tunnel.signal,
    };
    const res = asSent ? await kube.forward(req.path, init) : await kube.fetch(req.path, init);
    const headers = responseHeaders(res, asSent);
    // A small body of known length is read whole and goes out with the head in one frame.
    const length = Number(res.headers.get("content-length") ?? NaN);
    if (res.body && length <= CHUNK_BYTES) {
      const whole = new Uint8Array(await res.arrayBuffer());
      sent.head = true;
      await tunnel.respondWhole(res.status, headers, whole);
      return;
    }
    await sendResponse(tunnel, res, headers, sent);
  } catch (err) {
    if (err instanceof ImpersonationRefused) {
      await failTunnel(tunnel, false, 403, err.message);
      return;
    }
    if (tunnel.signal.aborted) {
      tunnel.finish("cancelled");
      return;
    }
    log.warn("tunnelled request failed", { method: req.method, path: req.path.split("?")[0], err });
    await failTunnel(
      tunnel,
      sent.head,
      502,
      `the agent could not reach its API server: ${(err as Error).message}`,
    );
  }
}
