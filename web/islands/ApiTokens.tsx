// Personal API tokens: create (shown once, with copy; 90 days unless another lifetime or
// "never" is chosen; optionally allowed to create tokens itself), list with last use, revoke.
import { useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { ConfirmDialog, CopyButton } from "../components/dialog.tsx";
import {
  Alert,
  btn,
  cardClass,
  EmptyState,
  inputClass,
  labelClass,
  TimeAgo,
} from "../components/ui.tsx";
import { useNow } from "../client/live.ts";
import { api } from "../client/api.ts";
import { validateTokenName } from "../lib/validate.ts";
import type { ApiToken } from "../lib/types.ts";

/** A listed token; can_create_tokens is sent by the API (absent from older answers). */
type TokenRow = ApiToken & { can_create_tokens?: boolean };

/** The lifetime choices; "never" is sent as an explicit null, anything else as days. */
const NEVER = "never";

export default function ApiTokens(
  { tokens: initial, now: serverNow }: { tokens: TokenRow[]; now: number },
) {
  const now = useNow(serverNow);
  const [tokens, setTokens] = useState(initial);
  const [name, setName] = useState("");
  const [days, setDays] = useState("90");
  const [canCreate, setCanCreate] = useState(false);
  const [nameError, setNameError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [revoke, setRevoke] = useState<TokenRow | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    const err = validateTokenName(name);
    setNameError(err);
    if (err) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ id: string; token: string; name: string }>("/api/tokens", {
        method: "POST",
        json: {
          name,
          expires_in_days: days === NEVER ? null : Number(days),
          ...(canCreate ? { can_create_tokens: true } : {}),
        },
      });
      setCreated({ name: r.name, token: r.token });
      setName("");
      setCanCreate(false);
      const { items } = await api<{ items: TokenRow[] }>("/api/tokens");
      setTokens(items);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="space-y-6">
      <form onSubmit={create} class={`${cardClass} p-4`} noValidate>
        <h2 class="text-sm font-semibold text-slate-900 dark:text-white">New token</h2>
        <p class="mt-0.5 text-sm text-slate-500 dark:text-slate-400">
          For scripts, CI and kubectl: send it as{" "}
          <code class="font-mono text-xs">Authorization: Bearer …</code>. It acts with your role.
        </p>
        <div class="mt-4 flex flex-wrap items-start gap-3">
          <div class="min-w-56 flex-1">
            <label for="token-name" class={labelClass}>Name</label>
            <input
              id="token-name"
              class={`${inputClass} mt-1.5`}
              placeholder="ci-deploy"
              value={name}
              aria-invalid={nameError ? "true" : undefined}
              aria-describedby="token-name-error"
              onInput={(e) => {
                setName((e.target as HTMLInputElement).value);
                setNameError(null);
              }}
            />
            {nameError && (
              <p id="token-name-error" class="mt-1.5 text-sm text-red-600 dark:text-red-400">
                {nameError}
              </p>
            )}
          </div>
          <div>
            <label for="token-days" class={labelClass}>Expires</label>
            <select
              id="token-days"
              class={`${inputClass} mt-1.5 !w-40`}
              value={days}
              onChange={(e) => setDays((e.target as HTMLSelectElement).value)}
            >
              <option value="7">in 7 days</option>
              <option value="30">in 30 days</option>
              <option value="90">in 90 days</option>
              <option value="365">in 1 year</option>
              <option value={NEVER}>never</option>
            </select>
          </div>
          <button type="submit" class={`${btn.primary} mt-7`} disabled={busy}>
            <Icon name="plus" />
            {busy ? "Creating…" : "Create token"}
          </button>
        </div>
        <label class="mt-3 flex items-center gap-2 text-sm text-slate-700 dark:text-slate-300">
          <input
            id="token-can-create"
            type="checkbox"
            checked={canCreate}
            onChange={(e) => setCanCreate((e.target as HTMLInputElement).checked)}
          />
          This token may create further API tokens (leave off unless a script needs it).
        </label>
        {error && (
          <div class="mt-4">
            <Alert>{error}</Alert>
          </div>
        )}
        {created && (
          <div
            class="mt-4 space-y-2 rounded-lg bg-emerald-50 p-3 ring-1 ring-inset ring-emerald-200 dark:bg-emerald-500/10 dark:ring-emerald-500/30"
            role="status"
          >
            <p class="text-sm font-medium text-emerald-800 dark:text-emerald-300">
              Token “{created.name}” created. Copy it now: it is not shown again.
            </p>
            <div class="flex items-center gap-2">
              <code
                class="min-w-0 flex-1 truncate rounded-md bg-white px-2 py-1.5 font-mono text-xs text-slate-900 ring-1 ring-emerald-200 dark:bg-slate-950 dark:text-slate-100 dark:ring-emerald-500/30"
                data-testid="new-token"
              >
                {created.token}
              </code>
              <CopyButton text={created.token} />
            </div>
          </div>
        )}
      </form>

      <div class={`${cardClass} relative overflow-x-auto`}>
        {tokens.length === 0
          ? (
            <EmptyState icon="key" title="No API tokens">
              Tokens you create appear here. Kubeconfig downloads create one each, too.
            </EmptyState>
          )
          : (
            <table class="min-w-full text-sm">
              <thead>
                <tr class="text-left text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
                  <th scope="col" class="py-2.5 pl-4 pr-3 font-medium">Name</th>
                  <th scope="col" class="px-3 py-2.5 font-medium">Created</th>
                  <th scope="col" class="px-3 py-2.5 font-medium">Last used</th>
                  <th scope="col" class="px-3 py-2.5 font-medium">Expires</th>
                  <th scope="col" class="py-2.5 pl-3 pr-4">
                    <span class="sr-only">Revoke</span>
                  </th>
                </tr>
              </thead>
              <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
                {tokens.map((t) => (
                  <tr key={t.id}>
                    <td class="py-2.5 pl-4 pr-3 font-medium text-slate-900 dark:text-white">
                      {t.name}
                    </td>
                    <td class="px-3 py-2.5 text-slate-600 dark:text-slate-400">
                      <TimeAgo at={t.created_at} now={now} />
                    </td>
                    <td class="px-3 py-2.5 text-slate-600 dark:text-slate-400">
                      <TimeAgo at={t.last_used_at} now={now} />
                    </td>
                    <td class="px-3 py-2.5 text-slate-600 dark:text-slate-400">
                      {t.expires_at ? t.expires_at.slice(0, 10) : "never"}
                      {t.can_create_tokens && (
                        <span class="ml-2 text-xs text-amber-700 dark:text-amber-400">
                          creates tokens
                        </span>
                      )}
                    </td>
                    <td class="py-2.5 pl-3 pr-4 text-right">
                      <button
                        type="button"
                        class={`${btn.dangerGhost} ${btn.small}`}
                        onClick={() => setRevoke(t)}
                      >
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </div>
      <ConfirmDialog
        open={revoke !== null}
        onClose={() => setRevoke(null)}
        title={`Revoke token ${revoke?.name ?? ""}?`}
        confirmLabel="Revoke"
        labelId="revoke-token-title"
        onConfirm={async () => {
          await api(`/api/tokens/${revoke!.id}`, { method: "DELETE" });
          setTokens((ts) => ts.filter((t) => t.id !== revoke!.id));
        }}
      >
        <p>Anything using this token (scripts, a downloaded kubeconfig) stops working at once.</p>
      </ConfirmDialog>
    </div>
  );
}
