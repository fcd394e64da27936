// Kubernetes discovery: the resources a cluster serves, from aggregated discovery documents
// (/api, /apis) or legacy APIResourceLists, and their order on the "all resources" page.
import type { ResourceRef } from "./paths.ts";

export const AGGREGATED_DISCOVERY_ACCEPT =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

interface AggregatedList {
  kind?: string;
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      resources?: {
        resource: string;
        responseKind?: { kind?: string };
        scope?: string;
        verbs?: string[];
        shortNames?: string[];
      }[];
    }[];
  }[];
}

/** Resources from an aggregated discovery document (/api or /apis); preferred version only. */
export function parseAggregatedDiscovery(doc: unknown): ResourceRef[] | null {
  const list = doc as AggregatedList;
  if (!list || list.kind !== "APIGroupDiscoveryList" || !Array.isArray(list.items)) return null;
  const out: ResourceRef[] = [];
  for (const g of list.items) {
    const group = g.metadata?.name ?? "";
    const v = g.versions?.[0];
    if (!v) continue;
    for (const r of v.resources ?? []) {
      if (r.resource.includes("/")) continue;
      out.push({
        group,
        version: v.version,
        resource: r.resource,
        kind: r.responseKind?.kind ?? r.resource,
        namespaced: r.scope === "Namespaced",
        verbs: r.verbs ?? [],
        ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
      });
    }
  }
  return out;
}

interface LegacyResourceList {
  groupVersion?: string;
  resources?: {
    name: string;
    kind: string;
    namespaced: boolean;
    verbs?: string[];
    shortNames?: string[];
  }[];
}

/** Resources from one legacy APIResourceList (/api/v1, /apis/apps/v1). */
export function parseResourceList(doc: unknown): ResourceRef[] {
  const list = doc as LegacyResourceList;
  const gv = list?.groupVersion ?? "";
  const [group, version] = gv.includes("/") ? gv.split("/", 2) : ["", gv];
  return (list?.resources ?? []).filter((r) => !r.name.includes("/")).map((r) => ({
    group,
    version,
    resource: r.name,
    kind: r.kind,
    namespaced: r.namespaced,
    verbs: r.verbs ?? [],
    ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
  }));
}

export const canList = (r: ResourceRef) => r.verbs.includes("list");

/** Sorts for the "all resources" page: group (core first), then kind. */
export function sortRefs(refs: ResourceRef[]): ResourceRef[] {
  return [...refs].sort((a, b) =>
    (a.group === "" ? -1 : 0) - (b.group === "" ? -1 : 0) || a.group.localeCompare(b.group) ||
    a.kind.localeCompare(b.kind)
  );
}
