// The audit trail page (/admin/audit, admins only): a filter form (a plain GET form, no script),
// the events newest first, "Older" / "Newest" pagination and the JSON lines export of the same
// filters. Server-rendered only; times are UTC.
import type { ComponentChildren } from "preact";
import { PageHeader, Shell } from "../components/layout.tsx";
import { Icon } from "../components/icons.tsx";
import { Badge, btn, cardClass, EmptyState, inputClass, labelClass } from "../components/ui.tsx";
import { absoluteTime } from "../lib/format.ts";
import type { Tone } from "../lib/status.ts";
import type { UiUser } from "../lib/types.ts";

/** One recorded event (GET /api/audit's items, JSON-normalised). */
export interface AuditRow {
  id: number;
  at: string;
  user_id: string | null;
  username: string | null;
  source: string | null;
  cluster_id: string | null;
  cluster_name: string | null;
  verb: string;
  path: string;
  status: number;
  outcome: string | null;
}

/** The filters as the page's URL gives them (empty: not set). */
export interface AuditFilters {
  user: string;
  cluster: string;
  verb: string;
  status: string;
  since: string;
  until: string;
}

export const AUDIT_FILTER_NAMES = ["user", "cluster", "verb", "status", "since", "until"] as const;

/** The verbs the dashboard records, for the verb picker. */
export const AUDIT_VERBS = [
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
  "exec",
  "attach",
  "portforward",
  "login",
  "logout",
  "download",
  "upgrade",
];

/** The query string of the set filters (plus extra parameters), "" when none. */
export function auditQuery(filters: AuditFilters, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const name of AUDIT_FILTER_NAMES) if (filters[name]) q.set(name, filters[name]);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** A filter time as a datetime-local field shows it (UTC, minutes), or "" when unreadable. */
export function localTimeValue(raw: string): string {
  if (!raw) return "";
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(raw)) return raw;
  const zoned = /T/.test(raw) && !/(Z|[+-]\d{2}:\d{2})$/.test(raw) ? `${raw}Z` : raw;
  const ms = Date.parse(zoned);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 16) : "";
}

function statusTone(status: number): Tone {
  if (status >= 500) return "red";
  if (status >= 400) return "amber";
  if (status >= 200 && status < 300) return "green";
  return "blue";
}

function Field(
  { label, name, children }: { label: string; name: string; children: ComponentChildren },
) {
  return (
    <div>
      <label for={`audit-${name}`} class={labelClass}>{label}</label>
      <div class="mt-1">{children}</div>
    </div>
  );
}

const th = "px-3 py-2.5 font-medium";
const td = "px-3 py-2 align-top text-slate-600 dark:text-slate-400";

