import { Island } from "../islands.tsx";
import ClusterList from "../islands/ClusterList.tsx";
import AddCluster from "../islands/AddCluster.tsx";
import { PageHeader, Shell } from "../components/layout.tsx";
import type { Cluster, UiUser } from "../lib/types.ts";

export function ClustersPage(
  { user, clusters, now, agentImage }: {
    user: UiUser;
    clusters: Cluster[];
    now: number;
    /** The dashboard's AGENT_IMAGE: the Deploy agent dialog's default image. */
    agentImage: string;
  },
) {
  const isAdmin = user.role === "admin";
  return (
    <Shell user={user} crumbs={[{ label: "Clusters" }]} active="clusters" now={now}>
      <PageHeader
        title="Clusters"
        description="Every cluster this dashboard can reach, by kubeconfig or through an in-cluster agent."
        actions={isAdmin
          ? <Island name="AddCluster" component={AddCluster} props={{ now, agentImage }} />
          : null}
      />
      <Island
        name="ClusterList"
        component={ClusterList}
        props={{ initial: clusters, now, isAdmin }}
      />
    </Shell>
  );
}
