// GET /admin/users: user administration and per-cluster roles, for admins (others get the 403
// page). The users and clusters are read here; the cluster roles by the island from the API.
import type { Hono } from "hono";
import type { WebDeps, WebEnv } from "../deps.ts";
import { UsersPage } from "../pages/users.tsx";
import type { ClusterChoice } from "../islands/ClusterRoles.tsx";
import { type Cluster, toJson, type UserRecord } from "../lib/types.ts";
import { errorPage, page, uiUser } from "./page.tsx";
import { PageError } from "./page_error.ts";

export function userRoutes(pages: Hono<WebEnv>, deps: WebDeps): void {
  pages.get("/admin/users", async (c) => {
    const user = c.get("user");
    try {
      if (user.role !== "admin") {
        throw new PageError(
          403,
          "Forbidden",
          `Managing users needs the admin role; you are ${user.role}.`,
        );
      }
      const [users, clusters] = await Promise.all([
        deps.users.list().then((u) => toJson<UserRecord[]>(u)),
        deps.clusters.list(user).then((l) => toJson<Cluster[]>(l)),
      ]);
      const choices: ClusterChoice[] = clusters
        .map(({ id, name, labels }) => ({ id, name, ...(labels ? { labels } : {}) }))
        .sort((a, b) => a.name.localeCompare(b.name));
      return page(
        "Users",
        <UsersPage user={uiUser(user)} users={users} clusters={choices} now={Date.now()} />,
      )(c);
    } catch (err) {
      return errorPage(c, user, err);
    }
  });
}
