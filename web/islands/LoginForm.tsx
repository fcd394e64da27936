// The login form: POST /api/auth/login (sets the session cookie), then on to `next`. Below the
// single sign-on button (`secondary`) its button is the quieter one.
import { useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { Alert, btn, inputClass, labelClass } from "../components/ui.tsx";

export default function LoginForm(
  { next, notice, secondary = false }: { next: string; notice?: string; secondary?: boolean },
) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(notice ?? null);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!username || !password) {
      setError("Enter your username and password.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const res = await fetch("/api/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ username, password }),
        credentials: "same-origin",
      });
      if (res.ok) {
        location.assign(next);
        return;
      }
      if (res.status === 401) setError("Wrong username or password.");
      else if (res.status === 429) {
        const wait = Number(res.headers.get("retry-after") ?? "60");
        setError(
          `Too many failed attempts. Try again in ${
            wait >= 60 ? `${Math.ceil(wait / 60)} min` : `${wait} s`
          }.`,
        );
      } else {
        const body = await res.json().catch(() => null);
        setError(body?.error?.message ?? `Login failed (HTTP ${res.status}).`);
      }
    } catch {
      setError("Cannot reach the dashboard. Check your connection and try again.");
    }
    setBusy(false);
  };

  return (
    <form method="post" action="/login" onSubmit={submit} class="space-y-5" noValidate>
      {error && <Alert>{error}</Alert>}
      <div>
        <label for="username" class={labelClass}>Username</label>
        <input
          id="username"
          name="username"
          class={`${inputClass} mt-1.5`}
          autoComplete="username"
          autoCapitalize="none"
          spellcheck={false}
          autoFocus
          required
          value={username}
          onInput={(e) => setUsername((e.target as HTMLInputElement).value)}
        />
      </div>
      <div>
        <label for="password" class={labelClass}>Password</label>
        <input
          id="password"
          name="password"
          type="password"
          class={`${inputClass} mt-1.5`}
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
        />
      </div>
      <button
        type="submit"
        class={`${secondary ? btn.secondary : btn.primary} w-full !py-2`}
        disabled={busy}
      >
        {busy ? "Signing in…" : "Sign in"}
        {!busy && <Icon name="chevronRight" />}
      </button>
    </form>
  );
}
