// The command palette's pure part: the answer of GET /api/search as the browser reads it, results
// grouped by cluster (in the answer's order, best first), moving the active result with the arrow
// keys, the notice for clusters that did not answer, and which links the palette may follow.

// The answer's types are shared with the handler (backend/search/service.ts imports them), and
// backend/search/api_doc.ts checks its zod schema against them.

/** One result: an object (or a cluster) and its page in the dashboard. */
export interface SearchHit {
  cluster_id: string;
  cluster_name: string;
  /** Cluster, Namespace, Pod, Deployment, … */
  kind: string;
  namespace: string | null;
  name: string;
  /** The dashboard page of the object (the cluster's overview for a cluster). */
  url: string;
}

/** A cluster whose results are missing or incomplete, and why. */
export interface SearchPartial {
  cluster_id: string;
  cluster_name: string;
  reason: "timeout" | "unavailable" | "error";
  message: string;
}

export interface SearchAnswer {
  items: SearchHit[];
  partial: SearchPartial[];
  /** More hits than the limit: only the best are in items. */
  truncated: boolean;
}

export interface ClusterGroup {
  cluster_id: string;
  cluster_name: string;
  /** Each with its place in the palette's one list (what the arrows move through). */
  items: { hit: SearchHit; index: number }[];
}

/** Results by cluster, clusters in the order of their best result; indexes run through groups. */
export function groupByCluster(items: readonly SearchHit[]): ClusterGroup[] {
  const groups = new Map<string, ClusterGroup>();
  for (const hit of items) {
    let g = groups.get(hit.cluster_id);
    if (!g) {
      g = { cluster_id: hit.cluster_id, cluster_name: hit.cluster_name, items: [] };
      groups.set(hit.cluster_id, g);
    }
    g.items.push({ hit, index: -1 });
  }
  let i = 0;
  const out = [...groups.values()];
  for (const g of out) for (const item of g.items) item.index = i++;
  return out;
}

/** The results in the order shown (grouped). */
export const shownOrder = (groups: readonly ClusterGroup[]): SearchHit[] =>
  groups.flatMap((g) => g.items.map((i) => i.hit));

/** The active index after an arrow key, wrapping around; -1 when there is nothing. */
export function moveActive(active: number, count: number, key: "ArrowDown" | "ArrowUp"): number {
  if (count <= 0) return -1;
  if (active < 0 || active >= count) return key === "ArrowDown" ? 0 : count - 1;
  return key === "ArrowDown" ? (active + 1) % count : (active - 1 + count) % count;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** What to say about clusters missing from the results (empty: nothing missing). */
export function partialNotices(partial: readonly SearchPartial[]): string[] {
  const late = partial.filter((p) => p.reason === "timeout").length;
  const failed = partial.length - late;
  const out: string[] = [];
  if (late) out.push(`${plural(late, "cluster", "clusters")} did not answer in time`);
  if (failed) out.push(`${plural(failed, "cluster", "clusters")} could not be searched`);
  return out;
}

/** Only the dashboard's own cluster pages are followed (the answer's links are paths). */
export const isPageLink = (url: string) => /^\/clusters\/[0-9a-f-]{36}(\/|$)/.test(url);

/** Whether a key press opens the palette: Ctrl+K, or Cmd+K on a Mac. */
export const opensPalette = (
  e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">,
) => (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "k";
