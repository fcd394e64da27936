// Where the agent keeps its permanent cluster credential after registering, so a restart never
// needs a new token: a Secret in its own namespace when running in a pod, or a 0600 file in
// --state-dir outside one.
import { join } from "node:path";
import type { KubeAccess } from "./kube.ts";
import type { ProtectedSecret } from "./credential_guard.ts";

export interface StoredCredential {
  credential: string;
  cluster_id: string;
  cluster_name: string;
}

export interface CredentialStore {
  readonly where: string;
  /** The Secret holding the credential, when kept in one: tunnelled requests may not touch it
   * (./credential_guard.ts). */
  readonly secret?: ProtectedSecret;
  load(): Promise<StoredCredential | null>;
  save(c: StoredCredential): Promise<void>;
}

function parse(raw: string, where: string): StoredCredential | null {
  if (!raw.trim()) return null;
  try {
    const c = JSON.parse(raw) as Partial<StoredCredential>;
    if (
      typeof c.credential === "string" && typeof c.cluster_id === "string" &&
      typeof c.cluster_name === "string"
    ) {
      return { credential: c.credential, cluster_id: c.cluster_id, cluster_name: c.cluster_name };
    }
  } catch { /* reported below */ }
  throw new Error(
    `the stored credential in ${where} is malformed; delete it and reinstall with a new token`,
  );
}

export function fileCredentialStore(stateDir: string): CredentialStore {
  const path = join(stateDir, "credential.json");
  return {
    where: path,
    async load() {
      try {
        return parse(await Deno.readTextFile(path), path);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return null;
        throw err;
      }
    },
    async save(c) {
      await Deno.mkdir(stateDir, { recursive: true, mode: 0o700 });
      const tmp = `${path}.${crypto.randomUUID()}.tmp`;
      await Deno.writeTextFile(tmp, JSON.stringify(c), { mode: 0o600 });
      await Deno.rename(tmp, path);
    },
  };
}

/**
 * A Secret the Helm chart created; the agent's Role may only get and update this one name. The
 * agent's own requests go straight to its API server; tunnelled ones for it are refused.
 */
export function secretCredentialStore(
  kube: KubeAccess,
  namespace: string,
  name: string,
): CredentialStore {
  const path = `/api/v1/namespaces/${namespace}/secrets/${name}`;
  const where = `Secret ${namespace}/${name}`;
  const json = new Headers({ "content-type": "application/json", accept: "application/json" });
  return {
    where,
    secret: { namespace, name },
    async load() {
      const res = await kube.fetch(path, { headers: json, signal: AbortSignal.timeout(15_000) });
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) {
        throw new Error(`reading ${where}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
      }
      const secret = await res.json() as { data?: Record<string, string> };
      const raw = secret.data?.["credential.json"];
      return raw ? parse(atob(raw), where) : null;
    },
    async save(c) {
      const body = JSON.stringify({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace },
        type: "Opaque",
        data: { "credential.json": btoa(JSON.stringify(c)) },
      });
      let res = await kube.fetch(path, {
        method: "PUT",
        headers: json,
        body,
        signal: AbortSignal.timeout(15_000),
      });
      if (res.status === 404) {
        await res.body?.cancel();
        res = await kube.fetch(`/api/v1/namespaces/${namespace}/secrets`, {
          method: "POST",
          headers: json,
          body,
          signal: AbortSignal.timeout(15_000),
        });
      }
      if (!res.ok) {
        throw new Error(
          `saving the credential to ${where}: HTTP ${res.status} ${
            (await res.text()).slice(0, 300)
          } (the chart creates this Secret and lets the agent update it)`,
        );
      }
      await res.body?.cancel();
    },
  };
}
