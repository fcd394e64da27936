// Test helpers for upgrades. wsHandshake attempts a WebSocket handshake with exactly the given headers (Deno's fetch drops
// `Upgrade`, and its WebSocket sets its own Origin) and reports the HTTP status the server gave
// (101 when it upgraded, then closes at once) and the body of a refusal.
// @ts-types="@types/ws"
import WebSocket from "ws";
import { type IncomingMessage, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export function wsHandshake(
  url: string,
  opts: { headers?: Record<string, string>; protocols?: string[]; caPem?: string | null } = {},
): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url.replace(/^http/, "ws"), opts.protocols ?? [], {
    headers: opts.headers,
    ca: opts.caPem ?? undefined,
  });
  return new Promise((resolve, reject) => {
    ws.once("open", () => {
      ws.terminate();
      resolve({ status: 101, body: "" });
    });
    ws.once("unexpected-response", (_req, res: IncomingMessage) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => body += d);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    ws.once("error", reject);
  });
}

/**
 * Sends an HTTP/1.1 request with the given Upgrade header (e.g. SPDY/3.1, which Deno's fetch
 * would drop) and returns the status and body of the answer (101 when the server upgraded).
 */
export function upgradeRequest(
  url: string,
  opts: {
    method: string;
    upgrade: string;
    headers?: Record<string, string>;
    caPem?: string | null;
  },
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const request = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, {
      method: opts.method,
      ca: opts.caPem ?? undefined,
      headers: { ...opts.headers, connection: "Upgrade", upgrade: opts.upgrade },
    }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => body += d);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: "" });
    });
    req.on("error", reject);
    req.end();
  });
}
