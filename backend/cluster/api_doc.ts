// The OpenAPI description of the cluster routes (handlers.ts): add by kubeconfig, list, show,
// edit, delete, the kubeconfig download, and the Kubernetes-compatible proxy (proxy.ts) as one
// pass-through. Request bodies are the handlers' own schemas; the answers mirror Cluster,
// ClusterListItem (store.ts) with the caller's role on the cluster.
import { z } from "zod";
import { apiSchema, type JsonOf, type RouteDoc, sameShape } from "../http/openapi/route_doc.ts";
import type { Cluster as ClusterType, ClusterListItem as ClusterListItemType } from "./store.ts";
import type { WithRole } from "./manager.ts";
import { id, idParams, itemsOf, timestamp } from "../http/openapi/common.ts";
import { clusterRoles } from "../auth/roles.ts";
import { contextsBody, createBody, patchBody } from "./handlers.ts";

const infoCommon = {
  kubernetes_version: z.string(),
  platform: z.string(),
  node_count: z.number().int().nullable(),
};
const AgentClusterInfo = apiSchema(
  "AgentClusterInfo",
  z.strictObject({
    ...infoCommon,
    namespaces: z.array(z.string()),
    crds: z.array(z.string()),
    truncated: z.boolean().optional(),
  }),
  "What a connected agent reports about its cluster.",
);
const AgentClusterInfoSummary = apiSchema(
  "AgentClusterInfoSummary",
  z.strictObject({
    ...infoCommon,
    namespace_count: z.number().int(),
    crd_count: z.number().int(),
    truncated: z.boolean(),
  }),
  "An agent's cluster information in a list: counts instead of names.",
);
const cluster = {
  id,
  name: z.string(),
  connection_type: z.enum(["kubeconfig", "agent"]),
  agent_id: z.string().nullable(),
  context: z.string().nullable(),
  server: z.string().nullable(),
  status: z.string(),
  kubernetes_version: z.string().nullable(),
  platform: z.string().nullable(),
  node_count: z.number().int().nullable(),
  last_error: z.string().nullable(),
  last_checked_at: timestamp.nullable(),
  agent_version: z.string().nullable(),
  last_heartbeat_at: timestamp.nullable(),
  agent_replica_id: z.string().nullable(),
  rtt_ms: z.number().nullable(),
  last_security_event: z.string().nullable(),
  last_security_event_at: timestamp.nullable(),
  labels: z.record(z.string(), z.string()),
  impersonate: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
};
const myRole = z.enum(clusterRoles).describe("the caller's role on this cluster");
export const Cluster = apiSchema(
  "Cluster",
  z.strictObject({ ...cluster, cluster_info: AgentClusterInfo.nullable() }),
  "A cluster as stored (kubeconfig clusters: the kubeconfig itself never leaves the dashboard).",
);
const ClusterWithRole = apiSchema(
  "ClusterWithRole",
  z.strictObject({ ...cluster, cluster_info: AgentClusterInfo.nullable(), my_role: myRole }),
  "A cluster and the caller's role on it.",
);
export const ClusterListItem = apiSchema(
  "ClusterListItem",
  z.strictObject({ ...cluster, cluster_info: AgentClusterInfoSummary.nullable(), my_role: myRole }),
  "A cluster as listed (and as the status stream sends it).",
);
const KubeStatus = apiSchema(
  "KubernetesStatus",
  z.strictObject({
    kind: z.literal("Status"),
    apiVersion: z.literal("v1"),
    metadata: z.record(z.string(), z.unknown()),
    status: z.literal("Failure"),
    message: z.string(),
    reason: z.string(),
    code: z.number().int(),
  }),
  "A Kubernetes Status: every error of the Kubernetes proxy.",
);

