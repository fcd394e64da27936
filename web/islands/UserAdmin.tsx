// User administration (admins): the users with role, groups, last sign-in and state; create a
// user, edit role and groups, reset a password, disable or enable, delete. Every change goes
// through the REST API (/api/users) and the list is read again afterwards; the API's message is
// shown when it refuses (the last admin, disabling oneself, a taken name).
import { useEffect, useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { ConfirmDialog, CopyButton, Modal } from "../components/dialog.tsx";
import {
  Alert,
  Badge,
  btn,
  cardClass,
  Chips,
  inputClass,
  labelClass,
  TimeAgo,
} from "../components/ui.tsx";
import { useNow } from "../client/live.ts";
import { api } from "../client/api.ts";
import type { Role, UserRecord } from "../lib/types.ts";
import {
  generatePassword,
  MIN_PASSWORD_LENGTH,
  parseGroups,
  ROLE_HINTS,
  ROLE_LABELS,
  validateNewPassword,
  validateUsername,
} from "../lib/users.ts";

const ROLES: Role[] = ["admin", "editor", "viewer", "none"];

function FieldNote({ id, error, hint }: { id: string; error?: string | null; hint?: string }) {
  if (error) {
    return <p id={id} class="mt-1.5 text-sm text-red-600 dark:text-red-400">{error}</p>;
  }
  return hint
    ? <p id={id} class="mt-1.5 text-sm text-slate-500 dark:text-slate-400">{hint}</p>
    : null;
}

function RoleSelect({ id, value, onChange }: {
  id: string;
  value: Role;
  onChange: (r: Role) => void;
}) {
  return (
    <>
      <select
        id={id}
        class={`${inputClass} mt-1.5`}
        value={value}
        aria-describedby={`${id}-hint`}
        onChange={(e) => onChange((e.target as HTMLSelectElement).value as Role)}
      >
        {ROLES.map((r) => <option key={r} value={r}>{ROLE_LABELS[r]}</option>)}
      </select>
      <FieldNote id={`${id}-hint`} hint={`${ROLE_LABELS[value]}: ${ROLE_HINTS[value]}.`} />
    </>
  );
}

/** A new password field with Show and Generate (a generated one is shown, to pass on). */
function PasswordField({ id, label, value, onChange, error }: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string | null;
}) {
  const [show, setShow] = useState(false);
  return (
    <div>
      <label for={id} class={labelClass}>{label}</label>
      <div class="mt-1.5 flex gap-2">
        <input
          id={id}
          type={show ? "text" : "password"}
          class={`${inputClass} font-mono`}
          autoComplete="new-password"
          spellcheck={false}
          value={value}
          aria-invalid={error ? "true" : undefined}
          aria-describedby={`${id}-note`}
          onInput={(e) => onChange((e.target as HTMLInputElement).value)}
        />
        <button type="button" class={btn.secondary} onClick={() => setShow(!show)}>
          {show ? "Hide" : "Show"}
        </button>
        <button
          type="button"
          class={btn.secondary}
          onClick={() => {
            onChange(generatePassword());
            setShow(true);
          }}
        >
          Generate
        </button>
        {show && value && <CopyButton text={value} class="!py-1.5" />}
      </div>
      <FieldNote
        id={`${id}-note`}
        error={error}
        hint={`At least ${MIN_PASSWORD_LENGTH} characters. Pass it on safely; they can change it with Change password in their user menu.`}
      />
    </div>
  );
}

function FormFooter({ busy, label, onCancel, form }: {
  busy: boolean;
  label: string;
  onCancel: () => void;
  form: string;
}) {
  return (
    <>
      <button type="button" class={btn.secondary} onClick={onCancel}>Cancel</button>
      <button type="submit" form={form} class={btn.primary} disabled={busy}>
        {busy ? "Saving…" : label}
      </button>
    </>
  );
}

