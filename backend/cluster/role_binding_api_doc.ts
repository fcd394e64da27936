// The OpenAPI description of the per-cluster role binding routes (role_binding_routes.ts): the
// request body is the handler's own schema; the answers mirror RoleBinding (access.ts).
import { z } from "zod";
import { apiSchema, type JsonOf, type RouteDoc, sameShape } from "../http/openapi/route_doc.ts";
import type { RoleBinding as RoleBindingType } from "./access.ts";
import { id, idParams, itemsOf, timestamp } from "../http/openapi/common.ts";
import { clusterRoles } from "../auth/roles.ts";
import { bindingBody } from "./role_binding_routes.ts";

const RoleBinding = apiSchema(
  "RoleBinding",
  z.strictObject({
    id,
    subject_kind: z.enum(["user", "group"]),
    subject: z.string().describe("a username or a dashboard group"),
    cluster_id: id.nullable(),
    cluster_selector: z.record(z.string(), z.string()).nullable(),
    role: z.enum(clusterRoles),
    created_at: timestamp,
  }),
  "A role for a user or group on one cluster, or on every cluster whose labels match.",
);

const tag = "Role bindings";
export const roleBindingApi: RouteDoc[] = [
  {
    method: "get",
    path: "/api/role-bindings",
    tag,
    summary: "List per-cluster role bindings",
    auth: "user",
    minRole: "admin",
    responses: { 200: { description: "every binding", json: itemsOf(RoleBinding) } },
  },
  {
    method: "post",
    path: "/api/role-bindings",
    tag,
    summary: "Give a user or group a role on a cluster or on clusters by label",
    auth: "user",
    minRole: "admin",
    body: apiSchema("CreateRoleBindingRequest", bindingBody),
    responses: { 201: { description: "created", json: RoleBinding } },
    errors: [404, 409],
  },
  {
    method: "delete",
    path: "/api/role-bindings/{id}",
    tag,
    summary: "Delete a role binding",
    auth: "user",
    minRole: "admin",
    params: idParams,
    responses: { 204: { description: "deleted" } },
    errors: [404],
  },
];

// The answer's schema is the handler's type as JSON (a drift is a type error).
sameShape<z.infer<typeof RoleBinding>, JsonOf<RoleBindingType>>(true);
