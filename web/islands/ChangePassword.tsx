// Changing one's own password: current, new and confirmation. POST /api/auth/password ends every
// session and API token of the user and answers with a fresh session cookie, so this browser
// stays signed in; every other browser, script and downloaded kubeconfig is signed out.
import { useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { Alert, btn, cardClass, inputClass, labelClass } from "../components/ui.tsx";
import { api } from "../client/api.ts";
import { MIN_PASSWORD_LENGTH, validateNewPassword } from "../lib/users.ts";

type Field = "current" | "next" | "confirm";

export default function ChangePassword({ username }: { username: string }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const check = (): Partial<Record<Field, string>> => {
    const e: Partial<Record<Field, string>> = {};
    if (current === "") e.current = "Enter your current password.";
    const weak = validateNewPassword(next);
    if (weak) e.next = weak;
    else if (next === current) e.next = "Choose a password different from the current one.";
    if (!e.next && confirm !== next) e.confirm = "The two new passwords differ.";
    return e;
  };

  const submit = async (ev: Event) => {
    ev.preventDefault();
    const e = check();
    setErrors(e);
    setDone(false);
    if (Object.keys(e).length) return;
    setBusy(true);
    setError(null);
    try {
      await api("/api/auth/password", {
        method: "POST",
        json: { current_password: current, new_password: next },
      });
      setCurrent("");
      setNext("");
      setConfirm("");
      setDone(true);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const field = (
    id: Field,
    label: string,
    value: string,
    set: (v: string) => void,
    autoComplete: string,
    hint?: string,
  ) => (
    <div>
      <label for={`pw-${id}`} class={labelClass}>{label}</label>
      <input
        id={`pw-${id}`}
        type="password"
        class={`${inputClass} mt-1.5`}
        autoComplete={autoComplete}
        value={value}
        aria-invalid={errors[id] ? "true" : undefined}
        aria-describedby={`pw-${id}-note`}
        onInput={(e) => {
          set((e.target as HTMLInputElement).value);
          setErrors((x) => ({ ...x, [id]: undefined }));
        }}
      />
      {errors[id]
        ? (
          <p id={`pw-${id}-note`} class="mt-1.5 text-sm text-red-600 dark:text-red-400">
            {errors[id]}
          </p>
        )
        : hint && (
          <p id={`pw-${id}-note`} class="mt-1.5 text-sm text-slate-500 dark:text-slate-400">
            {hint}
          </p>
        )}
    </div>
  );

  return (
    <form onSubmit={submit} class={`${cardClass} space-y-4 p-5`} noValidate>
      {/* For password managers: which account this form belongs to. */}
      <input
        type="text"
        name="username"
        autoComplete="username"
        value={username}
        readOnly
        hidden
      />
      <Alert tone="amber" title="This signs you out everywhere else">
        Every other browser where you are signed in is signed out, and all your API tokens stop
        working (scripts, CI, downloaded kubeconfigs): create new ones afterwards. This browser
        stays signed in.
      </Alert>
      {field("current", "Current password", current, setCurrent, "current-password")}
      {field(
        "next",
        "New password",
        next,
        setNext,
        "new-password",
        `At least ${MIN_PASSWORD_LENGTH} characters.`,
      )}
      {field("confirm", "Repeat the new password", confirm, setConfirm, "new-password")}
      {error && <Alert>{error}</Alert>}
      {done && (
        <Alert tone="green" title="Password changed">
          Your other sessions and all your API tokens have ended. You are still signed in here.
        </Alert>
      )}
      <div class="flex justify-end">
        <button type="submit" class={btn.primary} disabled={busy}>
          <Icon name="check" />
          {busy ? "Changing…" : "Change password"}
        </button>
      </div>
    </form>
  );
}
