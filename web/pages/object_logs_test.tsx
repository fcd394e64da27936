// The object page's Logs tab for workloads, rendered on the server: which kinds offer it, and the
// WorkloadLogs island's props on ?tab=logs (its selector and its template's containers).
import assert from "node:assert/strict";
import { parseHTML } from "linkedom";
import { renderToString } from "preact-render-to-string";
import { renderIslands } from "../islands.tsx";
import { type KubeObject, ObjectPage, type ObjectPageProps } from "./object.tsx";
import type { ResourceRef } from "../lib/k8s/paths.ts";
import type { Cluster } from "../lib/types.ts";

const ref = (group: string, resource: string, kind: string): ResourceRef => ({
  group,
  version: "v1",
  resource,
  kind,
  namespaced: true,
  verbs: ["get", "list", "watch"],
});
const cluster: Cluster = {
  id: "c1",
  name: "prod",
  connection_type: "kubeconfig",
  status: "connected",
  kubernetes_version: "v1.36.0",
  platform: null,
  node_count: 1,
  last_error: null,
  last_checked_at: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  my_role: "viewer",
};
const user = {
  id: "u1",
  username: "vic",
  role: "viewer" as const,
  groups: [],
  source: "local" as const,
};
const selector = {
  matchLabels: { app: "web" },
  matchExpressions: [{ key: "tier", operator: "In", values: ["fe"] }],
};
const obj: KubeObject = {
  metadata: { name: "web", namespace: "shop", uid: "u", creationTimestamp: "2026-12-07T10:00:00Z" },
  spec: {
    selector,
    template: { spec: { containers: [{ name: "main" }, { name: "sidecar" }] } },
  },
};

function render(resource: ResourceRef, tab: ObjectPageProps["tab"]) {
  const { result, islands } = renderIslands(() =>
    renderToString(
      <ObjectPage
        user={user}
        cluster={cluster}
        now={Date.parse("2026-12-07T12:00:00Z")}
        resource={resource}
        obj={obj}
        tab={tab}
        yaml=""
        events={[]}
        logs={null}
        permissions={{}}
      />,
    )
  );
  const { document } = parseHTML(`<!DOCTYPE html><html><body>${result}</body></html>`);
  return { document, islands };
}

Deno.test("object page: a workload's Logs tab and its island", () => {
  const cases: [ResourceRef, boolean][] = [
    [ref("apps", "deployments", "Deployment"), true],
    [ref("apps", "statefulsets", "StatefulSet"), true],
    [ref("apps", "daemonsets", "DaemonSet"), true],
    [ref("apps", "replicasets", "ReplicaSet"), true],
    [ref("batch", "jobs", "Job"), true],
    [ref("batch", "cronjobs", "CronJob"), false],
    [ref("", "configmaps", "ConfigMap"), false],
  ];
  for (const [resource, want] of cases) {
    const { document } = render(resource, "overview");
    const tabs = [...document.querySelectorAll("nav[aria-label='Object views'] a")]
      .map((a) => a.textContent?.trim());
    assert.equal(tabs.includes("Logs"), want, `${resource.kind}: ${tabs}`);
    if (!want) continue;
    const link = [...document.querySelectorAll("nav[aria-label='Object views'] a")]
      .find((a) => a.textContent?.trim() === "Logs");
    assert.match(link?.getAttribute("href") ?? "", /\/shop\/web\?tab=logs$/);
    const { islands } = render(resource, "logs");
    const island = islands.find((i) => i.name === "WorkloadLogs");
    assert.deepEqual(island?.props, {
      clusterId: "c1",
      namespace: "shop",
      kind: resource.kind,
      name: "web",
      selector,
      containers: ["main", "sidecar"],
    }, resource.kind);
    assert(!islands.some((i) => i.name === "LogViewer"), "not a pod's viewer");
  }
});