const tag = "Clusters";
const admin = { auth: "user", minRole: "admin" } as const;
export const clusterApi: RouteDoc[] = [
  {
    method: "get",
    path: "/api/clusters",
    tag,
    summary: "List the clusters the caller holds a role on",
    auth: "user",
    responses: { 200: { description: "the clusters", json: itemsOf(ClusterListItem) } },
  },
  {
    method: "post",
    path: "/api/clusters",
    tag,
    summary: "Add a cluster by kubeconfig",
    description: "The cluster is reached once with the kubeconfig before anything is stored " +
      "(422 cluster_unreachable otherwise).",
    ...admin,
    body: apiSchema("CreateClusterRequest", createBody),
    responses: { 201: { description: "added", json: ClusterWithRole } },
    errors: [409, 422],
  },
  {
    method: "post",
    path: "/api/clusters/kubeconfig-contexts",
    tag,
    summary: "List the contexts of a kubeconfig",
    ...admin,
    body: apiSchema("KubeconfigContextsRequest", contextsBody),
    responses: {
      200: {
        description: "the contexts and the current one",
        json: apiSchema(
          "KubeconfigContexts",
          z.strictObject({ contexts: z.array(z.string()), current: z.string() }),
        ),
      },
    },
  },
  {
    method: "get",
    path: "/api/clusters/{id}",
    tag,
    summary: "Show a cluster",
    description: "404 for a cluster that does not exist or that the caller holds no role on.",
    auth: "user",
    params: idParams,
    responses: { 200: { description: "the cluster", json: ClusterWithRole } },
    errors: [404],
  },
  {
    method: "patch",
    path: "/api/clusters/{id}",
    tag,
    summary: "Edit a cluster (name, labels, impersonation, kubeconfig or context)",
    description: "A new kubeconfig or context is probed like an added cluster's (422).",
    ...admin,
    params: idParams,
    body: apiSchema("UpdateClusterRequest", patchBody),
    responses: { 200: { description: "the cluster as changed", json: ClusterWithRole } },
    errors: [404, 409, 422],
  },
  {
    method: "delete",
    path: "/api/clusters/{id}",
    tag,
    summary: "Delete a cluster",
    ...admin,
    params: idParams,
    responses: { 204: { description: "deleted" } },
    errors: [404],
  },
  {
    method: "get",
    path: "/api/clusters/{id}/kubeconfig",
    tag,
    summary: "Download a kubeconfig for kubectl and helm through the proxy",
    description: "Its user token is the API token the request was made with, or else a new " +
      "90-day API token of the caller (listed under API tokens).",
    auth: "user",
    params: idParams,
    responses: {
      200: {
        description: "the kubeconfig (an attachment)",
        mediaType: "application/yaml",
        headers: { "content-disposition": 'attachment; filename="dashboard-<name>.kubeconfig"' },
      },
    },
    errors: [404],
  },
  {
    method: "all",
    path: "/api/clusters/{id}/k8s/{path}",
    tag: "Kubernetes proxy",
    summary: "The Kubernetes API of a cluster, passed through",
    description:
      "Any Kubernetes API request (path: /api…, /apis…, /version…, /openapi…, the rest " +
      "after k8s/, slashes included) is sent to the cluster as the caller; the cluster's answer " +
      "comes back as is, streams (watch, exec, attach, port-forward) included. Viewers may GET " +
      "and HEAD only; editors and admins every method. Every error is a Kubernetes Status. See " +
      "docs/architecture.md, The Kubernetes-compatible proxy.",
    auth: "user",
    params: z.strictObject({
      id: idParams.shape.id,
      path: z.string().describe("the Kubernetes API path, e.g. api/v1/namespaces"),
    }),
    responses: { 200: { description: "the cluster's answer, as is", mediaType: "*/*" } },
    errors: [400, 403, 404, 502, 503, 504],
    errorBody: KubeStatus,
  },
];

// The answers' schemas are the handlers' types as JSON (a drift is a type error).
sameShape<z.infer<typeof Cluster>, JsonOf<ClusterType>>(true);
sameShape<z.infer<typeof ClusterWithRole>, JsonOf<WithRole<ClusterType>>>(true);
sameShape<z.infer<typeof ClusterListItem>, JsonOf<WithRole<ClusterListItemType>>>(true);
