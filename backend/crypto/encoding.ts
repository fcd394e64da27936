// Small encoding helpers shared by the dashboard's crypto modules: base64, base64url,
// random opaque tokens and their SHA-256 digests (what the database stores instead of secrets).
import { createHash } from "node:crypto";

export function encodeBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A random secret with a readable prefix, e.g. "kdt_..." (32 random bytes). */
export function randomToken(prefix: string): string {
  return `${prefix}_${encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/**
 * Hex SHA-256 of a secret: how tokens and credentials are stored and looked up. Synchronous
 * (node:crypto): every authenticated request hashes its token, and WebCrypto's asynchronous
 * digest cost ~50 µs there against ~2 µs.
 */
export function sha256Hex(value: string | Uint8Array): string {
  return createHash("sha256").update(value).digest("hex");
}
