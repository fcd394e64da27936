// The one way the dashboard talks to any cluster: a fetch-style function (Request in, streaming
// Response out) whose Request carries a Kubernetes API path. Kubeconfig clusters and agent
// clusters both provide one; everything else (the proxy, discovery, watches, pages) is built on
// it by the helpers here and never asks which kind of cluster it has.

/**
 * Request in, streaming Response out. The Response's body is as its content-encoding says: only a
 * Request that carries an accept-encoding (the proxy passes its client's) may get an encoded one.
 */
export type KubeFetch = (req: Request) => Promise<Response>;

export interface ClusterClient {
  readonly fetch: KubeFetch;
  /** Releases connections held for this cluster (called when the cluster changes or goes). */
  close(): void;
}

/** Base for the Request URLs handed to a KubeFetch: only the path and query are meaningful. */
export const CLUSTER_BASE = "http://cluster.invalid";

export function kubeRequest(path: string, init?: RequestInit): Request {
  return new Request(new URL(path, CLUSTER_BASE), init);
}

/** A Kubernetes API error with the server's own message (from its Status object). */
export class KubeError extends Error {
  constructor(readonly status: number, message: string, readonly reason?: string) {
    super(message);
  }
}

async function statusError(res: Response, path: string): Promise<KubeError> {
  const text = await res.text().catch(() => "");
  try {
    const s = JSON.parse(text) as { message?: string; reason?: string };
    return new KubeError(res.status, s.message ?? `${path}: HTTP ${res.status}`, s.reason);
  } catch {
    return new KubeError(res.status, `${path}: HTTP ${res.status} ${text.slice(0, 200)}`.trim());
  }
}

export async function getJSON<T>(
  client: ClusterClient,
  path: string,
  signal?: AbortSignal,
): Promise<T> {
  const res = await client.fetch(
    kubeRequest(path, { headers: { accept: "application/json" }, signal }),
  );
  if (!res.ok) throw await statusError(res, path);
  return await res.json() as T;
}

export interface WatchEvent<T = Record<string, unknown>> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

/** Opens a watch (path without ?watch) and yields its events as they arrive. */
export async function* watch<T = Record<string, unknown>>(
  client: ClusterClient,
  path: string,
  opts: { resourceVersion?: string; signal?: AbortSignal } = {},
): AsyncGenerator<WatchEvent<T>> {
  const url = new URL(path, CLUSTER_BASE);
  url.searchParams.set("watch", "true");
  url.searchParams.set("allowWatchBookmarks", "true");
  if (opts.resourceVersion) url.searchParams.set("resourceVersion", opts.resourceVersion);
  const res = await client.fetch(
    kubeRequest(url.pathname + url.search, {
      headers: { accept: "application/json" },
      signal: opts.signal,
    }),
  );
  if (!res.ok || !res.body) throw await statusError(res, path);
  let buffered = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield JSON.parse(line) as WatchEvent<T>;
    }
  }
}

export interface ClusterSummary {
  kubernetesVersion: string;
  platform: string;
  nodeCount: number | null;
}

/** Version, platform and node count (null when the credential may not list nodes). */
export async function clusterSummary(
  client: ClusterClient,
  signal?: AbortSignal,
): Promise<ClusterSummary> {
  const v = await getJSON<{ gitVersion: string; platform: string }>(client, "/version", signal);
  let nodeCount: number | null = null;
  try {
    const nodes = await getJSON<{ items: unknown[] }>(client, "/api/v1/nodes?limit=500", signal);
    nodeCount = nodes.items.length;
  } catch (err) {
    if (!(err instanceof KubeError && err.status === 403)) throw err;
  }
  return { kubernetesVersion: v.gitVersion, platform: v.platform, nodeCount };
}
