// The one way the dashboard talks to any cluster: a fetch-style function (Request in, streaming
// Response out) whose Request carries a Kubernetes API path, and that fails only with
// ClusterUnavailableError. Kubeconfig clusters and agent clusters both provide one (connectors/);
// everything else (the proxy, discovery, pages) is built on it and never asks which kind of
// cluster it has.

/**
 * Request in, streaming Response out. The Response's body is as its content-encoding says: only a
 * Request that carries an accept-encoding (the proxy passes its client's) may get an encoded one.
 * A cluster's own error answers are Responses; failing to get one is a ClusterUnavailableError.
 */
export type KubeFetch = (req: Request) => Promise<Response>;

/**
 * Why a cluster gave no answer, as the proxy reports it: the HTTP status and Kubernetes Status
 * reason (503 agent unavailable, the agent's own status and reason when it refused, 502 for a
 * kubeconfig cluster that could not be reached). `cause`, when set, is the underlying error.
 */
export class ClusterUnavailableError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The underlying error's message without the dashboard's framing (for stored statuses). */
  get detail(): string {
    return this.cause instanceof Error ? this.cause.message : this.message;
  }
}

/** One WebSocket message of an upgraded stream. */
export interface StreamMessage {
  data: Uint8Array;
  /** A text message; otherwise binary. */
  text: boolean;
}

/** An upgraded stream to open: exec, attach or port-forward, as kubectl asks for it. */
export interface StreamRequest {
  /** Kubernetes API path with query, e.g. /api/v1/namespaces/a/pods/p/exec?command=sh. */
  path: string;
  /** The WebSocket subprotocols the client offered, in its order. */
  protocols: string[];
  /** Request headers to pass on (never the dashboard's own credentials). */
  headers: Headers;
  /** Aborting it before the stream opens cancels the opening. */
  signal: AbortSignal;
}

/**
 * An upgraded stream to a cluster's API server. Both sides honour backpressure: `readable` is
 * pulled (the source stops reading while nobody reads), and a `writable` write resolves once the
 * path to the API server has room. Closing `writable` closes the stream normally; aborting it
 * or cancelling `readable` tears it down. `readable` ends when the API server closes the stream
 * and errors when the connection breaks.
 */
export interface KubeStream {
  /** The subprotocol the API server chose. */
  readonly protocol: string;
  readonly readable: ReadableStream<StreamMessage>;
  readonly writable: WritableStream<StreamMessage>;
}

/** The API server did not upgrade: its own answer (403 from RBAC, 404 for a missing pod...). */
export class StreamRefusedError extends Error {
  constructor(readonly response: Response) {
    super(`the API server refused the stream with status ${response.status}`);
  }
}

export interface ClusterClient {
  readonly fetch: KubeFetch;
  /**
   * Opens an upgraded stream. Fails with StreamRefusedError (the API server's answer) or
   * ClusterUnavailableError (no answer: the agent is gone or cannot carry streams, the cluster
   * is unreachable).
   */
  stream(req: StreamRequest): Promise<KubeStream>;
  /** Releases connections held for this cluster (called when the cluster changes or goes). */
  close(): void;
}

/** Base for the Request URLs handed to a KubeFetch: only the path and query are meaningful. */
export const CLUSTER_BASE = "http://cluster.invalid";

function kubeRequest(path: string, init?: RequestInit): Request {
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
