// The search across clusters (GET /api/search): three clusters, each its own API server with
// `objects` ConfigMaps in one namespace, connected by kubeconfig to one dashboard process. A
// query names a ConfigMap present in all three. "Cold": each query by a person who has not
// searched yet (nothing cached: every cluster's twelve kinds are listed); "typing": the same
// person searching again within the name lists' few seconds of reuse. p50 and p95 of each, and
// how many queries found the object in all three clusters with no cluster partial.
import { createConfigMaps, startControlPlane } from "../tools/testenv/mod.ts";
import type { ControlPlane } from "../tools/testenv/mod.ts";
import { startDashboardProcess } from "./dashboard_process.ts";
import { percentile } from "./stats.ts";

export interface SearchSizes {
  /** ConfigMaps per cluster. */
  objects: number;
  /** Queries of each kind (cold, typing). */
  queries: number;
}

export const fullSearchSizes: SearchSizes = { objects: 1000, queries: 20 };
export const smokeSearchSizes: SearchSizes = { objects: 20, queries: 3 };

export interface SearchBenchResult {
  clusters: number;
  objects_per_cluster: number;
  queries: number;
  cold_p50_ms: number;
  cold_p95_ms: number;
  typing_p50_ms: number;
  typing_p95_ms: number;
  /** Queries (cold and typing) that found the object in every cluster, none partial. */
  found_in_all: number;
  partial_answers: number;
}

const CLUSTERS = 3;
const NS = "bench-search";
const name = (i: number) => `bench-search-cm-${i}`;

interface Answer {
  items: { cluster_id: string; kind: string; name: string }[];
  partial: unknown[];
}

export async function runSearchBench(sizes: SearchSizes): Promise<SearchBenchResult> {
  const cps: ControlPlane[] = [];
  const dash = await startDashboardProcess();
  try {
    for (let i = 0; i < CLUSTERS; i++) {
      cps.push(await startControlPlane({ controllerManager: false }));
    }
    await Promise.all(cps.map((cp) => createConfigMaps(cp, NS, sizes.objects, 64, { name })));
    const ids: string[] = [];
    for (const [i, cp] of cps.entries()) {
      const r = await dash.api("POST", "/api/clusters", {
        name: `bench-search-${i}`,
        kubeconfig: await Deno.readTextFile(cp.kubeconfigPath),
      });
      if (r.status !== 201) throw new Error(`cluster ${i}: ${r.status} ${await r.text()}`);
      ids.push((await r.json() as { id: string }).id);
    }

    let found = 0, partial = 0;
    const query = async (token: string, q: string): Promise<number> => {
      const started = performance.now();
      const res = await fetch(`${dash.url}/api/search?q=${encodeURIComponent(q)}`, {
        client: dash.http,
        headers: { authorization: `Bearer ${token}` },
      } as RequestInit);
      const text = await res.text();
      const ms = performance.now() - started;
      if (!res.ok) throw new Error(`search ${q}: ${res.status} ${text}`);
      const a = JSON.parse(text) as Answer;
      const inClusters = new Set(
        a.items.filter((h) => h.kind === "ConfigMap" && h.name === q).map((h) => h.cluster_id),
      );
      if (a.partial.length) partial++;
      else if (ids.every((id) => inClusters.has(id))) found++;
      return ms;
    };

    const cold: number[] = [], typing: number[] = [];
    for (let i = 0; i < sizes.queries; i++) {
      // A new person per cold query: nothing of theirs is cached.
      const token = await person(dash, `bench-search-${i}`);
      const target = name(Math.floor(Math.random() * sizes.objects));
      cold.push(await query(token, target));
      typing.push(await query(token, name(Math.floor(Math.random() * sizes.objects))));
    }
    return {
      clusters: CLUSTERS,
      objects_per_cluster: sizes.objects,
      queries: sizes.queries,
      cold_p50_ms: percentile(cold, 50),
      cold_p95_ms: percentile(cold, 95),
      typing_p50_ms: percentile(typing, 50),
      typing_p95_ms: percentile(typing, 95),
      found_in_all: found,
      partial_answers: partial,
    };
  } finally {
    await dash.stop();
    for (const cp of cps) await cp.stop();
  }
}

/** A viewer (every cluster, read only) and a session token of theirs. */
async function person(
  dash: Awaited<ReturnType<typeof startDashboardProcess>>,
  username: string,
): Promise<string> {
  const password = "bench-search-person-password";
  const u = await dash.api("POST", "/api/users", { username, password, role: "viewer" });
  if (u.status !== 201) throw new Error(`user ${username}: ${u.status} ${await u.text()}`);
  const login = await fetch(`${dash.url}/api/auth/login`, {
    method: "POST",
    client: dash.http,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  } as RequestInit);
  if (!login.ok) throw new Error(`login ${username}: ${login.status} ${await login.text()}`);
  return (await login.json() as { token: string }).token;
}
