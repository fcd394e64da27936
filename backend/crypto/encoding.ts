// Small encoding helpers shared by the dashboard's crypto modules: base64, base64url, hex,
// random opaque tokens and their SHA-256 digests (what the database stores instead of secrets).

export function encodeBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function encodeHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A random secret with a readable prefix, e.g. "kdt_..." (32 random bytes). */
export function randomToken(prefix: string): string {
  return `${prefix}_${encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** Hex SHA-256 of a secret: how tokens and credentials are stored and looked up. */
export async function sha256Hex(value: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const data = typeof value === "string" ? new TextEncoder().encode(value) : value;
  return encodeHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
}
