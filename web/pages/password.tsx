import { Island } from "../islands.tsx";
import ChangePassword from "../islands/ChangePassword.tsx";
import { PageHeader, Shell } from "../components/layout.tsx";
import type { UiUser } from "../lib/types.ts";

/** /account/password: every user changes their own password. */
export function PasswordPage({ user, now }: { user: UiUser; now: number }) {
  return (
    <Shell
      user={user}
      crumbs={[{ label: "Account" }, { label: "Change password" }]}
      active="password"
      now={now}
    >
      <div class="mx-auto max-w-xl">
        <PageHeader
          title="Change password"
          description={`The password ${user.username} signs in with.`}
        />
        <Island
          name="ChangePassword"
          component={ChangePassword}
          props={{ username: user.username }}
        />
      </div>
    </Shell>
  );
}
