// The search across clusters: clusters by name, then the names of every cluster the person holds
// a role on (ClusterManager.listFor), each read through the person's own client
// (ClusterManager.forPerson, the proxy's path: the cluster's RBAC and impersonation decide), a few
// clusters at a time, by one deadline. The answer holds the best hits of the clusters that
// answered in time, and names the others as partial (timeout, unavailable, error). Name lists
// are cached a few seconds per person and cluster (cache.ts), so typing does not re-list.
import type { ClusterManager, PersonalClient } from "../cluster/manager.ts";
import type { Person } from "../cluster/access.ts";
import type { ClusterListItem } from "../cluster/store.ts";
import { ClusterUnavailableError } from "../cluster/client.ts";
import { HttpError } from "../http/errors.ts";
import { objectUrl } from "../../web/lib/k8s/paths.ts";
import { log } from "../../common/log.ts";
import { LoadCache } from "./cache.ts";
import { type ClusterNames, loadClusterNames } from "./cluster_names.ts";
import { fanOut } from "./fanout.ts";
import { SEARCH_KINDS, type SearchKind } from "./kinds.ts";
import { matchRank, needleOf, type Ranked, TopHits } from "./match.ts";
import type { SearchRequest } from "./query.ts";
import type { SearchAnswer, SearchHit, SearchPartial } from "../../web/lib/search.ts";

// The answer's shapes are the web client's (web/lib/search.ts): one definition for both ends.
export type { SearchAnswer, SearchHit, SearchPartial };

export interface SearchOptions {
  /** The whole search answers within this (default 800 ms). */
  deadlineMs?: number;
  /** Clusters searched at once (default 8). */
  clusterConcurrency?: number;
  /** How long name lists are reused (default 5 s). */
  cacheTtlMs?: number;
  /** A cluster's lists may keep loading after the deadline, for the next search (default 5 s). */
  loadTimeoutMs?: number;
}

/** Names held by the cache at most, across everyone (about 100 bytes each). */
const CACHE_MAX_NAMES = 500_000;
const CACHE_MAX_ENTRIES = 1_000;
/** After the deadline, the fan-out waits this much longer for the clusters' partial answers. */
const CUTOFF_GRACE_MS = 50;
const TIMEOUT_MESSAGE = "the cluster did not answer in time";

interface Hit extends Ranked {
  clusterId: string;
  kind: SearchKind | null;
}

const KIND_ORDER = new Map(SEARCH_KINDS.map((k, i) => [k.kind, i]));

export class SearchService {
  readonly #cache: LoadCache<ClusterNames>;
  readonly #deadlineMs: number;
  readonly #concurrency: number;
  readonly #loadTimeoutMs: number;

