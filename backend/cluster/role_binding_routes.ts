// REST endpoints for per-cluster roles (admin only): list, create and delete the bindings that
// give a user or a group a role on one cluster or on every cluster whose labels match.
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../http/types.ts";
import { assertRole } from "../auth/service.ts";
import { clusterRoles } from "../auth/roles.ts";
import { groupName, username } from "../auth/names.ts";
import { parseJson, uuidParam } from "../http/errors.ts";
import type { ClusterAccess } from "./access.ts";
import { clusterLabels } from "./handlers.ts";

export const bindingBody = z.union([
  z.strictObject({
    subject_kind: z.literal("user"),
    subject: username,
    role: z.enum(clusterRoles),
    cluster_id: z.uuid("cluster_id must be a cluster's id").transform((s) => s.toLowerCase()),
  }),
  z.strictObject({
    subject_kind: z.literal("group"),
    subject: groupName,
    role: z.enum(clusterRoles),
    cluster_id: z.uuid("cluster_id must be a cluster's id").transform((s) => s.toLowerCase()),
  }),
  z.strictObject({
    subject_kind: z.literal("user"),
    subject: username,
    role: z.enum(clusterRoles),
    cluster_selector: clusterLabels.refine(
      (l) => Object.keys(l).length > 0,
      "name at least one label",
    ),
  }),
  z.strictObject({
    subject_kind: z.literal("group"),
    subject: groupName,
    role: z.enum(clusterRoles),
    cluster_selector: clusterLabels.refine(
      (l) => Object.keys(l).length > 0,
      "name at least one label",
    ),
  }),
], {
  error: () =>
    "give subject_kind (user or group), subject, role (admin, editor or viewer) and either " +
    "cluster_id or cluster_selector ({label: value})",
});

export function roleBindingRoutes(access: ClusterAccess) {
  const app = new Hono<AppEnv>();
  app.get("/role-bindings", async (c) => {
    assertRole(c.get("user"), "admin");
    return c.json({ items: await access.list() });
  });
  app.post("/role-bindings", async (c) => {
    assertRole(c.get("user"), "admin");
    const b = await parseJson(c, bindingBody);
    const created = await access.create({
      subject_kind: b.subject_kind,
      subject: b.subject,
      role: b.role,
      cluster_id: "cluster_id" in b ? b.cluster_id : null,
      cluster_selector: "cluster_selector" in b ? b.cluster_selector : null,
    });
    return c.json(created, 201);
  });
  app.delete("/role-bindings/:id", async (c) => {
    assertRole(c.get("user"), "admin");
    await access.delete(uuidParam(c, "id"));
    return c.body(null, 204);
  });
  return app;
}
