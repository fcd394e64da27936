// What the dashboard keeps of the ClusterInfo an agent reports: bounded in size before it is
// stored (the update rate is bounded by the hub).
import type { ClusterInfo__Output } from "../../proto/gen/agent/v1/ClusterInfo.ts";
import type { AgentClusterInfo } from "../cluster/store.ts";

/**
 * What the dashboard keeps of an agent's ClusterInfo. Longer lists are cut (`truncated: true`);
 * names longer than a Kubernetes name can be are dropped (also flagged); strings are cut. Worst
 * case about 1.2 MB per cluster, and only GET /api/clusters/{id} returns the names.
 */
export const INFO_LIMITS = {
  namespaces: 10_000,
  crds: 2_000,
  /** kubernetes_version and platform. */
  stringChars: 256,
  /** A namespace name is a DNS label. */
  namespaceChars: 63,
  /** A CRD name (<plural>.<group>) is a DNS subdomain. */
  crdChars: 253,
};

/** Keeps at most `max` names of at most `chars` characters; `cut` when anything was left out. */
function boundedNames(list: string[], max: number, chars: number) {
  const valid = list.filter((n) => n.length > 0 && n.length <= chars);
  return { names: valid.slice(0, max), cut: valid.length > max || valid.length < list.length };
}

/** An agent's ClusterInfo as stored, within INFO_LIMITS. */
export function toClusterInfo(
  info: ClusterInfo__Output | null | undefined,
): AgentClusterInfo | null {
  if (!info) return null;
  const L = INFO_LIMITS;
  const ns = boundedNames(info.namespaces, L.namespaces, L.namespaceChars);
  const crds = boundedNames(info.crds, L.crds, L.crdChars);
  const out: AgentClusterInfo = {
    kubernetes_version: info.kubernetes_version.slice(0, L.stringChars),
    platform: info.platform.slice(0, L.stringChars),
    node_count: info.node_count < 0 ? null : info.node_count,
    namespaces: ns.names,
    crds: crds.names,
  };
  if (
    ns.cut || crds.cut || info.kubernetes_version.length > L.stringChars ||
    info.platform.length > L.stringChars
  ) {
    out.truncated = true;
  }
  return out;
}
