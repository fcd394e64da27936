// What the admin's machine needs to run the install command (agent/install.sh checks the same
// minimum versions: MIN_KUBECTL and MIN_HELM there; agent/install_test.ts keeps them equal). No
// imports: the Deploy agent dialog shows these too.
export const MIN_KUBECTL = "1.24.0";
export const MIN_HELM = "3.8.0";
/** One line each, as the dialog lists them. */
export const INSTALL_PREREQUISITES: readonly string[] = [
  `kubectl ${MIN_KUBECTL} or later, its current context pointing at the cluster to add`,
  `helm ${MIN_HELM} or later`,
  "curl, openssl and bash",
  "a cluster admin (the chart creates a namespace, a ClusterRole and bindings)",
];
