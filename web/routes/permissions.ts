// What the signed-in person may do on a page, asked of the cluster before the page renders.
//
// permissionsFor() first applies the dashboard's own rule (a person whose role on the cluster is
// viewer may only read: writes are refused without asking the cluster), then asks the cluster with
// one SelfSubjectAccessReview per remaining action, in parallel, through the person's client
// (WebDeps.client): on a cluster that impersonates, the cluster answers for the person; otherwise
// for the cluster's own identity (the agent's ServiceAccount, the kubeconfig's user). Either way
// the answer is what the cluster will enforce.
//
// Answers are cached per (cluster, person, their role on it, impersonation, attributes) for
// ANSWER_TTL_MS (30 s) in a bounded map (MAX_ENTRIES, least recently used out first): a changed
// RoleBinding shows in the pages within 30 s. A review that fails (timeout, the cluster refuses
// the review, no authorization.k8s.io/v1) never blocks the page: the action stays enabled, marked
// unknown with the failure in its hover text (the cluster still enforces when the person tries);
// such answers are kept only FAILURE_TTL_MS.
import type { WebClusterClient, WebUser } from "../deps.ts";
import type { Cluster } from "../lib/types.ts";
import type { ResourceRef } from "../lib/k8s/paths.ts";
import {
  type Access,
  accessReview,
  type Action,
  attributesKey,
  denialReason,
  describeAttributes,
  identityOf,
  isWrite,
  type Permissions,
  readAccessReview,
  type ResourceAttributes,
  reviewsFor,
  roleOn,
  type RowAccess,
  SSAR_PATH,
  unknownReason,
  VIEWER_REASON,
} from "../lib/k8s/access_review.ts";
import { errorMessage } from "../lib/k8s/objects.ts";

export const ANSWER_TTL_MS = 30_000;
export const FAILURE_TTL_MS = 5_000;
export const MAX_ENTRIES = 5_000;
/** As the pages' reads of a cluster (cluster_reader.ts). */
export const REVIEW_TIMEOUT_MS = 5_000;
/** At most this many namespaces are asked about for one all-namespaces list. */
export const MAX_ROW_NAMESPACES = 25;
/** A client reads only the path and query of a Request's URL; the origin is a placeholder. */
const KUBE_BASE = "http://cluster.invalid";

/** Answers by key, each until its deadline; the least recently used entry goes first when full. */
export class AccessCache {
  readonly #entries = new Map<string, { access: Access; until: number }>();

