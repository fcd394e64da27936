// Cluster roles (admins): who has which role on which clusters beyond their global role. A
// binding gives a user or a group viewer, editor or admin on one cluster, or on every cluster
// whose labels include all of a selector's pairs. Read from GET /api/role-bindings on load; add
// (POST) and remove (DELETE) through the same API, whose messages are shown as they come.
import { useEffect, useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { ConfirmDialog } from "../components/dialog.tsx";
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
import type { ClusterRole, RoleBinding } from "../lib/types.ts";
import {
  CLUSTER_ROLES,
  formatSelector,
  parseGroups,
  parseSelector,
  ROLE_LABELS,
  selectorMatches,
  validateUsername,
} from "../lib/users.ts";

export interface ClusterChoice {
  id: string;
  name: string;
  labels?: Record<string, string>;
}

type Target = "cluster" | "selector";

export default function ClusterRoles(
  { clusters, usernames, groups, now: serverNow }: {
    clusters: ClusterChoice[];
    /** Suggestions for the subject field. */
    usernames: string[];
    groups: string[];
    now: number;
  },
) {
  const now = useNow(serverNow);
  const [items, setItems] = useState<RoleBinding[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [kind, setKind] = useState<"user" | "group">("user");
  const [subject, setSubject] = useState("");
  const [role, setRole] = useState<ClusterRole>("viewer");
  const [target, setTarget] = useState<Target>(clusters.length ? "cluster" : "selector");
  const [clusterId, setClusterId] = useState(clusters[0]?.id ?? "");
  const [selector, setSelector] = useState("");
  const [errors, setErrors] = useState<Record<string, string | null>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<RoleBinding | null>(null);

  const load = async () => {
    try {
      setItems((await api<{ items: RoleBinding[] }>("/api/role-bindings")).items);
      setLoadError(null);
    } catch (err) {
      setLoadError((err as Error).message);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const clusterName = (id: string) => clusters.find((c) => c.id === id)?.name ?? id;
  const parsedSelector = target === "selector" && selector.trim() ? parseSelector(selector) : null;
  const matching = parsedSelector && "selector" in parsedSelector
    ? clusters.filter((c) => selectorMatches(parsedSelector.selector, c.labels))
    : null;

  const add = async (ev: Event) => {
    ev.preventDefault();
    const e: Record<string, string | null> = {};
    if (kind === "user") e.subject = validateUsername(subject);
    else {
      const g = parseGroups(subject);
      e.subject = subject.trim() === ""
        ? "Enter a group."
        : "error" in g
        ? g.error
        : g.groups.length !== 1
        ? "Enter one group."
        : null;
    }
    let sel: Record<string, string> | null = null;
    if (target === "cluster") {
      if (!clusterId) e.cluster = "Choose a cluster.";
    } else {
      const p = parseSelector(selector);
      if ("error" in p) e.selector = p.error;
      else sel = p.selector;
    }
    setErrors(e);
    if (Object.values(e).some((x) => x)) return;
    setBusy(true);
    setError(null);
    try {
      const body = {
        subject_kind: kind,
        subject: subject.trim(),
        role,
        ...(target === "cluster" ? { cluster_id: clusterId } : { cluster_selector: sel }),
      };
      const created = await api<RoleBinding>("/api/role-bindings", { method: "POST", json: body });
      setItems((list) => [...(list ?? []), created]);
      setSubject("");
      setSelector("");
      void load();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const note = (id: string, text?: string | null) =>
    text ? <p id={id} class="mt-1.5 text-sm text-red-600 dark:text-red-400">{text}</p> : null;

  return (
    <section class="space-y-4" aria-labelledby="cluster-roles-title">
      <div>
        <h2 id="cluster-roles-title" class="text-base font-semibold text-slate-900 dark:text-white">
          Cluster roles
        </h2>
        <p class="mt-0.5 text-sm text-slate-500 dark:text-slate-400">
          A role on some clusters in addition to the global role: a user or group gets the higher of
          the two there. Users with the global role “None” reach only the clusters given here.
        </p>
      </div>

      <form onSubmit={add} class={`${cardClass} space-y-4 p-4`} noValidate>
        <h3 class="text-sm font-semibold text-slate-900 dark:text-white">Add a cluster role</h3>
        <div class="grid gap-3 sm:grid-cols-[9rem_1fr_9rem]">
          <div>
            <label for="binding-kind" class={labelClass}>Who</label>
            <select
              id="binding-kind"
              class={`${inputClass} mt-1.5`}
              value={kind}
              onChange={(e) => setKind((e.target as HTMLSelectElement).value as "user" | "group")}
            >
              <option value="user">User</option>
              <option value="group">Group</option>
            </select>
          </div>
          <div>
            <label for="binding-subject" class={labelClass}>
              {kind === "user" ? "Username" : "Group"}
            </label>
            <input
              id="binding-subject"
              class={`${inputClass} mt-1.5 font-mono`}
              list={`binding-${kind}s`}
              autoComplete="off"
              autoCapitalize="none"
              spellcheck={false}
              value={subject}
              aria-invalid={errors.subject ? "true" : undefined}
              aria-describedby="binding-subject-note"
              onInput={(e) => {
                setSubject((e.target as HTMLInputElement).value);
                setErrors((x) => ({ ...x, subject: null }));
              }}
            />
            <datalist id="binding-users">
              {usernames.map((u) => <option key={u} value={u} />)}
            </datalist>
            <datalist id="binding-groups">
              {groups.map((g) => <option key={g} value={g} />)}
            </datalist>
            {note("binding-subject-note", errors.subject)}
          </div>
          <div>
            <label for="binding-role" class={labelClass}>Role</label>
            <select
              id="binding-role"
              class={`${inputClass} mt-1.5`}
              value={role}
              onChange={(e) => setRole((e.target as HTMLSelectElement).value as ClusterRole)}
            >
              {CLUSTER_ROLES.map((r) => <option key={r} value={r}>{ROLE_LABELS[r]}</option>)}
            </select>
          </div>
        </div>
        <fieldset>
          <legend class={labelClass}>On</legend>
          <div class="mt-1.5 flex flex-wrap gap-4 text-sm text-slate-700 dark:text-slate-300">
            <label class="flex items-center gap-2">
              <input
                type="radio"
                name="binding-target"
                value="cluster"
                checked={target === "cluster"}
                disabled={clusters.length === 0}
                onChange={() => setTarget("cluster")}
              />
              One cluster
            </label>
            <label class="flex items-center gap-2">
              <input
                type="radio"
                name="binding-target"
                value="selector"
                checked={target === "selector"}
                onChange={() => setTarget("selector")}
              />
              Every cluster with these labels
            </label>
          </div>
        </fieldset>
        {target === "cluster"
          ? (
            <div>
              <label for="binding-cluster" class="sr-only">Cluster</label>
              <select
                id="binding-cluster"
                class={`${inputClass} sm:!w-80`}
                value={clusterId}
                aria-describedby="binding-cluster-note"
                onChange={(e) => setClusterId((e.target as HTMLSelectElement).value)}
              >
                {clusters.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
              </select>
              {note("binding-cluster-note", errors.cluster)}
            </div>
          )
          : (
            <div>
              <label for="binding-selector" class="sr-only">Labels</label>
              <input
                id="binding-selector"
                class={`${inputClass} font-mono sm:!w-80`}
                placeholder="env=prod,team=web"
                spellcheck={false}
                value={selector}
                aria-invalid={errors.selector ? "true" : undefined}
                aria-describedby="binding-selector-note"
                onInput={(e) => {
                  setSelector((e.target as HTMLInputElement).value);
                  setErrors((x) => ({ ...x, selector: null }));
                }}
              />
              {errors.selector ? note("binding-selector-note", errors.selector) : (
                <p
                  id="binding-selector-note"
                  class="mt-1.5 text-sm text-slate-500 dark:text-slate-400"
                >
                  key=value pairs separated by commas; clusters added later with these labels are
                  included.{matching && (
                    <>
                      {" "}Now:{" "}
                      {matching.length === 0
                        ? "no cluster"
                        : matching.map((c) => c.name).join(", ")}.
                    </>
                  )}
                </p>
              )}
            </div>
          )}
        {error && <Alert>{error}</Alert>}
        <div class="flex justify-end">
          <button type="submit" class={btn.primary} disabled={busy}>
            <Icon name="plus" />
            {busy ? "Adding…" : "Add cluster role"}
          </button>
        </div>
      </form>

      <div class={`${cardClass} relative overflow-x-auto`}>
        {loadError
          ? (
            <div class="p-4">
              <Alert title="The cluster roles could not be read">{loadError}</Alert>
            </div>
          )
          : items === null
          ? <p class="p-4 text-sm text-slate-500 dark:text-slate-400">Loading…</p>
          : items.length === 0
          ? (
            <EmptyState icon="shield" title="No cluster roles">
              Everyone has their global role on every cluster, and no more.
            </EmptyState>
          )
          : (
            <table class="min-w-full text-sm" data-testid="role-bindings-table">
              <thead>
                <tr class="text-left text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
                  <th scope="col" class="py-2.5 pl-4 pr-3 font-medium">Who</th>
                  <th scope="col" class="px-3 py-2.5 font-medium">Role</th>
                  <th scope="col" class="px-3 py-2.5 font-medium">On</th>
                  <th scope="col" class="px-3 py-2.5 font-medium">Added</th>
                  <th scope="col" class="py-2.5 pl-3 pr-4">
                    <span class="sr-only">Remove</span>
                  </th>
                </tr>
              </thead>
              <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
                {items.map((b) => (
                  <tr key={b.id} data-binding={b.id}>
                    <td class="py-2.5 pl-4 pr-3">
                      <span class="mr-2 text-xs text-slate-500 dark:text-slate-400">
                        {b.subject_kind === "user" ? "user" : "group"}
                      </span>
                      <span class="font-mono font-medium text-slate-900 dark:text-white">
                        {b.subject}
                      </span>
                    </td>
                    <td class="px-3 py-2.5 text-slate-700 dark:text-slate-300">
                      {ROLE_LABELS[b.role]}
                    </td>
                    <td class="px-3 py-2.5 text-slate-700 dark:text-slate-300">
                      {b.cluster_id ? clusterName(b.cluster_id) : (
                        <span>
                          clusters with{" "}
                          <code class="font-mono text-xs">
                            {formatSelector(b.cluster_selector ?? {})}
                          </code>
                        </span>
                      )}
                    </td>
                    <td class="px-3 py-2.5 text-slate-600 dark:text-slate-400">
                      <TimeAgo at={b.created_at} now={now} />
                    </td>
                    <td class="py-2.5 pl-3 pr-4 text-right">
                      <button
                        type="button"
                        class={`${btn.dangerGhost} ${btn.small}`}
                        aria-label={`Remove the ${b.role} role of ${b.subject}`}
                        onClick={() => setRemoving(b)}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </div>
      <ConfirmDialog
        open={removing !== null}
        onClose={() => setRemoving(null)}
        title={`Remove this cluster role of ${removing?.subject ?? ""}?`}
        confirmLabel="Remove"
        labelId="remove-binding-title"
        onConfirm={async () => {
          const b = removing!;
          await api(`/api/role-bindings/${b.id}`, { method: "DELETE" });
          setItems((list) => (list ?? []).filter((x) => x.id !== b.id));
        }}
      >
        <p>
          From their next request on, {removing?.subject}{" "}
          has only what their global role (and any other cluster role) gives on these clusters.
        </p>
      </ConfirmDialog>
    </section>
  );
}
