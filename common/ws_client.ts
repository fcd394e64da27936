// Opens a WebSocket to a Kubernetes API server for an upgraded stream (exec, attach,
// port-forward) with the npm ws client, which the agent and the dashboard both use: it takes TLS
// options and headers, and can pause reading (backpressure), which Deno's WebSocket cannot.
// The subprotocols are offered and checked here (ws accepts only RFC 7230 tokens, and kubectl's
// port-forward offers "SPDY/3.1+portforward.k8s.io"). The outcome is the open WebSocket, paused,
// or the API server's refusal as a Response.
// @ts-types="@types/ws"
import type WebSocket from "ws";
import type http from "node:http";

/**
 * What the API server made of an upgraded stream's request: the open WebSocket (paused: the
 * caller resumes it once it listens for messages) with the subprotocol it chose ("" for none),
 * or its refusal (a 403, 404, 400...) as a Response with its status, headers and
 * body as sent.
 */
export type OpenedStream =
  | { ws: WebSocket; protocol: string; refused?: undefined }
  | { refused: Response; ws?: undefined };

/** The client's request cannot be made (an invalid subprotocol): a 400, not the API server's fault. */
export class StreamRequestError extends Error {}

/** The largest WebSocket message accepted from the API server: one StreamMessage must fit in a
 * gRPC message (MAX_MESSAGE_BYTES, 17 MiB). The API server sends far smaller ones. */
export const MAX_STREAM_MESSAGE_BYTES = 16 * 1024 * 1024;
/** How long the server may take to close the connection after the closing handshake. */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 250;
/** How long the API server may take to answer a WebSocket handshake. */
export const STREAM_HANDSHAKE_TIMEOUT_MS = 30_000;

/** A subprotocol as it may be offered: visible ASCII, without the list separator. */
const SUBPROTOCOL = /^[\x21-\x7e]+$/;

/**
 * Opens a WebSocket with the ws client and waits for the handshake's outcome: open (paused, so no
 * message is emitted before the caller listens), refused (any answer but 101, as a Response whose
 * body streams from the API server), or an error.
 *
 * The subprotocols are offered and checked here, not by ws: ws accepts only RFC 7230 tokens, and
 * kubectl's port-forward offers "SPDY/3.1+portforward.k8s.io". The API server's choice must be
 * one of the offers; choosing none is passed on as such (the client decides).
 */
export async function connectWebSocket(
  url: URL,
  protocols: string[],
  options: {
    headers: Record<string, string | string[]>;
    ca?: string;
    cert?: string;
    key?: string;
    /** Verify only that the server's chain ends at `ca`, not its host name. */
    chainOnly?: boolean;
  },
  signal: AbortSignal,
): Promise<OpenedStream> {
  // Loaded on the first upgraded stream: a process that never opens one (most agents most of the
  // time) does not keep ws's modules in memory.
  const WebSocketClass = (await import("ws")).default as typeof WebSocket;
  return new Promise<OpenedStream>((resolve, reject) => {
    const bad = protocols.find((p) => !SUBPROTOCOL.test(p) || p.includes(","));
    if (bad !== undefined) {
      reject(new StreamRequestError(`invalid WebSocket subprotocol ${JSON.stringify(bad)}`));
      return;
    }
    const headers = { ...options.headers };
    if (protocols.length) headers["sec-websocket-protocol"] = protocols.join(", ");
    let ws: WebSocket;
    try {
      // closeTimeout is a ws option that its type definitions (@types/ws 8.18) do not list yet.
      // headers may repeat a line (one per impersonated group, common/impersonation.ts): ws hands
      // them to node's http.request, which sends an array as one line per value.
      const { chainOnly, ...tlsOptions } = options;
      const wsOptions: WebSocket.ClientOptions & { closeTimeout: number } = {
        ...tlsOptions,
        // Passed to tls.connect, where no answer means the server's identity is accepted (the
        // types of @types/ws say boolean).
        ...(chainOnly
          ? { checkServerIdentity: (() => undefined) as unknown as () => boolean }
          : {}),
        headers: headers as Record<string, string>,
        // Compression would cost CPU and unbounded inflate buffers; the API server does not offer
        // it for exec anyway.
        perMessageDeflate: false,
        // Once both close frames have crossed, nothing is left to wait for but the server's TCP
        // close. Under Deno, a TLS socket that was paused and resumed (backpressure) can miss
        // that end of stream, and ws would wait its default 30 s before giving up: every exec
        // whose output was ever throttled would then hang 30 s at its end.
        closeTimeout: CLOSE_HANDSHAKE_TIMEOUT_MS,
        followRedirects: false,
        maxPayload: MAX_STREAM_MESSAGE_BYTES,
      };
      ws = new WebSocketClass(url, wsOptions);
    } catch (err) {
      reject(new StreamRequestError((err as Error).message));
      return;
    }
    let chosen = "";
    // Emitted before ws checks the answer: take the chosen subprotocol out of ws's sight (it
    // would refuse one it did not offer itself).
    ws.once("upgrade", (res) => {
      chosen = String(res.headers["sec-websocket-protocol"] ?? "");
      delete res.headers["sec-websocket-protocol"];
    });
    let settled = false;
    const settle = () => {
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settle();
      ws.terminate();
      reject(err);
    };
    const onAbort = () => fail(signal.reason);
    const timer = setTimeout(
      () =>
        fail(
          new Error(
            `no answer to the WebSocket handshake within ${STREAM_HANDSHAKE_TIMEOUT_MS / 1000} s`,
          ),
        ),
      STREAM_HANDSHAKE_TIMEOUT_MS,
    );
    signal.addEventListener("abort", onAbort, { once: true });
    // After the outcome, errors are the relay's to handle (it listens before resuming).
    ws.on("error", (err) => fail(err));
    ws.once("open", () => {
      if (chosen && !protocols.includes(chosen)) {
        fail(new Error(`the API server chose the subprotocol "${chosen}", which was not offered`));
        return;
      }
      if (settled) return;
      settle();
      ws.pause();
      resolve({ ws, protocol: chosen });
    });
    ws.once("unexpected-response", (req, res) => {
      if (settled) {
        req.destroy();
        return;
      }
      settle();
      const out = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        out.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
      }
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 599) {
        req.destroy();
        reject(new Error(`the API server answered the WebSocket handshake with status ${status}`));
        return;
      }
      const bodyless = status === 204 || status === 304;
      if (bodyless) {
        res.resume();
        req.destroy();
      }
      resolve({
        refused: new Response(bodyless ? null : responseStream(req, res), { status, headers: out }),
      });
    });
  });
}

/**
 * The body of a refused handshake as a pull-based stream. The socket is ws's own (never pooled):
 * it closes once the body was read, and cancelling the stream destroys the request and with it
 * the socket.
 */
function responseStream(
  req: http.ClientRequest,
  res: http.IncomingMessage,
): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(ctrl) {
      const fail = (err: Error) => {
        if (done) return;
        done = true;
        ctrl.error(err);
      };
      res.on("data", (chunk: Uint8Array) => {
        if (done) return;
        ctrl.enqueue(new Uint8Array(chunk));
        if ((ctrl.desiredSize ?? 1) <= 0) res.pause();
      });
      res.on("end", () => {
        if (done) return;
        done = true;
        ctrl.close();
      });
      res.on("error", fail);
      res.on("close", () => fail(new Error("the API server's answer was cut off")));
      res.pause();
    },
    pull() {
      res.resume();
    },
    cancel() {
      done = true;
      req.destroy();
    },
  }, { highWaterMark: 4 });
}
