// Which pods of a workload are read and which streams each re-list opens and closes.
import assert from "node:assert/strict";
import {
  hasLogs,
  hasWorkloadLogs,
  type LogPod,
  pickPods,
  planStreams,
  podStreams,
} from "./workload_logs.ts";

const pod = (
  name: string,
  opts: {
    at?: number;
    phase?: string;
    node?: string | null;
    containers?: string[];
    gone?: boolean;
  } = {},
): LogPod => ({
  metadata: {
    name,
    creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, opts.at ?? 0)).toISOString(),
    ...(opts.gone ? { deletionTimestamp: "2026-01-02T00:00:00Z" } : {}),
  },
  spec: {
    ...(opts.node === null ? {} : { nodeName: opts.node ?? "node-a" }),
    containers: (opts.containers ?? ["main"]).map((name) => ({ name })),
  },
  status: { phase: opts.phase ?? "Running" },
});

Deno.test("hasWorkloadLogs: apps workloads and Jobs only", () => {
  const cases: [string, string, boolean][] = [
    ["apps", "deployments", true],
    ["apps", "statefulsets", true],
    ["apps", "daemonsets", true],
    ["apps", "replicasets", true],
    ["batch", "jobs", true],
    ["batch", "cronjobs", false],
    ["", "pods", false],
    ["apps", "controllerrevisions", false],
    ["extensions", "deployments", false],
    ["", "constructor", false],
  ];
  for (const [group, resource, want] of cases) {
    assert.equal(hasWorkloadLogs({ group, resource }), want, `${group}/${resource}`);
  }
});

Deno.test("pickPods: the oldest first, then by name (numeric), at most max", () => {
  const pods = [
    pod("web-10", { at: 5 }),
    pod("web-2", { at: 5 }),
    pod("web-old", { at: 1 }),
    pod("web-new", { at: 9 }),
  ];
  const cases: [number, string[]][] = [
    [20, ["web-old", "web-2", "web-10", "web-new"]],
    [2, ["web-old", "web-2"]],
    [0, []],
  ];
  for (const [max, want] of cases) {
    const { shown, total } = pickPods(pods, max);
    assert.deepEqual(shown.map((p) => p.metadata.name), want, `max ${max}`);
    assert.equal(total, 4);
  }
});

Deno.test("hasLogs: on a node and started or finished", () => {
  const cases: [LogPod, boolean][] = [
    [pod("a"), true],
    [pod("a", { phase: "Succeeded" }), true],
    [pod("a", { phase: "Failed" }), true],
    [pod("a", { phase: "Pending" }), false],
    [pod("a", { node: null }), false],
    [{ metadata: { name: "bare" } }, false],
  ];
  for (const [p, want] of cases) assert.equal(hasLogs(p), want, JSON.stringify(p));
});

Deno.test("podStreams: every container, or the chosen one", () => {
  const p = pod("web-a", { containers: ["main", "sidecar"] });
  const cases: [string | null, string[]][] = [
    [null, ["web-a/main", "web-a/sidecar"]],
    ["sidecar", ["web-a/sidecar"]],
    ["other", []],
  ];
  for (const [c, want] of cases) assert.deepEqual(podStreams(p, c).map((s) => s.key), want);
  assert.deepEqual(podStreams(p, "main"), [{ key: "web-a/main", pod: "web-a", container: "main" }]);
});

Deno.test("planStreams: opens new streams once, waits for pending pods, stops pods gone", () => {
  const cases: {
    what: string;
    shown: LogPod[];
    container: string | null;
    known: string[];
    open: string[];
    want: { start: string[]; stop: string[]; waiting: string[] };
  }[] = [
    {
      what: "first list: every container of every running pod",
      shown: [pod("a", { containers: ["main", "side"] }), pod("b")],
      container: null,
      known: [],
      open: [],
      want: { start: ["a/main", "a/side", "b/main"], stop: [], waiting: [] },
    },
    {
      what: "a chosen container",
      shown: [pod("a", { containers: ["main", "side"] }), pod("b")],
      container: "side",
      known: [],
      open: [],
      want: { start: ["a/side"], stop: [], waiting: [] },
    },
    {
      what: "a new pod; a pending one waits",
      shown: [pod("a"), pod("b"), pod("c", { phase: "Pending" })],
      container: null,
      known: ["a/main"],
      open: ["a/main"],
      want: { start: ["b/main"], stop: [], waiting: ["c"] },
    },
    {
      what: "an ended stream is not reopened",
      shown: [pod("a"), pod("b")],
      container: null,
      known: ["a/main", "b/main"],
      open: ["b/main"],
      want: { start: [], stop: [], waiting: [] },
    },
    {
      what: "a deleted pod's stream stops; a terminating pod's is not opened but kept",
      shown: [pod("b", { gone: true }), pod("c", { gone: true })],
      container: null,
      known: ["a/main", "b/main"],
      open: ["a/main", "b/main"],
      want: { start: [], stop: ["a/main"], waiting: [] },
    },
  ];
  for (const c of cases) {
    const plan = planStreams(c.shown, c.container, new Set(c.known), new Set(c.open));
    assert.deepEqual(
      { start: plan.start.map((s) => s.key), stop: plan.stop, waiting: plan.waiting },
      c.want,
      c.what,
    );
  }
});
