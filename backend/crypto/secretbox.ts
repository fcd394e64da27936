// Encryption at rest for stored secrets (kubeconfigs): AES-256-GCM via WebCrypto with a random
// 96-bit nonce per message. Layout of a sealed value: version byte (1) | nonce (12) | ciphertext.
import { encodeBase64 } from "./encoding.ts";

const VERSION = 1;

export class SecretBox {
  private constructor(private readonly key: CryptoKey) {}

  static async fromBase64(keyB64: string): Promise<SecretBox> {
    const raw = Uint8Array.from(atob(keyB64), (c) => c.charCodeAt(0));
    if (raw.length !== 32) throw new Error("encryption key must be 32 bytes");
    const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    return new SecretBox(key);
  }

  /** Returns DATA_DIR's key file content, creating it (0600) with a fresh key when missing. */
  static async loadOrCreateKeyFile(path: string): Promise<string> {
    try {
      return (await Deno.readTextFile(path)).trim();
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    const key = encodeBase64(crypto.getRandomValues(new Uint8Array(32)));
    await Deno.writeTextFile(path, key + "\n", { mode: 0o600, createNew: true });
    return key;
  }

  /** additionalData binds a ciphertext to its row (for example the cluster name). */
  async seal(plain: string, additionalData = ""): Promise<Uint8Array> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(additionalData) },
        this.key,
        new TextEncoder().encode(plain),
      ),
    );
    const out = new Uint8Array(1 + iv.length + ct.length);
    out[0] = VERSION;
    out.set(iv, 1);
    out.set(ct, 13);
    return out;
  }

  async open(stored: Uint8Array, additionalData = ""): Promise<string> {
    const sealed = new Uint8Array(stored);
    if (sealed.length < 13 + 16 || sealed[0] !== VERSION) {
      throw new Error("sealed value is malformed");
    }
    try {
      const plain = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: sealed.subarray(1, 13),
          additionalData: new TextEncoder().encode(additionalData),
        },
        this.key,
        sealed.subarray(13),
      );
      return new TextDecoder().decode(plain);
    } catch {
      throw new Error("cannot decrypt: wrong ENCRYPTION_KEY or corrupted data");
    }
  }
}
