// The Events page: GET /clusters/{id}/events[?ns=][&type=Warning]. Reads the first list of core/v1
// Events through the person's client (at most MAX_EVENTS, newest kept), the namespaces for the
// picker and the cluster's kinds (for the involved objects' links); a refusal of the list is shown
// in the cluster's words, never a failed page.
import type { Hono } from "hono";
import type { WebDeps, WebEnv } from "../deps.ts";
import { EventsPage } from "../pages/events.tsx";
import {
  type ClusterEvent,
  type KindResources,
  MAX_EVENTS,
  newestEvents,
} from "../lib/k8s/events.ts";
import { isNamespace } from "../lib/params.ts";
import { clusterPage, page, uiUser } from "./page.tsx";
import { NAMESPACES_PATH, readerFor } from "./cluster_reader.ts";
import { PageError } from "./page_error.ts";

export function eventRoutes(pages: Hono<WebEnv>, deps: WebDeps): void {
  pages.get(
    "/clusters/:id/events",
    clusterPage(deps, async (c, cluster, user) => {
      const namespace = c.req.query("ns") ?? "";
      if (namespace && !isNamespace(namespace)) {
        throw new PageError(400, "Invalid address", `"${namespace}" is not a namespace name.`);
      }
      const warningsOnly = c.req.query("type") === "Warning";
      const reader = await readerFor(deps, cluster.id, user);
      const path = namespace
        ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`
        : "/api/v1/events";
      let events: ClusterEvent[] = [];
      let trimmed = false;
      let resourceVersion = "";
      let error: string | null = null;
      const [namespaces, , refs] = await Promise.all([
        reader.names(NAMESPACES_PATH),
        reader.get<
          { items?: ClusterEvent[]; metadata?: { resourceVersion?: string; continue?: string } }
        >(`${path}?limit=${MAX_EVENTS}`).then(
          (l) => {
            const n = newestEvents(l.items ?? []);
            events = n.events;
            trimmed = n.trimmed || !!l.metadata?.continue;
            resourceVersion = l.metadata?.resourceVersion ?? "";
          },
          (err) => void (error = (err as Error).message),
        ),
        reader.discoverAll().catch(() => []),
      ]);
      const kinds: KindResources = {};
      for (const r of refs) {
        kinds[`${r.group}/${r.kind}`] ??= { resource: r.resource, namespaced: r.namespaced };
      }
      return page(
        `Events · ${cluster.name}`,
        <EventsPage
          user={uiUser(user)}
          cluster={cluster}
          now={Date.now()}
          namespace={namespace}
          namespaces={namespaces ?? []}
          events={events}
          trimmed={trimmed}
          resourceVersion={resourceVersion}
          error={error}
          kinds={kinds}
          warningsOnly={warningsOnly}
        />,
      )(c);
    }),
  );
}
