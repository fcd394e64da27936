// The object page of a workload, rendered on the server: which action islands it offers per kind,
// with which access (the permission's answer, then a paused Deployment's own refusal), and the
// Replicas card; a non-workload has none of them.
import assert from "node:assert/strict";
import { parseHTML } from "linkedom";
import { renderToString } from "preact-render-to-string";
import { renderIslands } from "../islands.tsx";
import { type KubeObject, ObjectPage } from "./object.tsx";
import type { ResourceRef } from "../lib/k8s/paths.ts";
import type { Permissions } from "../lib/k8s/access_review.ts";
import type { Cluster } from "../lib/types.ts";

const VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];
const ref = (resource: string, kind: string, group = "apps"): ResourceRef => ({
  group,
  version: "v1",
  resource,
  kind,
  namespaced: true,
  verbs: VERBS,
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
  my_role: "editor",
};
const user = {
  id: "u1",
  username: "eve",
  role: "editor" as const,
  groups: [],
  source: "local" as const,
};

const WORKLOAD_ISLANDS = [
  "ScaleWorkload",
  "RestartWorkload",
  "PauseDeployment",
  "RollbackDeployment",
];

function render(resource: ResourceRef, obj: KubeObject, permissions: Permissions) {
  const { result, islands } = renderIslands(() =>
    renderToString(
      <ObjectPage
        user={user}
        cluster={cluster}
        now={Date.parse("2026-12-07T12:00:00Z")}
        resource={resource}
        obj={obj}
        tab="overview"
        yaml=""
        events={[]}
        logs={null}
        permissions={permissions}
      />,
    )
  );
  const { document } = parseHTML(`<!DOCTYPE html><html><body>${result}</body></html>`);
  return { document, islands };
}

const workload = (spec: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: "web", namespace: "shop", uid: "u", creationTimestamp: "2026-12-07T10:00:00Z" },
  spec: {
    replicas: 2,
    template: { spec: { containers: [{ name: "main", image: "shop/web:1" }] } },
    ...spec,
  },
  status: {
    observedGeneration: 1,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: 2,
    availableReplicas: 2,
  },
});

