// The dialogs of the Users page (islands/UserAdmin.tsx): create a user, edit role and groups,
// reset a password, disable an account. Each sends its change to /api/users and shows the API's
// message when it refuses; the island keeps the table and decides which dialog is open.
import { useEffect, useState } from "preact/hooks";
import { CopyButton, Modal } from "./dialog.tsx";
import { Alert, btn, inputClass, labelClass } from "./ui.tsx";
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

export function CreateUserDialog({ open, onClose, onCreated }: {
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

export function EditUserDialog({ user, onClose, onSaved }: {
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

export function ResetPasswordDialog({ user, onClose, onDone }: {
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

export function DisableDialog({ user, onClose, onDone }: {
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
