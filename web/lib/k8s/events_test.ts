import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  applyEventWatch,
  type ClusterEvent,
  eventCount,
  eventSource,
  eventTime,
  filterEvents,
  guessResource,
  involvedObjectUrl,
  newestEvents,
} from "./events.ts";

const ev = (name: string, at: string, extra: Partial<ClusterEvent> = {}): ClusterEvent => ({
  metadata: { uid: name, name, namespace: "default" },
  lastTimestamp: at,
  ...extra,
});

Deno.test("eventTime: series, lastTimestamp, eventTime, creation, none", () => {
  const cases: [ClusterEvent, number][] = [
    [{
      metadata: {},
      series: { lastObservedTime: "2026-01-01T00:00:03Z" },
      lastTimestamp: "2026-01-01T00:00:01Z",
    }, Date.parse("2026-01-01T00:00:03Z")],
    [
      { metadata: {}, lastTimestamp: "2026-01-01T00:00:01Z", eventTime: "2026-01-01T00:00:02Z" },
      Date.parse("2026-01-01T00:00:01Z"),
    ],
    [
      { metadata: {}, lastTimestamp: null, eventTime: "2026-01-01T00:00:02.123456Z" },
      Date.parse("2026-01-01T00:00:02.123Z"),
    ],
    [
      { metadata: { creationTimestamp: "2026-01-01T00:00:04Z" } },
      Date.parse("2026-01-01T00:00:04Z"),
    ],
    [{ metadata: {} }, 0],
  ];
  for (const [e, want] of cases) assertEquals(eventTime(e), want);
});

Deno.test("eventCount and eventSource", () => {
  assertEquals(eventCount({ metadata: {}, count: 3 }), 3);
  assertEquals(eventCount({ metadata: {}, count: 3, series: { count: 7 } }), 7);
  assertEquals(eventCount({ metadata: {} }), 1);
  assertEquals(
    eventSource({ metadata: {}, source: { component: "kubelet", host: "n1" } }),
    "kubelet, n1",
  );
  assertEquals(eventSource({ metadata: {}, reportingComponent: "ctl" }), "ctl");
  assertEquals(eventSource({ metadata: {} }), "");
});

Deno.test("newestEvents: newest first, bounded, says when trimmed", () => {
  const items = [
    ev("a", "2026-01-01T00:00:01Z"),
    ev("c", "2026-01-01T00:00:03Z"),
    ev("b", "2026-01-01T00:00:02Z"),
  ];
  assertEquals(newestEvents(items).events.map((e) => e.metadata.name), ["c", "b", "a"]);
  assertEquals(newestEvents(items).trimmed, false);
  const two = newestEvents(items, 2);
  assertEquals(two.events.map((e) => e.metadata.name), ["c", "b"]);
  assertEquals(two.trimmed, true);
});

Deno.test("applyEventWatch: table of watch events", () => {
  const base = [ev("b", "2026-01-01T00:00:02Z"), ev("a", "2026-01-01T00:00:01Z")];
  const cases: {
    name: string;
    ev: Parameters<typeof applyEventWatch>[1];
    max?: number;
    names: string[];
    trimmed?: boolean;
    expired?: boolean;
    error?: string;
    rv?: string;
  }[] = [
    {
      name: "added newer goes on top",
      ev: {
        type: "ADDED",
        object: {
          ...ev("c", "2026-01-01T00:00:03Z"),
          metadata: { uid: "c", name: "c", resourceVersion: "9" } as never,
        },
      },
      names: ["c", "b", "a"],
      rv: "9",
    },
    {
      name: "modified moves up",
      ev: { type: "MODIFIED", object: ev("a", "2026-01-01T00:00:05Z", { count: 2 }) },
      names: ["a", "b"],
    },
    { name: "deleted removed", ev: { type: "DELETED", object: ev("b", "x") }, names: ["a"] },
    {
      name: "added past max trims the oldest",
      ev: { type: "ADDED", object: ev("c", "2026-01-01T00:00:03Z") },
      max: 2,
      names: ["c", "b"],
      trimmed: true,
    },
    {
      name: "bookmark only moves the version",
      ev: { type: "BOOKMARK", object: { metadata: { resourceVersion: "12" } } as never },
      names: ["b", "a"],
      rv: "12",
    },
    {
      name: "410 expired",
      ev: { type: "ERROR", object: { code: 410, message: "too old" } },
      names: ["b", "a"],
      expired: true,
    },
    {
      name: "other error",
      ev: { type: "ERROR", object: { code: 500, message: "boom" } },
      names: ["b", "a"],
      error: "boom",
    },
  ];
  for (const c of cases) {
    const r = applyEventWatch(base, c.ev, false, c.max);
    assertEquals(r.events.map((e) => e.metadata.name), c.names, c.name);
    assertEquals(r.trimmed, c.trimmed ?? false, c.name);
    assertEquals(r.expired, c.expired, c.name);
    assertEquals(r.error, c.error, c.name);
    assertEquals(r.resourceVersion, c.rv, c.name);
  }
  // trimmed stays once set
  assertEquals(applyEventWatch(base, { type: "DELETED", object: ev("a", "") }, true).trimmed, true);
});

