// What replicas say to each other (docs/protocol.md, "Between replicas"): the paths under
// /internal/replicas/, the headers that carry a forwarded request's method and path, the error
// header that says why the holder could not carry it, and the shared peer secret (derived from
// ENCRYPTION_KEY, which every replica has) that authenticates every call.
import { timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { deriveKey } from "../crypto/derive.ts";
import { AgentUnavailableError, TunnelRefusedError } from "../agents/errors.ts";

export const PEER_PREFIX = "/internal/replicas/clusters/";
/** The forwarded request's method (the call itself is a POST). */
export const PEER_METHOD = "x-dashboard-peer-method";
/** The forwarded request's path and query on the cluster (or a disconnect's reason). */
export const PEER_PATH = "x-dashboard-peer-path";
/** "1" when the forwarded request has a body. */
export const PEER_BODY = "x-dashboard-peer-body";
/** Set on an answer that is the holder's refusal, not the cluster's: "unavailable" or "refused". */
export const PEER_ERROR = "x-dashboard-peer-error";

export type PeerAction = "fetch" | "stream" | "probe" | "disconnect";
const ACTIONS: readonly PeerAction[] = ["fetch", "stream", "probe", "disconnect"];

/** How a replica's TLS is checked by its peers. */
export interface PeerTls {
  /** Peers speak plain HTTP (HTTP_INSECURE). */
  insecure: boolean;
  /** The minted CA: a peer's chain must end there (any host name). Unset: the system's roots. */
  caPem?: string;
}

export function peerPath(clusterId: string, action: PeerAction): string {
  return `${PEER_PREFIX}${encodeURIComponent(clusterId)}/${action}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The cluster id and action of a peer path, or null when it is not one. */
export function parsePeerPath(pathname: string): { clusterId: string; action: PeerAction } | null {
  if (!pathname.startsWith(PEER_PREFIX)) return null;
  const [clusterId, action, ...rest] = pathname.slice(PEER_PREFIX.length).split("/");
  if (rest.length || !UUID.test(clusterId) || !ACTIONS.includes(action as PeerAction)) return null;
  return { clusterId, action: action as PeerAction };
}

/** The peer secret every replica derives from ENCRYPTION_KEY (base64url, 43 characters). */
export async function peerSecret(encryptionKeyB64: string): Promise<string> {
  const key = await deriveKey(encryptionKeyB64, "dashboard-replica-peer");
  return Buffer.from(key).toString("base64url");
}

/** Whether an Authorization header carries the peer secret (compared in constant time). */
export function isPeerAuthorized(header: string | null, secret: string): boolean {
  const given = Buffer.from(header ?? "");
  const expected = Buffer.from(`Bearer ${secret}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The holder's refusal as an answer: the status, the PEER_ERROR kind and the message. */
export function peerErrorResponse(err: AgentUnavailableError | TunnelRefusedError): Response {
  const refused = err instanceof TunnelRefusedError;
  return new Response(err.message, {
    status: refused ? err.status : 503,
    headers: {
      [PEER_ERROR]: refused ? "refused" : "unavailable",
      "content-type": "text/plain; charset=utf-8",
    },
  });
}

/** The hub's error for a holder's refusal (the inverse of peerErrorResponse), or null. */
export function peerErrorOf(
  kind: string,
  status: number,
  message: string,
): AgentUnavailableError | TunnelRefusedError | null {
  if (kind === "unavailable") return new AgentUnavailableError(message);
  if (kind === "refused") return new TunnelRefusedError(status, message);
  return null;
}