export function AuditPage(
  { user, now, rows, nextBefore, filters, clusters, paged }: {
    user: UiUser;
    now: number;
    rows: AuditRow[];
    nextBefore: number | null;
    filters: AuditFilters;
    clusters: { id: string; name: string }[];
    /** This is an older page (a "before" is set). */
    paged: boolean;
  },
) {
  const known = new Set(clusters.map((c) => c.id));
  return (
    <Shell
      user={user}
      crumbs={[{ label: "Admin" }, { label: "Audit trail" }]}
      active="audit"
      now={now}
    >
      <PageHeader
        title="Audit trail"
        description="Every write, exec, attach and port-forward through the dashboard, every kubeconfig download and every sign-in attempt. Request bodies are never recorded. Times are UTC."
        actions={
          <a
            href={`/api/audit/export${auditQuery(filters)}`}
            class={btn.secondary}
            download
            data-testid="audit-export"
          >
            <Icon name="download" />
            Export JSON lines
          </a>
        }
      />
      <form
        method="get"
        action="/admin/audit"
        class={`${cardClass} mb-6 grid gap-4 p-4 sm:grid-cols-2 lg:grid-cols-4 xl:grid-cols-7`}
        aria-label="Filter the audit trail"
      >
        <Field label="User" name="user">
          <input
            id="audit-user"
            name="user"
            type="text"
            value={filters.user}
            placeholder="any"
            maxLength={64}
            class={inputClass}
          />
        </Field>
        <Field label="Cluster" name="cluster">
          <select id="audit-cluster" name="cluster" class={inputClass}>
            <option value="">any</option>
            {clusters.map((c) => (
              <option key={c.id} value={c.id} selected={filters.cluster === c.id}>{c.name}</option>
            ))}
            {filters.cluster && !known.has(filters.cluster) && (
              <option value={filters.cluster} selected>{filters.cluster} (deleted)</option>
            )}
          </select>
        </Field>
        <Field label="Verb" name="verb">
          <select id="audit-verb" name="verb" class={inputClass}>
            <option value="">any</option>
            {AUDIT_VERBS.map((v) => (
              <option key={v} value={v} selected={filters.verb === v}>{v}</option>
            ))}
            {filters.verb && !AUDIT_VERBS.includes(filters.verb) && (
              <option value={filters.verb} selected>{filters.verb}</option>
            )}
          </select>
        </Field>
        <Field label="Status" name="status">
          <input
            id="audit-status"
            name="status"
            type="text"
            value={filters.status}
            placeholder="4xx or 403"
            maxLength={3}
            class={inputClass}
          />
        </Field>
        <Field label="Since (UTC)" name="since">
          <input
            id="audit-since"
            name="since"
            type="datetime-local"
            value={localTimeValue(filters.since)}
            class={inputClass}
          />
        </Field>
        <Field label="Until (UTC)" name="until">
          <input
            id="audit-until"
            name="until"
            type="datetime-local"
            value={localTimeValue(filters.until)}
            class={inputClass}
          />
        </Field>
        <div class="flex items-end gap-2">
          <button type="submit" class={btn.primary}>
            <Icon name="search" />
            Filter
          </button>
          <a href="/admin/audit" class={btn.ghost}>Clear</a>
        </div>
      </form>

      <div class={`${cardClass} overflow-x-auto`}>
        {rows.length === 0
          ? (
            <EmptyState icon="shield" title="No events">
              {paged ? "There is nothing older." : "Nothing recorded matches these filters."}
            </EmptyState>
          )
          : (
            <table class="min-w-full text-sm" data-testid="audit-table">
              <thead>
                <tr class="text-left text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
                  <th scope="col" class="py-2.5 pl-4 pr-3 font-medium">Time</th>
                  <th scope="col" class={th}>User</th>
                  <th scope="col" class={th}>Source</th>
                  <th scope="col" class={th}>Cluster</th>
                  <th scope="col" class={th}>Verb</th>
                  <th scope="col" class={th}>Path</th>
                  <th scope="col" class={th}>Status</th>
                  <th scope="col" class="py-2.5 pl-3 pr-4 font-medium">Outcome</th>
                </tr>
              </thead>
              <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
                {rows.map((r) => (
                  <tr key={r.id} data-audit-id={r.id}>
                    <td class="whitespace-nowrap py-2 pl-4 pr-3 align-top text-slate-600 dark:text-slate-400">
                      <time dateTime={r.at}>{absoluteTime(r.at)}</time>
                    </td>
                    <td class={`${td} font-medium text-slate-900 dark:text-white`}>
                      {r.username ?? <span class="text-slate-400">—</span>}
                    </td>
                    <td class={`${td} font-mono text-xs`}>{r.source ?? "—"}</td>
                    <td class={td} title={r.cluster_id ?? undefined}>
                      {r.cluster_name ?? r.cluster_id ?? "—"}
                    </td>
                    <td class={`${td} font-mono text-xs`}>{r.verb}</td>
                    <td class={`${td} max-w-md break-all font-mono text-xs`}>{r.path}</td>
                    <td class={td}>
                      <Badge tone={statusTone(r.status)} dot={false}>{r.status}</Badge>
                    </td>
                    <td class="py-2 pl-3 pr-4 align-top text-slate-600 dark:text-slate-400">
                      {r.outcome ?? ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </div>
      <nav aria-label="Pages" class="mt-4 flex items-center justify-end gap-2">
        {paged && <a href={`/admin/audit${auditQuery(filters)}`} class={btn.secondary}>Newest</a>}
        {nextBefore !== null && (
          <a
            href={`/admin/audit${auditQuery(filters, { before: String(nextBefore) })}`}
            class={btn.secondary}
            rel="next"
          >
            Older
            <Icon name="chevronRight" />
          </a>
        )}
      </nav>
    </Shell>
  );
}
