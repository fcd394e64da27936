// The page-side reads of a cluster: the stored cluster of a route, and GETs through the cluster's
// client (WebDeps.client: the same client the proxy uses, for both kinds of cluster) with a
// timeout, the cluster's own error message, and the agent's credential Secret refused.
// Discovery, resolving a route's resource, and the namespace and CRD names the pages show.
import type { WebClusterClient, WebDeps, WebUser } from "../deps.ts";
import { isGroupVersion } from "../lib/params.ts";
import { apiBase, type ResourceRef } from "../lib/k8s/paths.ts";
import {
  AGGREGATED_DISCOVERY_ACCEPT,
  canList,
  parseAggregatedDiscovery,
  parseResourceList,
  sortRefs,
} from "../lib/k8s/discovery.ts";
import { errorMessage } from "../lib/k8s/objects.ts";
import { type Cluster, toJson } from "../lib/types.ts";
import { PageError } from "./page_error.ts";

/** The HTTP status a cluster client's failure carries (WebDeps: ClusterUnavailableError), else 502. */
export function clientFailureStatus(err: unknown): number {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 600 ? status : 502;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KUBE_TIMEOUT_MS = 5000;
/** A client reads only the path and query of a Request's URL; the origin is a placeholder. */
const KUBE_BASE = "http://cluster.invalid";

export const NAMESPACES_PATH = "/api/v1/namespaces";
export const CRDS_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

/** The stored cluster a route's `:id` names; 404 when it is no cluster id or no cluster. */
export async function loadCluster(deps: WebDeps, id: string, user: WebUser): Promise<Cluster> {
  if (!UUID.test(id)) {
    throw new PageError(404, "Cluster not found", "There is no cluster with this address.");
  }
  try {
    return toJson<Cluster>(await deps.clusters.get(id.toLowerCase(), user));
  } catch {
    throw new PageError(
      404,
      "Cluster not found",
      "The cluster does not exist; it may have been deleted.",
    );
  }
}

/** The reader of a cluster (its client throws when the cluster has none now). */
export async function readerFor(
  deps: WebDeps,
  clusterId: string,
  user: WebUser,
): Promise<ClusterReader> {
  return new ClusterReader(await deps.client(clusterId, user), deps.agentCredential);
}

export class ClusterReader {
  constructor(
    private readonly client: WebClusterClient,
    private readonly credential: WebDeps["agentCredential"],
  ) {}

  /** Pages never read the agent's credential Secret, as the proxy never forwards a request for it. */
  #refuseCredentialPath(path: string): void {
    if (this.credential.isPath(path.split("?", 1)[0])) {
      throw new PageError(
        403,
        "Not available",
        `The Secret ${this.credential.secret} holds an agent's credential; the dashboard does not show it.`,
      );
    }
  }

  #fetch(path: string, accept: string): Promise<Response> {
    return this.client.fetch(
      new Request(new URL(path, KUBE_BASE), {
        headers: { accept },
        signal: AbortSignal.timeout(KUBE_TIMEOUT_MS),
      }),
    );
  }

  /**
   * GET as JSON; throws PageError with the cluster's message and the status its client failed
   * with (503 agent not connected, 502 unreachable, an agent's refusal as it gave it).
   */
  async get<T>(path: string, accept = "application/json"): Promise<T> {
    this.#refuseCredentialPath(path);
    let res: Response;
    try {
      res = await this.#fetch(path, accept);
    } catch (err) {
      const status = clientFailureStatus(err);
      throw new PageError(
        status,
        status === 503
          ? "The cluster is not connected"
          : status === 502
          ? "The cluster is unreachable"
          : "The cluster refused the request",
        (err as Error).message,
      );
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    if (!res.ok) {
      throw new PageError(
        res.status,
        res.status === 404 ? "Not found" : "The cluster refused the request",
        errorMessage(body, res.status),
      );
    }
    return body as T;
  }

  /** GET as text (a pod's logs); throws an Error with the cluster's message. */
  async text(path: string): Promise<string> {
    this.#refuseCredentialPath(path);
    const res = await this.#fetch(path, "*/*");
    const text = await res.text();
    if (!res.ok) {
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // plain text
      }
      throw new Error(errorMessage(body, res.status));
    }
    return text;
  }

  /** Resolves {group, version, resource} with the group's own discovery document. */
  async resolveResource(group: string, version: string, resource: string): Promise<ResourceRef> {
    const base = apiBase({ group, version });
    const list = await this.get<unknown>(base).catch((err) => {
      if (err instanceof PageError && err.status === 404) {
        throw new PageError(
          404,
          "Unknown API",
          `This cluster does not serve ${group ? `${group}/` : ""}${version}.`,
        );
      }
      throw err;
    });
    const ref = parseResourceList(list).find((r) => r.resource === resource);
    if (!ref) {
      throw new PageError(
        404,
        "Unknown resource",
        `${group ? `${group}/` : ""}${version} has no resource "${resource}".`,
      );
    }
    return ref;
  }

  /** Every listable kind the cluster serves (aggregated discovery, else one request a group). */
  async discoverAll(): Promise<ResourceRef[]> {
    const [core, groups] = await Promise.all([
      this.get<unknown>("/api", AGGREGATED_DISCOVERY_ACCEPT),
      this.get<unknown>("/apis", AGGREGATED_DISCOVERY_ACCEPT),
    ]);
    const a = parseAggregatedDiscovery(core);
    const b = parseAggregatedDiscovery(groups);
    if (a && b) return sortRefs([...a, ...b].filter(canList));
    // Older servers: one request per group version.
    const refs = parseResourceList(await this.get("/api/v1"));
    const list = groups as { groups?: { preferredVersion?: { groupVersion: string } }[] };
    const more = await Promise.all(
      (list.groups ?? []).map((g) => {
        const gv = g.preferredVersion?.groupVersion ?? "";
        if (!isGroupVersion(gv)) return Promise.resolve([]);
        return this.get(`/apis/${gv}`).then(parseResourceList, () => []);
      }),
    );
    return sortRefs([...refs, ...more.flat()].filter(canList));
  }

  /** The sorted names of a list (namespaces, CRDs), or null when the cluster does not say. */
  async names(path: string): Promise<string[] | null> {
    try {
      const list = await this.get<{ items?: { metadata?: { name?: string } }[] }>(path);
      return (list.items ?? []).map((i) => i.metadata?.name ?? "").filter(Boolean).sort();
    } catch {
      return null;
    }
  }
}
