import assert from "node:assert/strict";
import {
  applyWatchEvent,
  cellValue,
  cleanForEdit,
  errorMessage,
  type KubeTable,
  listAsTable,
  listPath,
  listUrl,
  objectPath,
  objectUrl,
  parseAggregatedDiscovery,
  parseResourceList,
  type Row,
  sortRefs,
  sortRows,
  tableColumns,
  tableRows,
} from "./k8s/mod.ts";
import { LineSplitter } from "../../common/lines.ts";

const pods = { group: "", version: "v1", resource: "pods", namespaced: true };
const deploys = { group: "apps", version: "v1", resource: "deployments", namespaced: true };
const nodes = { group: "", version: "v1", resource: "nodes", namespaced: false };

Deno.test("API paths", () => {
  const cases: [string, string][] = [
    [listPath(pods), "/api/v1/pods"],
    [listPath(pods, "default"), "/api/v1/namespaces/default/pods"],
    [listPath(deploys, "kube-system"), "/apis/apps/v1/namespaces/kube-system/deployments"],
    [listPath(nodes, "ignored"), "/api/v1/nodes"],
    [objectPath(pods, "default", "web-1"), "/api/v1/namespaces/default/pods/web-1"],
    [objectPath(nodes, null, "n1"), "/api/v1/nodes/n1"],
    [objectPath(deploys, "a b", "x/y"), "/apis/apps/v1/namespaces/a%20b/deployments/x%2Fy"],
  ];
  for (const [got, want] of cases) assert.equal(got, want);
});

Deno.test("page URLs", () => {
  const cases: [string, string][] = [
    [listUrl("c1", pods), "/clusters/c1/r/core/v1/pods"],
    [listUrl("c1", deploys, "prod"), "/clusters/c1/r/apps/v1/deployments?ns=prod"],
    [objectUrl("c1", pods, "default", "web"), "/clusters/c1/r/core/v1/pods/default/web"],
    [objectUrl("c1", nodes, null, "n1", "yaml"), "/clusters/c1/r/core/v1/nodes/_/n1?tab=yaml"],
  ];
  for (const [got, want] of cases) assert.equal(got, want);
});

Deno.test("aggregated discovery", () => {
  const doc = {
    kind: "APIGroupDiscoveryList",
    items: [
      {
        metadata: { name: "" },
        versions: [{
          version: "v1",
          resources: [
            {
              resource: "pods",
              responseKind: { kind: "Pod" },
              scope: "Namespaced",
              verbs: ["get", "list"],
              shortNames: ["po"],
            },
            {
              resource: "pods/log",
              responseKind: { kind: "Pod" },
              scope: "Namespaced",
              verbs: ["get"],
            },
            {
              resource: "nodes",
              responseKind: { kind: "Node" },
              scope: "Cluster",
              verbs: ["list"],
            },
          ],
        }],
      },
      {
        metadata: { name: "example.com" },
        versions: [
          {
            version: "v2",
            resources: [{
              resource: "widgets",
              responseKind: { kind: "Widget" },
              scope: "Namespaced",
              verbs: ["list"],
            }],
          },
          {
            version: "v1",
            resources: [{
              resource: "widgets",
              responseKind: { kind: "Widget" },
              scope: "Namespaced",
              verbs: ["list"],
            }],
          },
        ],
      },
    ],
  };
  assert.deepEqual(parseAggregatedDiscovery(doc), [
    {
      group: "",
      version: "v1",
      resource: "pods",
      kind: "Pod",
      namespaced: true,
      verbs: ["get", "list"],
      shortNames: ["po"],
    },
    {
      group: "",
      version: "v1",
      resource: "nodes",
      kind: "Node",
      namespaced: false,
      verbs: ["list"],
    },
    {
      group: "example.com",
      version: "v2",
      resource: "widgets",
      kind: "Widget",
      namespaced: true,
      verbs: ["list"],
    },
  ]);
  assert.equal(parseAggregatedDiscovery({ kind: "APIGroupList", groups: [] }), null);
  assert.equal(parseAggregatedDiscovery(null), null);
});

Deno.test("legacy resource list", () => {
  const refs = parseResourceList({
    groupVersion: "apps/v1",
    resources: [
      { name: "deployments", kind: "Deployment", namespaced: true, verbs: ["list", "get"] },
      { name: "deployments/scale", kind: "Scale", namespaced: true, verbs: ["get"] },
    ],
  });
  assert.deepEqual(refs, [{
    group: "apps",
    version: "v1",
    resource: "deployments",
    kind: "Deployment",
    namespaced: true,
    verbs: ["list", "get"],
  }]);
  assert.equal(
    parseResourceList({
      groupVersion: "v1",
      resources: [{ name: "pods", kind: "Pod", namespaced: true }],
    })[0].group,
    "",
  );
  assert.deepEqual(
    sortRefs([...refs, {
      group: "",
      version: "v1",
      resource: "pods",
      kind: "Pod",
      namespaced: true,
      verbs: [],
    }]).map((r) => r.kind),
    ["Pod", "Deployment"],
  );
});

const podTable: KubeTable = {
  kind: "Table",
  metadata: { resourceVersion: "100" },
  columnDefinitions: [
    { name: "Name", type: "string", format: "name" },
    { name: "Ready", type: "string" },
    { name: "Status", type: "string" },
    { name: "Restarts", type: "string" },
    { name: "Age", type: "string" },
    { name: "IP", type: "string", priority: 1 },
  ],
  rows: [
    {
      cells: ["web-2", "1/1", "Running", 0, "5m", "10.0.0.2"],
      object: {
        metadata: {
          name: "web-2",
          namespace: "demo",
          uid: "u2",
          creationTimestamp: "2026-01-01T00:00:00Z",
          resourceVersion: "99",
        },
      },
    },
    {
      cells: ["web-10", "0/1", "Pending", 3, "1m", null],
      object: {
        metadata: {
          name: "web-10",
          namespace: "demo",
          uid: "u10",
          creationTimestamp: "2026-01-02T00:00:00Z",
        },
      },
    },
  ],
};