function CreateUserDialog({ open, onClose, onCreated }: {
  open: boolean;
  onClose: () => void;
  onCreated: (u: UserRecord) => void;
}) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [groups, setGroups] = useState("");
  const [errors, setErrors] = useState<Record<string, string | null>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setUsername("");
    setPassword("");
    setRole("viewer");
    setGroups("");
    setErrors({});
    setError(null);
    onClose();
  };

  const submit = async (ev: Event) => {
    ev.preventDefault();
    const parsed = parseGroups(groups);
    const e = {
      username: validateUsername(username),
      password: validateNewPassword(password),
      groups: "error" in parsed ? parsed.error : null,
    };
    setErrors(e);
    if (e.username || e.password || e.groups || "error" in parsed) return;
    setBusy(true);
    setError(null);
    try {
      const u = await api<UserRecord>("/api/users", {
        method: "POST",
        json: { username, password, role, groups: parsed.groups },
      });
      onCreated(u);
      close();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      onClose={close}
      title="New user"
      description="They sign in with this username and password."
      labelId="create-user-title"
      footer={<FormFooter busy={busy} label="Create user" onCancel={close} form="create-user" />}
    >
      <form id="create-user" onSubmit={submit} class="space-y-4" noValidate>
        <div>
          <label for="new-username" class={labelClass}>Username</label>
          <input
            id="new-username"
            class={`${inputClass} mt-1.5`}
            autoComplete="off"
            autoCapitalize="none"
            spellcheck={false}
            value={username}
            aria-invalid={errors.username ? "true" : undefined}
            aria-describedby="new-username-note"
            onInput={(e) => setUsername((e.target as HTMLInputElement).value)}
          />
          <FieldNote id="new-username-note" error={errors.username} />
        </div>
        <PasswordField
          id="new-password"
          label="Initial password"
          value={password}
          onChange={setPassword}
          error={errors.password}
        />
        <div>
          <label for="new-role" class={labelClass}>Role</label>
          <RoleSelect id="new-role" value={role} onChange={setRole} />
        </div>
        <div>
          <label for="new-groups" class={labelClass}>Groups</label>
          <input
            id="new-groups"
            class={`${inputClass} mt-1.5 font-mono`}
            placeholder="platform, oncall"
            spellcheck={false}
            value={groups}
            aria-invalid={errors.groups ? "true" : undefined}
            aria-describedby="new-groups-note"
            onInput={(e) => setGroups((e.target as HTMLInputElement).value)}
          />
          <FieldNote
            id="new-groups-note"
            error={errors.groups}
            hint="Optional, separated by commas or spaces. Cluster roles may be given to a group."
          />
        </div>
        {error && <Alert>{error}</Alert>}
      </form>
    </Modal>
  );
}

function EditUserDialog({ user, onClose, onSaved }: {
  user: UserRecord | null;
  onClose: () => void;
  onSaved: (u: UserRecord) => void;
}) {
  const [role, setRole] = useState<Role>(user?.role ?? "viewer");
  const [groups, setGroups] = useState(user?.groups.join(", ") ?? "");
  const [groupsError, setGroupsError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    // A user to edit: start from their values.
    if (!user) return;
    setRole(user.role);
    setGroups(user.groups.join(", "));
    setGroupsError(null);
    setError(null);
  }, [user]);
  const close = onClose;

  const submit = async (ev: Event) => {
    ev.preventDefault();
    const parsed = parseGroups(groups);
    if ("error" in parsed) {
      setGroupsError(parsed.error);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const change: { role?: Role; groups?: string[] } = {};
      if (role !== user!.role) change.role = role;
      if (parsed.groups.join(",") !== [...user!.groups].sort().join(",")) {
        change.groups = parsed.groups;
      }
      if (Object.keys(change).length) {
        onSaved(await api<UserRecord>(`/api/users/${user!.id}`, { method: "PATCH", json: change }));
      }
      close();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={user !== null}
      onClose={close}
      title={`Edit ${user?.username ?? ""}`}
      description="The global role applies to every cluster; cluster roles below add to it."
      labelId="edit-user-title"
      footer={<FormFooter busy={busy} label="Save" onCancel={close} form="edit-user" />}
    >
      <form id="edit-user" onSubmit={submit} class="space-y-4" noValidate>
        <div>
          <label for="edit-role" class={labelClass}>Role</label>
          <RoleSelect id="edit-role" value={role} onChange={setRole} />
        </div>
        <div>
          <label for="edit-groups" class={labelClass}>Groups</label>
          <input
            id="edit-groups"
            class={`${inputClass} mt-1.5 font-mono`}
            spellcheck={false}
            value={groups}
            aria-invalid={groupsError ? "true" : undefined}
            aria-describedby="edit-groups-note"
            onInput={(e) => {
              setGroups((e.target as HTMLInputElement).value);
              setGroupsError(null);
            }}
          />
          <FieldNote
            id="edit-groups-note"
            error={groupsError}
            hint="Separated by commas or spaces; leave empty for none."
          />
        </div>
        {error && <Alert>{error}</Alert>}
      </form>
    </Modal>
  );
}

