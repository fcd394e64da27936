// User administration (admins): the users with role, groups, last sign-in and state; create a
// user, edit role and groups, reset a password, disable or enable, delete. Every change goes
// through the REST API (/api/users) and the list is read again afterwards; the API's message is
// shown when it refuses (the last admin, disabling oneself, a taken name). A single-sign-on user
// (source "sso") carries an SSO badge; their role, groups and password are the identity
// provider's, so those controls stay in place disabled, with the reason as their title (the API
// answers 409 managed_by_provider); enabling, disabling and deleting stay open.
import { useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { ConfirmDialog } from "../components/dialog.tsx";
import { Alert, Badge, btn, cardClass, Chips, TimeAgo } from "../components/ui.tsx";
import { useNow } from "../client/live.ts";
import { api } from "../client/api.ts";
import type { UserRecord } from "../lib/types.ts";
import { ROLE_LABELS } from "../lib/users.ts";
import {
  CreateUserDialog,
  DisableDialog,
  EditUserDialog,
  ResetPasswordDialog,
} from "../components/user_dialogs.tsx";

/** Why a single-sign-on user's role, groups and password cannot be changed here. */
const MANAGED_BY_PROVIDER =
  "Managed by your identity provider: role and groups are set at each sign-in";

/** A control refused for a single-sign-on user: in place, disabled, saying why. */
const managed = (u: UserRecord) =>
  u.source === "sso"
    ? { disabled: true, "aria-disabled": "true" as const, title: MANAGED_BY_PROVIDER }
    : {};

export default function UserAdmin(
  { users: initial, me, now: serverNow }: { users: UserRecord[]; me: string; now: number },
) {
  const now = useNow(serverNow);
  const [users, setUsers] = useState(initial);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<UserRecord | null>(null);
  const [resetting, setResetting] = useState<UserRecord | null>(null);
  const [disabling, setDisabling] = useState<UserRecord | null>(null);
  const [deleting, setDeleting] = useState<UserRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const reload = async () => {
    try {
      setUsers((await api<{ items: UserRecord[] }>("/api/users")).items);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const saved = (text: string) => (u: UserRecord) => {
    setUsers((list) => list.map((x) => x.id === u.id ? u : x));
    setNotice(text.replace("{user}", u.username));
    setError(null);
    void reload();
  };
  const enable = async (u: UserRecord) => {
    setError(null);
    try {
      saved("{user} is enabled again.")(
        await api<UserRecord>(`/api/users/${u.id}`, { method: "PATCH", json: { disabled: false } }),
      );
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section class="space-y-4" aria-labelledby="users-title">
      <div class="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id="users-title" class="text-base font-semibold text-slate-900 dark:text-white">
            Users
          </h2>
          <p class="mt-0.5 text-sm text-slate-500 dark:text-slate-400">
            Everyone who can sign in, their global role and groups.
          </p>
        </div>
        <button type="button" class={btn.primary} onClick={() => setCreating(true)}>
          <Icon name="plus" />
          New user
        </button>
      </div>
      {error && <Alert>{error}</Alert>}
      {notice && <Alert tone="green">{notice}</Alert>}
      <div class={`${cardClass} relative overflow-x-auto`}>
        <table class="min-w-full text-sm" data-testid="users-table">
          <thead>
            <tr class="text-left text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
              <th scope="col" class="py-2.5 pl-4 pr-3 font-medium">Username</th>
              <th scope="col" class="px-3 py-2.5 font-medium">Role</th>
              <th scope="col" class="px-3 py-2.5 font-medium">Groups</th>
              <th scope="col" class="px-3 py-2.5 font-medium">Last sign-in</th>
              <th scope="col" class="px-3 py-2.5 font-medium">State</th>
              <th scope="col" class="py-2.5 pl-3 pr-4">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
            {users.map((u) => (
              <tr key={u.id} data-user={u.username}>
                <td class="py-2.5 pl-4 pr-3 font-medium text-slate-900 dark:text-white">
                  {u.username}
                  {u.source === "sso" && (
                    <span class="ml-2" data-testid="sso-badge">
                      <Badge tone="blue" dot={false} title="Signs in with the identity provider">
                        SSO
                      </Badge>
                    </span>
                  )}
                  {u.id === me && (
                    <span class="ml-2 text-xs font-normal text-slate-500 dark:text-slate-400">
                      (you)
                    </span>
                  )}
                </td>
                <td class="px-3 py-2.5 text-slate-700 dark:text-slate-300" data-role={u.role}>
                  {ROLE_LABELS[u.role]}
                </td>
                <td class="px-3 py-2.5">
                  <Chips items={u.groups} />
                </td>
                <td class="px-3 py-2.5 text-slate-600 dark:text-slate-400">
                  <TimeAgo at={u.last_login_at} now={now} />
                </td>
                <td class="px-3 py-2.5" data-state={u.disabled_at ? "disabled" : "active"}>
                  {u.disabled_at
                    ? (
                      <Badge tone="red" title={`disabled ${u.disabled_at}`}>
                        Disabled
                      </Badge>
                    )
                    : <Badge tone="green">Active</Badge>}
                </td>
                <td class="py-2.5 pl-3 pr-4">
                  <div class="flex flex-wrap justify-end gap-1">
                    <button
                      type="button"
                      class={`${btn.ghost} ${btn.small}`}
                      aria-label={`Edit ${u.username}`}
                      onClick={() => setEditing(u)}
                      {...managed(u)}
                    >
                      <Icon name="pencil" class="size-3.5" />
                      Edit
                    </button>
                    {u.id === me && u.source === "sso"
                      ? (
                        <button
                          type="button"
                          class={`${btn.ghost} ${btn.small}`}
                          aria-label="Change your password"
                          {...managed(u)}
                        >
                          Password
                        </button>
                      )
                      : u.id === me
                      ? (
                        <a
                          class={`${btn.ghost} ${btn.small}`}
                          href="/account/password"
                          aria-label="Change your password"
                        >
                          Password
                        </a>
                      )
                      : (
                        <button
                          type="button"
                          class={`${btn.ghost} ${btn.small}`}
                          aria-label={`Reset the password of ${u.username}`}
                          onClick={() => setResetting(u)}
                          {...managed(u)}
                        >
                          Reset password
                        </button>
                      )}
                    {u.id !== me && (u.disabled_at
                      ? (
                        <button
                          type="button"
                          class={`${btn.ghost} ${btn.small}`}
                          aria-label={`Enable ${u.username}`}
                          onClick={() => enable(u)}
                        >
                          Enable
                        </button>
                      )
                      : (
                        <button
                          type="button"
                          class={`${btn.dangerGhost} ${btn.small}`}
                          aria-label={`Disable ${u.username}`}
                          onClick={() => setDisabling(u)}
                        >
                          Disable
                        </button>
                      ))}
                    <button
                      type="button"
                      class={`${btn.dangerGhost} ${btn.small}`}
                      aria-label={`Delete ${u.username}`}
                      onClick={() => setDeleting(u)}
                    >
                      <Icon name="trash" class="size-3.5" />
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <CreateUserDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(u) => {
          setUsers((list) => [...list, u].sort((a, b) => a.username.localeCompare(b.username)));
          setNotice(`${u.username} can sign in now.`);
          setError(null);
        }}
      />
      <EditUserDialog
        user={editing}
        onClose={() => setEditing(null)}
        onSaved={saved("{user} is saved.")}
      />
      <ResetPasswordDialog
        user={resetting}
        onClose={() => setResetting(null)}
        onDone={saved("{user} has a new password; their sessions and API tokens have ended.")}
      />
      <DisableDialog
        user={disabling}
        onClose={() => setDisabling(null)}
        onDone={saved("{user} is disabled; their sessions and API tokens have ended.")}
      />
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        title={`Delete ${deleting?.username ?? ""}?`}
        confirmLabel="Delete user"
        requireText={deleting?.username}
        labelId="delete-user-title"
        onConfirm={async () => {
          const u = deleting!;
          await api(`/api/users/${u.id}`, { method: "DELETE" });
          setUsers((list) => list.filter((x) => x.id !== u.id));
          setNotice(`${u.username} is deleted.`);
          setError(null);
        }}
      >
        <p>
          The account, its sessions, API tokens and cluster roles are removed for good. To keep
          them, disable the user instead.
        </p>
      </ConfirmDialog>
    </section>
  );
}
