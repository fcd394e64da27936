// The sidebar's well-known kinds, by section (data only: the layout renders them).

/** The sidebar's well-known kinds, by section. */
export const NAV_SECTIONS: {
  title: string;
  items: { label: string; group: string; version: string; resource: string; namespaced: boolean }[];
}[] = [
  {
    title: "Workloads",
    items: [
      { label: "Pods", group: "", version: "v1", resource: "pods", namespaced: true },
      {
        label: "Deployments",
        group: "apps",
        version: "v1",
        resource: "deployments",
        namespaced: true,
      },
      {
        label: "StatefulSets",
        group: "apps",
        version: "v1",
        resource: "statefulsets",
        namespaced: true,
      },
      {
        label: "DaemonSets",
        group: "apps",
        version: "v1",
        resource: "daemonsets",
        namespaced: true,
      },
      {
        label: "ReplicaSets",
        group: "apps",
        version: "v1",
        resource: "replicasets",
        namespaced: true,
      },
      { label: "Jobs", group: "batch", version: "v1", resource: "jobs", namespaced: true },
      { label: "CronJobs", group: "batch", version: "v1", resource: "cronjobs", namespaced: true },
    ],
  },
  {
    title: "Network",
    items: [
      { label: "Services", group: "", version: "v1", resource: "services", namespaced: true },
      {
        label: "Ingresses",
        group: "networking.k8s.io",
        version: "v1",
        resource: "ingresses",
        namespaced: true,
      },
      {
        label: "Network Policies",
        group: "networking.k8s.io",
        version: "v1",
        resource: "networkpolicies",
        namespaced: true,
      },
    ],
  },
  {
    title: "Config & Storage",
    items: [
      { label: "ConfigMaps", group: "", version: "v1", resource: "configmaps", namespaced: true },
      { label: "Secrets", group: "", version: "v1", resource: "secrets", namespaced: true },
      {
        label: "PersistentVolumeClaims",
        group: "",
        version: "v1",
        resource: "persistentvolumeclaims",
        namespaced: true,
      },
      {
        label: "PersistentVolumes",
        group: "",
        version: "v1",
        resource: "persistentvolumes",
        namespaced: false,
      },
      {
        label: "StorageClasses",
        group: "storage.k8s.io",
        version: "v1",
        resource: "storageclasses",
        namespaced: false,
      },
    ],
  },
  {
    title: "Cluster",
    items: [
      { label: "Nodes", group: "", version: "v1", resource: "nodes", namespaced: false },
      { label: "Namespaces", group: "", version: "v1", resource: "namespaces", namespaced: false },
      { label: "Events", group: "", version: "v1", resource: "events", namespaced: true },
      {
        label: "Service Accounts",
        group: "",
        version: "v1",
        resource: "serviceaccounts",
        namespaced: true,
      },
      {
        label: "Roles",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "roles",
        namespaced: true,
      },
      {
        label: "Role Bindings",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "rolebindings",
        namespaced: true,
      },
      {
        label: "Cluster Roles",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "clusterroles",
        namespaced: false,
      },
      {
        label: "CRDs",
        group: "apiextensions.k8s.io",
        version: "v1",
        resource: "customresourcedefinitions",
        namespaced: false,
      },
    ],
  },
];
