// Trust on first contact, verified by a pin (as kubeadm's --discovery-token-ca-cert-hash): the
// agent reads the certificate chain the dashboard presents, keeps the certificate whose SHA-256
// equals the pinned hash, and from then on trusts only that CA for the real, verified connection.
import tls from "node:tls";
import { certificateHash } from "../proto/wire.ts";

function toPem(der: Uint8Array): string {
  let s = "";
  for (const b of der) s += String.fromCharCode(b);
  return `-----BEGIN CERTIFICATE-----\n${
    btoa(s).replace(/(.{64})/g, "$1\n").trim()
  }\n-----END CERTIFICATE-----\n`;
}

export function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

/** Fetches the dashboard's chain and returns the PEM of the certificate matching the pin. */
export async function fetchPinnedCa(
  host: string,
  port: number,
  pin: string,
  servername?: string,
): Promise<string> {
  const socket = tls.connect({
    host,
    port,
    rejectUnauthorized: false,
    ALPNProtocols: ["h2"],
    ...(servername ? { servername } : {}),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`TLS handshake with ${host}:${port} timed out`)),
        10_000,
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
