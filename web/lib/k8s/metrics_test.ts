// Tests of lib/k8s/metrics.ts: paths, discovery, usage per row and per pod, the unavailable
// statuses, the bounded history and the backoff.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  addReading,
  backoffMs,
  isUnavailableStatus,
  metricsListPath,
  metricsServed,
  podMetricsPath,
  podUsage,
  usageByRow,
} from "./metrics.ts";

const MI = 1024 * 1024;

Deno.test("metrics paths", () => {
  assertEquals(metricsListPath("pods"), "/apis/metrics.k8s.io/v1beta1/pods");
  assertEquals(
    metricsListPath("pods", "a b"),
    "/apis/metrics.k8s.io/v1beta1/namespaces/a%20b/pods",
  );
  assertEquals(metricsListPath("nodes", "ignored"), "/apis/metrics.k8s.io/v1beta1/nodes");
  assertEquals(
    podMetricsPath("ns", "web-1"),
    "/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/web-1",
  );
});

Deno.test("metricsServed: from an APIGroupList", () => {
  const cases: [unknown, boolean][] = [
    [{ groups: [{ name: "apps", versions: [{ version: "v1" }] }] }, false],
    [{ groups: [{ name: "metrics.k8s.io", versions: [{ version: "v1beta1" }] }] }, true],
    [{ groups: [{ name: "metrics.k8s.io", versions: [{ version: "v2" }] }] }, false],
    [{}, false],
    [null, false],
    ["text", false],
  ];
  for (const [doc, want] of cases) assertEquals([doc, metricsServed(doc)], [doc, want]);
});

Deno.test("isUnavailableStatus", () => {
  for (const s of [401, 403, 404, 503]) assertEquals(isUnavailableStatus(s), true);
  for (const s of [200, 400, 500, 502]) assertEquals(isUnavailableStatus(s), false);
});

Deno.test("podUsage and usageByRow", () => {
  assertEquals(
    podUsage({
      metadata: { name: "p" },
      containers: [
        { name: "a", usage: { cpu: "12m", memory: "34Mi" } },
        { name: "b", usage: { cpu: "500000n", memory: "2Mi" } },
      ],
    }),
    { cpu: 0.0125, memory: 36 * MI },
  );
  assertEquals(podUsage({ metadata: { name: "p" }, containers: [] }), { cpu: null, memory: null });
  const pods = usageByRow("pods", {
    items: [
      {
        metadata: { name: "p1", namespace: "a" },
        containers: [{ name: "c", usage: { cpu: "1", memory: "1Gi" } }],
      },
      {
        metadata: { name: "p1", namespace: "b" },
        containers: [{ name: "c", usage: { cpu: "bad" } }],
      },
      { metadata: {} },
    ],
  });
  assertEquals([...pods.entries()], [
    ["a/p1", { cpu: 1, memory: 1024 * MI }],
    ["b/p1", { cpu: null, memory: null }],
  ]);
  const nodes = usageByRow("nodes", {
    items: [{ metadata: { name: "n1" }, usage: { cpu: "250m", memory: "512Mi" } }],
  });
  assertEquals([...nodes.entries()], [["/n1", { cpu: 0.25, memory: 512 * MI }]]);
  assertEquals(usageByRow("nodes", { kind: "Status" }).size, 0);
});

Deno.test("addReading: per container and pod, deduplicated, bounded", () => {
  const pm = (ts: string, cpu: string) => ({
    metadata: { name: "p" },
    timestamp: ts,
    containers: [{ name: "app", usage: { cpu, memory: "1Mi" } }],
  });
  let h = addReading({}, pm("2026-01-01T00:00:00Z", "10m"), 0, 3);
  h = addReading(h, pm("2026-01-01T00:00:00Z", "10m"), 0, 3);
  assertEquals(h.app.length, 1);
  assertEquals(h[""].length, 1);
  for (let i = 1; i <= 4; i++) h = addReading(h, pm(`2026-01-01T00:00:0${i}Z`, `${10 + i}m`), 0, 3);
  assertEquals(h.app.map((s) => Math.round((s.cpu ?? 0) * 1000)), [12, 13, 14]);
  assertEquals(h[""].map((s) => Math.round((s.cpu ?? 0) * 1000)), [12, 13, 14]);
  // A container that left stops having a series.
  h = addReading(
    h,
    { metadata: { name: "p" }, timestamp: "2026-01-01T00:00:09Z", containers: [] },
    0,
    3,
  );
  assertEquals(Object.keys(h), [""]);
});

Deno.test("backoffMs", () => {
  assertEquals([0, 1, 2, 3, 4, 5, 10].map((n) => backoffMs(n)), [
    0,
    60_000,
    120_000,
    240_000,
    480_000,
    600_000,
    600_000,
  ]);
});

// What a hostile or broken metrics API may send (it is another server behind the cluster's
// aggregator): nothing here may throw, and no garbage may turn into a number.
const HOSTILE: [string, unknown, Record<string, { cpu: number | null; memory: number | null }>][] =
  [
    ["not an object", "<html>", {}],
    ["items not a list", { items: { a: 1 } }, {}],
    ["an item that is null or has no name", { items: [null, {}, { metadata: { name: 7 } }] }, {}],
    ["containers not a list", {
      items: [{ metadata: { name: "p", namespace: "n" }, containers: { name: "c" } }],
    }, { "n/p": { cpu: null, memory: null } }],
    ["a namespace that is not text", {
      items: [{ metadata: { name: "p", namespace: ["x"] }, containers: [] }],
    }, { "/p": { cpu: null, memory: null } }],
    ["garbage, huge, overflowing and non-text quantities", {
      items: [{
        metadata: { name: "p", namespace: "n" },
        containers: [
          { name: "a", usage: { cpu: "lots", memory: "9".repeat(400) } },
          { name: "b", usage: { cpu: "9e999", memory: "1e308Ei" } },
          { name: "c", usage: { cpu: 5, memory: { $gt: 1 } } },
          { name: "d", usage: { cpu: "250m", memory: "64Mi" } },
          { name: 42, usage: { cpu: "1", memory: "1Gi" } },
        ],
      }],
    }, { "n/p": { cpu: 0.25, memory: 64 * MI } }],
  ];

Deno.test("a hostile metrics API: nothing throws, garbage is no value", async (t) => {
  for (const [what, body, want] of HOSTILE) {
    await t.step(what, () => {
      assertEquals(Object.fromEntries(usageByRow("pods", body)), want);
      const items = (body as { items?: unknown })?.items;
      for (const it of Array.isArray(items) ? items : [body]) {
        const history = addReading({}, it as Parameters<typeof addReading>[1], 1);
        for (const samples of Object.values(history)) {
          for (const s of samples) {
            for (const v of [s.cpu, s.memory]) assertEquals(v === null || Number.isFinite(v), true);
          }
        }
      }
    });
  }
  assertEquals(
    addReading(
      {},
      { metadata: { name: "p" }, timestamp: 17 as unknown as string, containers: [] },
      5,
    ),
    { "": [{ at: 5, cpu: null, memory: null }] },
  );
});