Deno.test("filterEvents: warnings only", () => {
  const items = [ev("a", "", { type: "Normal" }), ev("b", "", { type: "Warning" })];
  assertEquals(filterEvents(items, false).length, 2);
  assertEquals(filterEvents(items, true).map((e) => e.metadata.name), ["b"]);
});

Deno.test("guessResource", () => {
  const cases: [string, string][] = [
    ["Pod", "pods"],
    ["NetworkPolicy", "networkpolicies"],
    ["Ingress", "ingresses"],
    ["Gateway", "gateways"],
  ];
  for (const [kind, want] of cases) assertEquals(guessResource(kind), want);
});

Deno.test("involvedObjectUrl: table of involved objects", () => {
  const kinds = {
    "/Node": { resource: "nodes", namespaced: false },
    "apps/Deployment": { resource: "deployments", namespaced: true },
  };
  const io = (o: ClusterEvent["involvedObject"]): ClusterEvent => ({
    metadata: {},
    involvedObject: o,
  });
  const cases: [string, ClusterEvent, string | null][] = [
    [
      "core pod",
      io({ kind: "Pod", apiVersion: "v1", namespace: "ns 1", name: "web-1" }),
      "/clusters/c1/r/core/v1/pods/ns%201/web-1",
    ],
    [
      "apps deployment",
      io({ kind: "Deployment", apiVersion: "apps/v1", namespace: "d", name: "web" }),
      "/clusters/c1/r/apps/v1/deployments/d/web",
    ],
    [
      "node (cluster-scoped by discovery, namespace given)",
      io({ kind: "Node", apiVersion: "v1", namespace: "default", name: "n1" }),
      "/clusters/c1/r/core/v1/nodes/_/n1",
    ],
    [
      "no apiVersion → v1",
      io({ kind: "ConfigMap", namespace: "d", name: "cm" }),
      "/clusters/c1/r/core/v1/configmaps/d/cm",
    ],
    [
      "CRD guessed",
      io({ kind: "Widget", apiVersion: "example.com/v1beta1", namespace: "d", name: "w" }),
      "/clusters/c1/r/example.com/v1beta1/widgets/d/w",
    ],
    ["no name", io({ kind: "Pod", apiVersion: "v1" }), null],
    // A hostile cluster's event must not turn the link into another dashboard page.
    ["kind with a path", io({ kind: "x/../../../../admin/users?", name: "n" }), null],
    ["dot-dot version", io({ kind: "Pod", apiVersion: "apps/..", name: "n" }), null],
    ["group with a slash", io({ kind: "Pod", apiVersion: "a/../b/v1", name: "n" }), null],
    ["version with a query", io({ kind: "Pod", apiVersion: "v1?x", name: "n" }), null],
    ["dot-dot name", io({ kind: "Pod", apiVersion: "v1", namespace: "d", name: ".." }), null],
    ["dot namespace", io({ kind: "Pod", apiVersion: "v1", namespace: ".", name: "n" }), null],
    [
      "a name with a slash is one encoded segment",
      io({ kind: "Pod", apiVersion: "v1", namespace: "d", name: "../x" }),
      "/clusters/c1/r/core/v1/pods/d/..%2Fx",
    ],
    ["no involved object", { metadata: {} }, null],
  ];
  for (const [name, e, want] of cases) assertEquals(involvedObjectUrl("c1", e, kinds), want, name);
});
