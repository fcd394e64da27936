// Trust on first contact, verified by a pin (as kubeadm's --discovery-token-ca-cert-hash): the
// agent reads the certificate chain the dashboard presents, keeps the certificate whose SHA-256
// equals the pinned hash, and from then on trusts only that CA for the real, verified connection.
import tls from "node:tls";
import { certificateHash } from "../proto/wire.ts";

/** A DER certificate as PEM. */
export function toPem(der: Uint8Array): string {
  let s = "";
  for (const b of der) s += String.fromCharCode(b);
  return `-----BEGIN CERTIFICATE-----\n${
    btoa(s).replace(/(.{64})/g, "$1\n").trim()
  }\n-----END CERTIFICATE-----\n`;
}

export function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

/**
 * Connects with TLS to `options.host`:`options.port` and resolves once the handshake is done (the
 * caller destroys the socket); fails, the socket destroyed, on an error or when the handshake
 * takes longer than `timeoutMs`.
 */
export async function tlsHandshake(
  options: tls.ConnectionOptions & { host: string; port: number },
  timeoutMs = 10_000,
): Promise<tls.TLSSocket> {
  const socket = tls.connect(options);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`TLS handshake with ${options.host}:${options.port} timed out`)),
        timeoutMs,
      );
      socket.once("secureConnect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return socket;
}

/** Fetches the dashboard's chain and returns the PEM of the certificate matching the pin. */
export async function fetchPinnedCa(
  host: string,
  port: number,
  pin: string,
  servername?: string,
): Promise<string> {
  const socket = await tlsHandshake({
    host,
    port,
    rejectUnauthorized: false,
    ALPNProtocols: ["h2"],
    ...(servername ? { servername } : {}),
  });
  try {
    const seen = new Set<string>();
    for (let c = socket.getPeerCertificate(true); c && c.raw; c = c.issuerCertificate) {
      const pem = toPem(new Uint8Array(c.raw));
      const hash = await certificateHash(pem);
      if (hash === pin) return pem;
      if (seen.has(hash)) break;
      seen.add(hash);
    }
    throw new Error(
      `no certificate presented by ${host}:${port} matches the CA pin ${pin}; check --ca-hash against the dashboard's install command`,
    );
  } finally {
    socket.destroy();
  }
}