Deno.test("table columns and rows", () => {
  const cols = tableColumns(podTable.columnDefinitions!, true);
  assert.deepEqual(cols.map((c) => `${c.name}:${c.kind}:${c.index}`), [
    "Name:name:0",
    "Namespace:namespace:-2",
    "Ready:status:1",
    "Status:status:2",
    "Restarts:text:3",
    "Age:age:4",
  ]);
  assert.deepEqual(tableColumns(podTable.columnDefinitions!, false).map((c) => c.name), [
    "Name",
    "Ready",
    "Status",
    "Restarts",
    "Age",
  ]);
  const rows = tableRows(podTable);
  assert.equal(rows[0].uid, "u2");
  assert.deepEqual(rows[0].cells, ["web-2", "1/1", "Running", "0", "5m", "10.0.0.2"]);
  assert.equal(rows[1].cells[5], "");
  assert.equal(cellValue(rows[0], cols[1]), "demo");
  assert.equal(cellValue(rows[0], cols[3]), "Running");
  // A table without a name column still gets one.
  assert.equal(tableColumns([{ name: "Data", type: "integer" }], false)[0].kind, "name");
});

Deno.test("sortRows", () => {
  const rows = tableRows(podTable);
  const cols = tableColumns(podTable.columnDefinitions!, false);
  const names = (rs: Row[]) => rs.map((r) => r.name);
  assert.deepEqual(names(sortRows(rows, cols, null)), ["web-2", "web-10"], "natural name order");
  assert.deepEqual(
    names(sortRows(rows, cols, { column: 4, desc: false })),
    ["web-10", "web-2"],
    "age: newest first",
  );
  assert.deepEqual(
    names(sortRows(rows, cols, { column: 2, desc: true })),
    ["web-2", "web-10"],
    "status desc",
  );
  assert.deepEqual(names(sortRows(rows, cols, { column: 0, desc: true })), ["web-10", "web-2"]);
});

Deno.test("applyWatchEvent", () => {
  const rows = new Map(tableRows(podTable).map((r) => [r.uid, r]));
  const one = (name: string, uid: string, rv: string, status = "Running"): KubeTable => ({
    kind: "Table",
    rows: [{
      cells: [name, "1/1", status, 0, "1s"],
      object: { metadata: { name, namespace: "demo", uid, resourceVersion: rv } },
    }],
  });
  assert.deepEqual(applyWatchEvent(rows, { type: "ADDED", object: one("web-3", "u3", "101") }), {
    resourceVersion: "101",
  });
  assert.equal(rows.size, 3);
  applyWatchEvent(rows, { type: "MODIFIED", object: one("web-3", "u3", "102", "Terminating") });
  assert.equal(rows.get("u3")!.cells[2], "Terminating");
  applyWatchEvent(rows, { type: "DELETED", object: one("web-3", "u3", "103") });
  assert.equal(rows.has("u3"), false);
  assert.deepEqual(
    applyWatchEvent(rows, {
      type: "BOOKMARK",
      object: { kind: "Table", metadata: { resourceVersion: "200" } },
    }),
    { resourceVersion: "200" },
  );
  assert.deepEqual(
    applyWatchEvent(rows, {
      type: "ERROR",
      object: { kind: "Table", code: 410, message: "too old" } as never,
    }),
    {
      expired: true,
    },
  );
  assert.deepEqual(
    applyWatchEvent(rows, {
      type: "ERROR",
      object: { kind: "Table", code: 500, message: "boom" } as never,
    }),
    {
      error: "boom",
    },
  );
});

Deno.test("listAsTable fallback", () => {
  const t = listAsTable({
    metadata: { resourceVersion: "5" },
    items: [{ metadata: { name: "a", uid: "1" } }],
  });
  assert.equal(tableRows(t)[0].name, "a");
  assert.equal(t.metadata?.resourceVersion, "5");
});

Deno.test("LineSplitter", () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('{"a":1}\n{"b"'), ['{"a":1}']);
  assert.deepEqual(s.push(':2}\n\n{"c":3}'), ['{"b":2}']);
  assert.deepEqual(s.flush(), ['{"c":3}']);
  assert.deepEqual(s.flush(), []);
});

Deno.test("errorMessage", () => {
  const cases: [unknown, number, string][] = [
    [{ kind: "Status", message: 'pods "x" not found', code: 404 }, 404, 'pods "x" not found'],
    [
      { error: { code: "conflict", message: "a cluster named x already exists" } },
      409,
      "a cluster named x already exists",
    ],
    ["plain text failure\n", 500, "plain text failure"],
    [null, 502, "HTTP 502"],
    [{}, 418, "HTTP 418"],
  ];
  for (const [body, status, want] of cases) assert.equal(errorMessage(body, status), want);
});

Deno.test("cleanForEdit drops managedFields without touching the input", () => {
  const obj = { metadata: { name: "x", managedFields: [{}] }, spec: {} };
  assert.deepEqual(cleanForEdit(obj), { metadata: { name: "x" }, spec: {} });
  assert.equal(obj.metadata.managedFields.length, 1);
  assert.deepEqual(cleanForEdit(obj, true), obj);
});
