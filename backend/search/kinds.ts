// The fixed set of kinds the cross-cluster search reads: what a person looks for by name (the
// namespaces, the workloads, their services and configuration, nodes). Secrets are listed as
// metadata only, like every kind here: their data never reaches the dashboard.

/** One kind the search lists, with where its collection is. */
export interface SearchKind {
  kind: string;
  /** "" for the core group. */
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
}

const core = (kind: string, resource: string, namespaced = true): SearchKind => ({
  kind,
  group: "",
  version: "v1",
  resource,
  namespaced,
});

/** In the order results of equal rank are shown. */
export const SEARCH_KINDS: readonly SearchKind[] = [
  core("Namespace", "namespaces", false),
  { kind: "Deployment", group: "apps", version: "v1", resource: "deployments", namespaced: true },
  { kind: "StatefulSet", group: "apps", version: "v1", resource: "statefulsets", namespaced: true },
  { kind: "DaemonSet", group: "apps", version: "v1", resource: "daemonsets", namespaced: true },
  core("Pod", "pods"),
  core("Service", "services"),
  {
    kind: "Ingress",
    group: "networking.k8s.io",
    version: "v1",
    resource: "ingresses",
    namespaced: true,
  },
  { kind: "CronJob", group: "batch", version: "v1", resource: "cronjobs", namespaced: true },
  { kind: "Job", group: "batch", version: "v1", resource: "jobs", namespaced: true },
  core("ConfigMap", "configmaps"),
  core("Secret", "secrets"),
  core("Node", "nodes", false),
];

/** The kind names an answer may carry: the listed kinds and a matching cluster itself. */
export const HIT_KINDS = ["Cluster", ...SEARCH_KINDS.map((k) => k.kind)] as const;

/** Kubernetes API path of the kind's collection across every namespace. */
export function collectionPath(k: SearchKind): string {
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  return `${base}/${k.resource}`;
}
