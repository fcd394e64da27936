import { Island } from "../islands.tsx";
import UserAdmin from "../islands/UserAdmin.tsx";
import ClusterRoles, { type ClusterChoice } from "../islands/ClusterRoles.tsx";
import { PageHeader, Shell } from "../components/layout.tsx";
import type { UiUser, UserRecord } from "../lib/types.ts";

/** /admin/users: the users (UserAdmin) and the per-cluster roles (ClusterRoles). */
export function UsersPage(
  { user, users, clusters, now }: {
    user: UiUser;
    users: UserRecord[];
    clusters: ClusterChoice[];
    now: number;
  },
) {
  const groups = [...new Set(users.flatMap((u) => u.groups))].sort();
  return (
    <Shell user={user} crumbs={[{ label: "Admin" }, { label: "Users" }]} active="users" now={now}>
      <div class="mx-auto max-w-6xl space-y-10">
        <PageHeader
          title="Users and roles"
          description="Who can sign in, with which global role, and who has a role on which clusters."
        />
        <Island name="UserAdmin" component={UserAdmin} props={{ users, me: user.id, now }} />
        <Island
          name="ClusterRoles"
          component={ClusterRoles}
          props={{
            clusters,
            usernames: users.map((u) =>
              u.username
            ),
            groups,
            now,
          }}
        />
      </div>
    </Shell>
  );
}
