// Collects what the dashboard shows about the cluster (ClusterInfo): Kubernetes version,
// platform, node count, namespaces and installed CRDs. Lists ask for metadata only
// (PartialObjectMetadataList) to stay small; what the agent may not list is reported as unknown.
import type { ClusterInfo } from "../proto/gen/agent/v1/ClusterInfo.ts";
import type { KubeAccess } from "./kube.ts";
import { VERSION } from "../common/version.ts";

const METADATA_ONLY =
  "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

async function names(
  kube: KubeAccess,
  path: string,
  signal: AbortSignal,
): Promise<string[] | null> {
  const names: string[] = [];
  let cont = "";
  do {
    const res = await kube.fetch(
      `${path}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`,
      {
        headers: new Headers({ accept: METADATA_ONLY }),
        signal,
      },
    );
    if (res.status === 403 || res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    const list = await res.json() as {
      items: { metadata: { name: string } }[] | null;
      metadata?: { continue?: string };
    };
    for (const i of list.items ?? []) names.push(i.metadata.name);
    cont = list.metadata?.continue ?? "";
  } while (cont && names.length < 100_000);
  return names.sort();
}

export async function collectClusterInfo(
  kube: KubeAccess,
  signal = AbortSignal.timeout(30_000),
): Promise<ClusterInfo> {
  const res = await kube.fetch("/version", {
    headers: new Headers({ accept: "application/json" }),
    signal,
  });
  if (!res.ok) throw new Error(`/version: HTTP ${res.status}`);
  const v = await res.json() as { gitVersion: string; platform: string };
  const [nodes, namespaces, crds] = await Promise.all([
    names(kube, "/api/v1/nodes", signal),
    names(kube, "/api/v1/namespaces", signal),
    names(kube, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", signal),
  ]);
  return {
    kubernetes_version: v.gitVersion,
    platform: v.platform,
    node_count: nodes ? nodes.length : -1,
    namespaces: namespaces ?? [],
    crds: crds ?? [],
    agent_version: VERSION,
  };
}