  constructor(private readonly manager: ClusterManager, opts: SearchOptions = {}) {
    this.#deadlineMs = opts.deadlineMs ?? 800;
    this.#concurrency = opts.clusterConcurrency ?? 8;
    this.#loadTimeoutMs = opts.loadTimeoutMs ?? 5_000;
    this.#cache = new LoadCache({
      ttlMs: opts.cacheTtlMs ?? 5_000,
      maxEntries: CACHE_MAX_ENTRIES,
      maxWeight: CACHE_MAX_NAMES,
    });
  }

  async search(person: Person, req: SearchRequest): Promise<SearchAnswer> {
    const timers: ReturnType<typeof setTimeout>[] = [];
    const after = (ms: number) =>
      new Promise<void>((resolve) => void timers.push(setTimeout(resolve, ms)));
    const deadline = after(this.#deadlineMs);
    const cutoff = after(this.#deadlineMs + CUTOFF_GRACE_MS);
    try {
      const needle = needleOf(req.text);
      const top = new TopHits<Hit>(req.limit);
      const clusters = await this.manager.listFor(person);
      for (const c of clusters) {
        const rank = matchRank(c.name, needle);
        if (rank !== null) {
          top.add({
            rank,
            kindOrder: -1,
            cluster: c.name,
            namespace: null,
            name: c.name,
            clusterId: c.id,
            kind: null,
          });
        }
      }
      let open = true;
      const outcomes = await fanOut(
        clusters,
        { concurrency: this.#concurrency, cutoff },
        (c) => this.#searchCluster(person, c, needle, deadline, (h) => open && top.add(h)),
      );
      open = false;
      const partial: SearchPartial[] = [];
      outcomes.forEach((o, i) => {
        const c = clusters[i];
        const why = o.status === "done"
          ? o.value
          : o.status === "timeout"
          ? { reason: "timeout" as const, message: TIMEOUT_MESSAGE }
          : failure(o.error);
        if (why) partial.push({ cluster_id: c.id, cluster_name: c.name, ...why });
      });
      const byId = new Map(clusters.map((c) => [c.id, c]));
      return {
        items: top.best().map((h) => toItem(h, byId.get(h.clusterId)!)),
        partial,
        truncated: top.count > req.limit,
      };
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  }

  /**
   * Adds one cluster's hits; answers why they are missing or incomplete (null: complete). Reads
   * whatever kinds have arrived when the deadline comes.
   */
  async #searchCluster(
    person: Person,
    c: ClusterListItem,
    needle: string,
    deadline: Promise<void>,
    add: (hit: Hit) => void,
  ): Promise<Omit<SearchPartial, "cluster_id" | "cluster_name"> | null> {
    let personal: PersonalClient;
    try {
      personal = await this.manager.forPerson(c.id, person);
    } catch (err) {
      // Deleted, or the person's role went away, since the list: not theirs to search.
      if (err instanceof HttpError && err.status === 404) return null;
      throw err;
    }
    const { client, role, cluster } = personal;
    // Everything that decides what the cluster shows this person is in the key.
    const key = JSON.stringify([
      c.id,
      person.id,
      person.username,
      role,
      cluster.impersonate,
      person.groups,
    ]);
    const names = this.#cache.get(key, () => loadClusterNames(client, this.#loadTimeoutMs));
    const settled = await Promise.race([
      names.done.then(() => ({ failed: false, error: null }), (error: unknown) => ({
        failed: true,
        error,
      })),
      deadline.then(() => null),
    ]);
    for (const part of names.kinds) {
      const kindOrder = KIND_ORDER.get(part.kind.kind) ?? SEARCH_KINDS.length;
      for (const o of part.names) {
        const rank = matchRank(o.name, needle);
        if (rank === null) continue;
        add({
          rank,
          kindOrder,
          cluster: c.name,
          namespace: o.namespace,
          name: o.name,
          clusterId: c.id,
          kind: part.kind,
        });
      }
    }
    if (!settled) return { reason: "timeout", message: TIMEOUT_MESSAGE };
    if (settled.failed) return failure(settled.error);
    if (names.errors.length) {
      return { reason: "error", message: names.errors.slice(0, 3).join("; ") };
    }
    return null;
  }
}

function failure(err: unknown): Omit<SearchPartial, "cluster_id" | "cluster_name"> {
  if (err instanceof ClusterUnavailableError) {
    return { reason: "unavailable", message: err.message };
  }
  if (err instanceof DOMException && err.name === "TimeoutError") {
    return { reason: "timeout", message: TIMEOUT_MESSAGE };
  }
  log.warn("search: a cluster's names could not be read", { err });
  return {
    reason: "error",
    message: "the cluster's names could not be read; see the dashboard's logs",
  };
}

function toItem(h: Hit, c: ClusterListItem): SearchHit {
  const base = { cluster_id: c.id, cluster_name: c.name, namespace: h.namespace, name: h.name };
  if (!h.kind) return { ...base, kind: "Cluster", url: `/clusters/${c.id}` };
  return { ...base, kind: h.kind.kind, url: objectUrl(c.id, h.kind, h.namespace, h.name) };
}