function ResetPasswordDialog({ user, onClose, onDone }: {
  user: UserRecord | null;
  onClose: () => void;
  onDone: (u: UserRecord) => void;
}) {
  const [password, setPassword] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const close = () => {
    setPassword("");
    setFieldError(null);
    setError(null);
    onClose();
  };
  const submit = async (ev: Event) => {
    ev.preventDefault();
    const weak = validateNewPassword(password);
    setFieldError(weak);
    if (weak) return;
    setBusy(true);
    setError(null);
    try {
      onDone(
        await api<UserRecord>(`/api/users/${user!.id}`, { method: "PATCH", json: { password } }),
      );
      close();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={user !== null}
      onClose={close}
      title={`Reset the password of ${user?.username ?? ""}`}
      labelId="reset-password-title"
      footer={
        <FormFooter busy={busy} label="Set password" onCancel={close} form="reset-password" />
      }
    >
      <form id="reset-password" onSubmit={submit} class="space-y-4" noValidate>
        <Alert tone="amber">
          This ends every session and API token of {user?.username}{" "}
          at once: they are signed out everywhere, and their scripts and downloaded kubeconfigs stop
          working.
        </Alert>
        <PasswordField
          id="reset-password-value"
          label="New password"
          value={password}
          onChange={(v) => {
            setPassword(v);
            setFieldError(null);
          }}
          error={fieldError}
        />
        {error && <Alert>{error}</Alert>}
      </form>
    </Modal>
  );
}

function DisableDialog({ user, onClose, onDone }: {
  user: UserRecord | null;
  onClose: () => void;
  onDone: (u: UserRecord) => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const close = () => {
    setError(null);
    onClose();
  };
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(
        await api<UserRecord>(`/api/users/${user!.id}`, {
          method: "PATCH",
          json: { disabled: true },
        }),
      );
      close();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={user !== null}
      onClose={close}
      title={`Disable ${user?.username ?? ""}?`}
      labelId="disable-user-title"
      footer={
        <>
          <button type="button" class={btn.secondary} onClick={close}>Cancel</button>
          <button type="submit" form="disable-user" class={btn.danger} disabled={busy}>
            {busy ? "Disabling…" : "Disable"}
          </button>
        </>
      }
    >
      <form id="disable-user" onSubmit={submit} class="space-y-4 text-sm" noValidate>
        <p class="text-slate-600 dark:text-slate-300">
          {user?.username}{" "}
          cannot sign in until enabled again. Every session and API token they have ends now
          (enabling does not bring the tokens back). Their role, groups and cluster roles are kept.
        </p>
        {error && <Alert>{error}</Alert>}
      </form>
    </Modal>
  );
}

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
      <div class={`${cardClass} overflow-x-auto`}>
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
                    >
                      <Icon name="pencil" class="size-3.5" />
                      Edit
                    </button>
                    {u.id === me
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