  constructor(readonly max = MAX_ENTRIES) {}

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, now: number): Access | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    this.#entries.delete(key);
    if (e.until <= now) return undefined;
    this.#entries.set(key, e); // most recently used last
    return e.access;
  }

  set(key: string, access: Access, ttlMs: number, now: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { access, until: now + ttlMs });
    while (this.#entries.size > this.max) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** The process's cache of answers (the pages' default). */
export const accessCache = new AccessCache();

export interface PermissionOptions {
  /** The actions to answer (default: none). */
  actions: readonly Action[];
  cache?: AccessCache;
  now?: () => number;
  timeoutMs?: number;
}

type ClusterFacts = Pick<Cluster, "id" | "impersonate" | "connection_type" | "my_role">;

/** One review: the cluster's answer, or unknown when it could not be had. */
async function review(
  client: WebClusterClient,
  attrs: ResourceAttributes,
  cluster: ClusterFacts,
  timeoutMs: number,
): Promise<{ access: Access; failed: boolean }> {
  try {
    const res = await client.fetch(
      new Request(new URL(SSAR_PATH, KUBE_BASE), {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(accessReview(attrs)),
        signal: AbortSignal.timeout(timeoutMs),
      }),
    );
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    if (!res.ok) {
      return {
        access: {
          allowed: true,
          unknown: true,
          reason: unknownReason(`HTTP ${res.status}: ${errorMessage(body, res.status)}`),
        },
        failed: true,
      };
    }
    const answer = readAccessReview(body);
    if (answer.allowed) return { access: { allowed: true }, failed: false };
    return {
      access: { allowed: false, reason: denialReason(answer, attrs, cluster) },
      failed: false,
    };
  } catch (err) {
    const e = err as Error;
    const detail = e?.name === "TimeoutError"
      ? `no answer within ${timeoutMs / 1000} s`
      : (e?.message || String(err));
    return {
      access: { allowed: true, unknown: true, reason: unknownReason(detail) },
      failed: true,
    };
  }
}

/**
 * Whether `user` may take each of `opts.actions` on `resource` in `namespace` (null or "": all
 * namespaces, or cluster-scoped) and, on an object's page, on the object `name`. `client` is the
 * person's client of the cluster (WebDeps.client). Never throws.
 */
export async function permissionsFor(
  client: WebClusterClient,
  cluster: ClusterFacts,
  user: Pick<WebUser, "id" | "role">,
  resource: Pick<ResourceRef, "group" | "resource" | "namespaced">,
  namespace: string | null,
  name: string | null,
  opts: PermissionOptions,
): Promise<Permissions> {
  const cache = opts.cache ?? accessCache;
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? REVIEW_TIMEOUT_MS;
  const role = roleOn(cluster, user);
  const person = [cluster.id, user.id, role, cluster.impersonate ? "as-person" : "as-cluster"]
    .join("|");
  /** One review's answer, from the cache or the cluster. */
  const ask = async (attrs: ResourceAttributes): Promise<Access> => {
    const key = person + "|" + attributesKey(attrs);
    const hit = cache.get(key, now());
    if (hit) return hit;
    const { access, failed } = await review(client, attrs, cluster, timeoutMs);
    cache.set(key, access, failed ? FAILURE_TTL_MS : ANSWER_TTL_MS, now());
    return access;
  };
  const entries = await Promise.all(opts.actions.map(async (action): Promise<[Action, Access]> => {
    if (role === "viewer" && isWrite(action)) {
      return [action, { allowed: false, reason: VIEWER_REASON }];
    }
    // Any one of an action's reviews allowing suffices (scale: patch, else update), asked in
    // order; all denied: the first denial, naming every verb when it is RBAC's.
    const reviews = reviewsFor(action, resource, namespace, name);
    const denials: Access[] = [];
    for (const [i, attrs] of reviews.entries()) {
      const access = await ask(attrs);
      if (access.allowed) {
        return [action, i > 0 ? { ...access, verb: attrs.verb } : access];
      }
      denials.push(access);
    }
    if (reviews.length > 1) {
      const verbs = reviews.map((a) => a.verb).join(" or ");
      const rbac = `the cluster's RBAC does not allow ${
        describeAttributes({ ...reviews[0], verb: verbs })
      } for ${identityOf(cluster)}`;
      const own = denials.map((d) => d.reason).find((r) => r && !/^the cluster's RBAC /.test(r));
      return [action, { allowed: false, reason: own ?? rbac }];
    }
    return [action, denials[0]];
  }));
  return Object.fromEntries(entries) as Permissions;
}

/**
 * A list's per-row action (delete): asked in the list's namespace; on an all-namespaces list
 * of a namespaced resource, across all namespaces and, when that is not allowed (a person bound
 * per namespace, say), in each namespace the first rows show (at most MAX_ROW_NAMESPACES).
 */
export async function rowPermission(
  client: WebClusterClient,
  cluster: ClusterFacts,
  user: Pick<WebUser, "id" | "role">,
  resource: Pick<ResourceRef, "group" | "resource" | "namespaced">,
  namespace: string,
  /** The namespaces of the first rows (awaited only when needed). */
  rowNamespaces: readonly string[] | PromiseLike<readonly string[]>,
  action: Action,
  opts: Omit<PermissionOptions, "actions"> = {},
): Promise<RowAccess> {
  const ask = (ns: string) =>
    permissionsFor(client, cluster, user, resource, ns, null, { ...opts, actions: [action] })
      .then((p) => p[action]!);
  const all = await ask(namespace);
  const viewerWrite = roleOn(cluster, user) === "viewer" && isWrite(action);
  if (all.allowed || viewerWrite || !resource.namespaced || namespace) return { all };
  const namespaces = [...new Set((await rowNamespaces).filter(Boolean))].sort().slice(
    0,
    MAX_ROW_NAMESPACES,
  );
  if (namespaces.length === 0) return { all };
  const answers = await Promise.all(namespaces.map(ask));
  // Denied in every namespace asked too: the cluster-wide denial stands for the other rows.
  if (answers.every((a) => !a.allowed)) return { all };
  return {
    all: {
      allowed: true,
      unknown: true,
      reason: "allowed in some namespaces only; the cluster decides in this one",
    },
    byNamespace: Object.fromEntries(namespaces.map((ns, i) => [ns, answers[i]])),
  };
}
