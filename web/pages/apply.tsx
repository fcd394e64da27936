// The cluster's Create / apply page (/clusters/{id}/apply[?ns=]): multi-document YAML, a preview
// of each document's server-side apply as a diff against the live object, then the apply itself
// (islands/ApplyYaml.tsx).
import { Island } from "../islands.tsx";
import ApplyYaml from "../islands/ApplyYaml.tsx";
import { PageHeader, Shell } from "../components/layout.tsx";
import type { Access } from "../lib/k8s/access_review.ts";
import type { Cluster, UiUser } from "../lib/types.ts";
import { clusterCrumbs } from "./resource_nav.ts";

export const applyUrl = (clusterId: string) => `/clusters/${clusterId}/apply`;

export interface ApplyPageProps {
  user: UiUser;
  cluster: Cluster;
  now: number;
  namespace: string;
  namespaces: string[];
  /** Whether the person may apply here at all (a viewer may not). */
  access: Access;
}

export function ApplyPage(p: ApplyPageProps) {
  const { cluster } = p;
  return (
    <Shell
      user={p.user}
      cluster={cluster}
      active="apply"
      now={p.now}
      crumbs={[...clusterCrumbs(cluster), { label: "Create / apply" }]}
    >
      <PageHeader
        title="Create / apply"
        description="Server-side apply of one or more objects (documents separated by ---), as you, with field manager kube-dashboard. Preview the diff first."
      />
      <Island
        name="ApplyYaml"
        component={ApplyYaml}
        props={{
          clusterId: cluster.id,
          namespace: p.namespace,
          namespaces: p.namespaces,
          access: p.access,
        }}
      />
    </Shell>
  );
}
