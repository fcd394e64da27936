// Password hashing with scrypt (memory-hard: N=2^15, r=8, p=1, 32 MiB per hash), encoded as
// "scrypt$N$r$p$salt$hash" so parameters can be raised later without breaking stored hashes.
import { scrypt, timingSafeEqual } from "node:crypto";
import { encodeBase64 } from "../crypto/encoding.ts";

const N = 1 << 15, R = 8, P = 1, KEYLEN = 32;

function derive(
  password: string,
  salt: Uint8Array,
  n: number,
  r: number,
  p: number,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, KEYLEN, {
      N: n,
      r,
      p,
      maxmem: 256 * n * r + (1 << 20),
    }, (err, key) => err ? reject(err) : resolve(new Uint8Array(key)))
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${encodeBase64(salt)}$${encodeBase64(key)}`;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Uint8Array.from(atob(parts[4]), (c) => c.charCodeAt(0));
  const expected = Uint8Array.from(atob(parts[5]), (c) => c.charCodeAt(0));
  const actual = await derive(password, salt, n, r, p);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash to verify against when the user does not exist, so timing reveals nothing. */
export const dummyPasswordHash = await hashPassword(crypto.randomUUID());

/** What every new password must have (the API refuses shorter ones; the pages say so). */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;
