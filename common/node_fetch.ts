// A fetch-shaped request through node:http(s): the Response body is the server's bytes as sent
// (content-encoding untouched), and headers go out as nodeHeaders() gives them (one line per
// impersonated group, which fetch cannot send). Used where an upstream request must carry
// repeated header lines or must not have its body decoded.
import type http from "node:http";
import type https from "node:https";
import { Readable } from "node:stream";
import { nodeHeaders } from "./impersonation.ts";

export interface NodeFetchInit {
  method: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  signal: AbortSignal;
  /** The request fails when its connection (with TLS) is not up within this many ms. */
  connectTimeoutMs?: number;
}

/** Sends one request with `request` (http.request or https.request) over `agent`'s connections. */
export function nodeFetch(
  request: typeof http.request | typeof https.request,
  agent: http.Agent,
  url: URL,
  init: NodeFetchInit,
): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const req = request(url, {
      method: init.method,
      headers: nodeHeaders(init.headers),
      agent,
      signal: init.signal,
    }, (res) => {
      const out = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        out.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
      }
      const status = res.statusCode ?? 0;
      const bodyless = init.method === "HEAD" || status === 204 || status === 304;
      try {
        if (bodyless) res.resume();
        const body = bodyless ? null : Readable.toWeb(res) as ReadableStream<Uint8Array>;
        resolve(new Response(body, { status, headers: out }));
      } catch (err) {
        res.destroy();
        reject(new Error(`the API server answered with status ${status}: ${err}`));
      }
    });
    req.on("error", reject);
    const limit = init.connectTimeoutMs;
    if (limit !== undefined) {
      req.on("socket", (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () => req.destroy(new Error(`could not connect within ${limit / 1000} s`)),
          limit,
        );
        socket.once(
          url.protocol === "https:" ? "secureConnect" : "connect",
          () => clearTimeout(timer),
        );
        socket.once("close", () => clearTimeout(timer));
      });
    }
    if (!init.body) req.end();
    else {
      Readable.fromWeb(init.body as import("node:stream/web").ReadableStream<Uint8Array>)
        .on("error", (err) => req.destroy(err))
        .pipe(req);
    }
  });
}
