// What the resource explorer's pages share: the sidebar key and label of a kind, and the
// breadcrumbs down to a cluster.
import type { Crumb } from "../components/layout.tsx";
import type { ResourceRef } from "../lib/k8s/paths.ts";
import { NAV_SECTIONS } from "../lib/k8s/navigation.ts";
import type { Cluster } from "../lib/types.ts";

export function navKey(ref: Pick<ResourceRef, "group" | "resource">): string {
  return `${ref.group}/${ref.resource}`;
}

export function navLabel(ref: ResourceRef): string {
  for (const s of NAV_SECTIONS) {
    const item = s.items.find((i) => i.group === ref.group && i.resource === ref.resource);
    if (item) return item.label;
  }
  return ref.kind;
}

export function clusterCrumbs(cluster: Cluster): Crumb[] {
  return [{ label: "Clusters", href: "/clusters" }, {
    label: cluster.name,
    href: `/clusters/${cluster.id}`,
  }];
}
