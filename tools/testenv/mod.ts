/**
 * testenv: a real, local Kubernetes control plane for tests and `deno task dev-cluster`, after
 * controller-runtime's envtest. This module is its public API; import from here, not from the
 * parts:
 *
 * - binaries.ts: the pinned etcd, kube-apiserver, kube-controller-manager, kubectl and helm built
 *   by tools/kube/build.sh (kubeTools, runBuildScript).
 * - process.ts: server processes under `setpriv --pdeathsig KILL`, readiness waits, stale dirs.
 * - certs.ts: a CA, the apiserver serving cert, an admin client cert (CN=admin,
 *   O=system:masters) and a ServiceAccount signing key, made by openssl in a temp dir, so
 *   TokenRequest, RBAC and client-cert auth behave as in a real cluster; kubeconfigs.
 * - kubelet.ts: there is no scheduler and no real kubelet: a test kubelet (tools/kube/kubelet, a
 *   Go program on Kubernetes' own streaming server, run as a child process) serves container
 *   logs, exec, attach and port-forward for Nodes made with createNode(), so `kubectl logs [-f]`,
 *   `exec`, `cp` and `port-forward` work through the real apiserver.
 * - control_plane.ts: startControlPlane(), sharedControlPlane(), kubeRequest(),
 *   tokenKubeconfig(), and the apiserver's audit log (ControlPlane.auditEvents(): every request
 *   at level Metadata, impersonated user included). kube-controller-manager is on by default: it costs about a second after
 *   the apiserver is ready and makes Deployments create ReplicaSets and Pods, creates default
 *   ServiceAccounts, deletes namespaces and garbage-collects owned objects. Its node-lifecycle
 *   controller is off, since the fake nodes send no heartbeats.
 * - fixtures.ts: namespaces, ConfigMaps in bulk, fake Nodes, and createRunningPod() /
 *   reconcilePods(), which put pods on those nodes and mark them Running.
 * - metrics_server.ts: startMetricsServer(), an opt-in metrics.k8s.io server registered through
 *   an APIService (the aggregation layer's front-proxy flags are always on), serving the usage
 *   values the test sets.
 *
 * Every process dies with this one, even on SIGKILL; stop() kills them and removes the temp dir,
 * and so do the 'unload' event and, for sharedControlPlane(), SIGINT/SIGTERM; the temp dir of a
 * SIGKILLed process is swept by the next start. Not for production use: test and development
 * only.
 */

export { kubeTools, runBuildScript } from "./binaries.ts";
export {
  type ApiResponse,
  type AuditEvent,
  type ControlPlane,
  kubeRequest,
  type ProcessInfo,
  type RunOptions,
  type RunResult,
  sharedControlPlane,
  startControlPlane,
  type StartOptions,
  tokenKubeconfig,
} from "./control_plane.ts";
export {
  createConfigMaps,
  createNode,
  createRunningPod,
  ensureNamespace,
  type PodOptions,
  reconcilePods,
} from "./fixtures.ts";
export {
  type MetricsServer,
  startMetricsServer,
  type Usage as MetricsUsage,
} from "./metrics_server.ts";