Deno.test("object page: a workload's action islands, their access, the Replicas card", async (t) => {
  const allowed = { scale: { allowed: true }, patch: { allowed: true }, delete: { allowed: true } };
  const cases: {
    name: string;
    resource: ResourceRef;
    obj: KubeObject;
    permissions: Permissions;
    /** Island name → its access. */
    want: Record<string, unknown>;
    replicas: boolean;
  }[] = [
    {
      name: "a Deployment: all four",
      resource: ref("deployments", "Deployment"),
      obj: workload(),
      permissions: allowed,
      want: {
        ScaleWorkload: { allowed: true },
        RestartWorkload: { allowed: true },
        PauseDeployment: { allowed: true },
        RollbackDeployment: { allowed: true },
      },
      replicas: true,
    },
    {
      name: "a paused Deployment: restart and rollback refused for that",
      resource: ref("deployments", "Deployment"),
      obj: workload({ paused: true }),
      permissions: allowed,
      want: {
        ScaleWorkload: { allowed: true },
        RestartWorkload: {
          allowed: false,
          reason: "the Deployment is paused: resume it before restarting",
        },
        PauseDeployment: { allowed: true },
        RollbackDeployment: {
          allowed: false,
          reason: "the Deployment is paused: resume it before rolling back",
        },
      },
      replicas: true,
    },
    {
      name: "a paused Deployment the person may not patch: the permission's reason",
      resource: ref("deployments", "Deployment"),
      obj: workload({ paused: true }),
      permissions: {
        scale: { allowed: false, reason: "no scale" },
        patch: { allowed: false, reason: "no patch" },
      },
      want: {
        ScaleWorkload: { allowed: false, reason: "no scale" },
        RestartWorkload: { allowed: false, reason: "no patch" },
        PauseDeployment: { allowed: false, reason: "no patch" },
        RollbackDeployment: { allowed: false, reason: "no patch" },
      },
      replicas: true,
    },
    {
      name: "a StatefulSet: scale and restart",
      resource: ref("statefulsets", "StatefulSet"),
      obj: workload(),
      permissions: { scale: { allowed: true, verb: "update" }, patch: { allowed: true } },
      want: {
        ScaleWorkload: { allowed: true, verb: "update" },
        RestartWorkload: { allowed: true },
      },
      replicas: true,
    },
    {
      name: "a DaemonSet: restart",
      resource: ref("daemonsets", "DaemonSet"),
      obj: {
        ...workload({ replicas: undefined }),
        status: {
          observedGeneration: 1,
          desiredNumberScheduled: 2,
          updatedNumberScheduled: 2,
          numberAvailable: 2,
        },
      },
      permissions: allowed,
      want: { RestartWorkload: { allowed: true } },
      replicas: true,
    },
    {
      name: "a ReplicaSet: scale",
      resource: ref("replicasets", "ReplicaSet"),
      obj: workload(),
      permissions: allowed,
      want: { ScaleWorkload: { allowed: true } },
      replicas: true,
    },
    {
      name: "a ConfigMap: none",
      resource: ref("configmaps", "ConfigMap", ""),
      obj: { metadata: { name: "cm", namespace: "shop" } },
      permissions: allowed,
      want: {},
      replicas: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { document, islands } = render(c.resource, c.obj, c.permissions);
      const workloadIslands = islands.filter((i) => WORKLOAD_ISLANDS.includes(i.name));
      assert.deepEqual(
        Object.fromEntries(workloadIslands.map((i) => [i.name, i.props.access])),
        c.want,
      );
      for (const i of workloadIslands) {
        assert.equal(i.props.clusterId, "c1");
        assert.equal(i.props.namespace, "shop");
        assert.equal(i.props.name, c.obj.metadata.name);
        assert.equal(i.props.kind, c.resource.resource);
      }
      // Each island's button is rendered on the server, disabled with the reason when refused.
      for (
        const [name, access] of Object.entries(c.want) as [
          string,
          { allowed: boolean; reason?: string },
        ][]
      ) {
        const id = {
          ScaleWorkload: "workload-scale",
          RestartWorkload: "workload-restart",
          PauseDeployment: c.obj.spec?.paused ? "workload-resume" : "workload-pause",
          RollbackDeployment: "workload-rollback",
        }[name]!;
        const button = document.querySelector(`[data-testid="${id}"]`);
        assert(button, `${name}: its button`);
        assert.equal(button.hasAttribute("disabled"), !access.allowed, `${name}: disabled`);
        if (!access.allowed) assert.equal(button.getAttribute("title"), access.reason);
      }
      const card = document.querySelector("[data-testid=rollout-progress]");
      assert.equal(!!card, c.replicas, "the Replicas card");
      if (card) {
        assert.equal(card.getAttribute("data-settled"), "true");
        assert.equal(
          document.querySelector("[data-testid=count-desired]")?.textContent,
          "2",
        );
        assert.match(
          document.querySelector("[data-testid=template-images]")?.textContent ?? "",
          /main: shop\/web:1/,
        );
      }
    });
  }
});

Deno.test("object page: scaling a ReplicaSet names its controlling Deployment", () => {
  const obj = workload();
  obj.metadata.ownerReferences = [
    { kind: "Deployment", name: "web", apiVersion: "apps/v1", controller: true },
  ];
  const { islands } = render(ref("replicasets", "ReplicaSet"), obj, { scale: { allowed: true } });
  assert.equal(islands.find((i) => i.name === "ScaleWorkload")?.props.controller, "Deployment web");
  const { islands: plain } = render(ref("replicasets", "ReplicaSet"), workload(), {});
  assert.equal(plain.find((i) => i.name === "ScaleWorkload")?.props.controller, null);
});
