// The cluster's Events page (/clusters/{id}/events[?ns=][&type=Warning]): the namespace picker
// and the live list of core/v1 Events (islands/EventList.tsx), with the first list the server read.
import { Island } from "../islands.tsx";
import EventList from "../islands/EventList.tsx";
import NamespacePicker from "../islands/NamespacePicker.tsx";
import { PageHeader, Shell } from "../components/layout.tsx";
import type { ClusterEvent, KindResources } from "../lib/k8s/events.ts";
import type { Cluster, UiUser } from "../lib/types.ts";
import { clusterCrumbs } from "./resource_nav.ts";

export const eventsUrl = (clusterId: string) => `/clusters/${clusterId}/events`;

export interface EventsPageProps {
  user: UiUser;
  cluster: Cluster;
  now: number;
  namespace: string;
  namespaces: string[];
  events: ClusterEvent[];
  trimmed: boolean;
  resourceVersion: string;
  error: string | null;
  kinds: KindResources;
  warningsOnly: boolean;
}

export function EventsPage(p: EventsPageProps) {
  const { cluster, namespace } = p;
  const action = eventsUrl(cluster.id);
  return (
    <Shell
      user={p.user}
      cluster={cluster}
      active="events"
      now={p.now}
      crumbs={[...clusterCrumbs(cluster), { label: "Events" }]}
    >
      <PageHeader
        title="Events"
        description={`${
          namespace ? `In namespace ${namespace}` : "In all namespaces"
        }, newest first, live.`}
        actions={
          <Island
            name="NamespacePicker"
            component={NamespacePicker}
            props={{ namespaces: p.namespaces, current: namespace, action }}
          />
        }
      />
      <Island
        name="EventList"
        component={EventList}
        props={{
          clusterId: cluster.id,
          namespace,
          events: p.events,
          trimmed: p.trimmed,
          resourceVersion: p.resourceVersion,
          error: p.error,
          now: p.now,
          kinds: p.kinds,
          warningsOnly: p.warningsOnly,
          action,
        }}
      />
    </Shell>
  );
}
