// Keys derived from ENCRYPTION_KEY for one purpose each (HKDF-SHA-256 with the purpose as info),
// so that no two uses share a key: registration-token signatures, the replicas' peer secret.

/** 32 bytes derived from the base64 encryption key for `purpose`. */
export async function deriveKey(
  encryptionKeyB64: string,
  purpose: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const raw = Uint8Array.from(atob(encryptionKeyB64), (c) => c.charCodeAt(0));
  const base = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new Uint8Array(),
      info: new TextEncoder().encode(purpose),
    },
    base,
    256,
  );
  return new Uint8Array(bits);
}
