// The answers of the Create / apply page (islands/ApplyYaml.tsx), one card per document: its
// state, the error or the conflicting fields and their managers, the diff with unchanged runs
// folded; and the dialog that confirms a forced apply.
import { useEffect, useState } from "preact/hooks";
import { Icon } from "./icons.tsx";
import { Modal } from "./dialog.tsx";
import { Alert, Badge, btn, cardClass, linkClass } from "./ui.tsx";
import {
  type ApplyOutcome,
  conflictManagers,
  diffSummary,
  FIELD_MANAGER,
  type FieldConflict,
  type Placed,
  type PreviewOutcome,
} from "../lib/k8s/apply.ts";
import { diffRows, type LineDiff } from "../lib/line_diff.ts";

/** One document's answer, as the list shows it. */
export interface DocResult {
  index: number;
  line: number;
  /** "ConfigMap apply-e2e/settings", or the kind/name as typed when not placed. */
  label: string;
  state: PreviewOutcome | ApplyOutcome | "error" | "conflict" | "pending";
  title?: string;
  message?: string;
  conflicts?: FieldConflict[];
  diff?: LineDiff;
  /** The diff a forced apply would make (a preview's conflict). */
  forcedDiff?: LineDiff;
  url?: string;
  placed?: Placed;
}

const STATE_LABEL: Record<DocResult["state"], string> = {
  new: "new object",
  changed: "will change",
  unchanged: "no change",
  created: "created",
  configured: "configured",
  error: "failed",
  conflict: "conflict",
  pending: "working…",
};
const STATE_TONE = {
  new: "blue",
  changed: "amber",
  unchanged: "gray",
  created: "green",
  configured: "green",
  error: "red",
  conflict: "red",
  pending: "gray",
} as const;

export function ResultCard(
  { r, busy, onForce }: { r: DocResult; busy: boolean; onForce: () => void },
) {
  return (
    <li
      class={`${cardClass} space-y-3 p-4`}
      data-testid="apply-result"
      data-index={String(r.index)}
      data-state={r.state}
    >
      <div class="flex flex-wrap items-center justify-between gap-2">
        <p class="min-w-0 text-sm">
          <span class="mr-2 text-xs text-slate-500 dark:text-slate-400">
            #{r.index} · line {r.line}
          </span>
          {r.url
            ? (
              <a href={r.url} class={`${linkClass} font-mono`} data-testid="apply-object-link">
                {r.label}
              </a>
            )
            : <span class="font-mono font-medium">{r.label || "document"}</span>}
        </p>
        <div class="flex items-center gap-2">
          {r.diff && (
            <span class="font-mono text-xs text-slate-500 dark:text-slate-400">
              {diffSummary(r.diff)}
            </span>
          )}
          <Badge tone={STATE_TONE[r.state]}>{STATE_LABEL[r.state]}</Badge>
        </div>
      </div>
      {r.state === "error" && (
        <Alert title={r.title}>
          <span data-testid="apply-error">{r.message}</span>
        </Alert>
      )}
      {r.state === "conflict" && (
        <div class="space-y-2">
          <Alert title="Conflict: other field managers own these fields">
            <div data-testid="apply-conflict">
              <ul class="mt-1 list-disc pl-5">
                {(r.conflicts ?? []).map((c, i) => (
                  <li key={i}>
                    <span class="font-mono">{c.field ?? "(field not named)"}</span>
                    {c.manager
                      ? (
                        <>
                          {" "}owned by <span class="font-mono font-semibold">{c.manager}</span>
                        </>
                      )
                      : ` — ${c.message}`}
                  </li>
                ))}
              </ul>
              <p class="mt-2">
                Change your YAML to leave these fields out, or force the apply to take them over
                (their managers may set them back).
              </p>
            </div>
          </Alert>
          <div class="flex justify-end">
            <button
              type="button"
              class={btn.danger}
              data-testid="apply-force"
              disabled={busy}
              onClick={onForce}
            >
              <Icon name="bolt" />
              Force apply
            </button>
          </div>
          {r.forcedDiff && (
            <>
              <p class="text-xs text-slate-500 dark:text-slate-400">If forced:</p>
              <DiffView diff={r.forcedDiff} />
            </>
          )}
        </div>
      )}
      {r.diff && r.state !== "error" && r.state !== "conflict" && <DiffView diff={r.diff} />}
    </li>
  );
}

const ROW_CLASS = {
  equal: "text-slate-300",
  remove: "bg-red-500/15 text-red-300",
  add: "bg-emerald-500/15 text-emerald-300",
};
const ROW_SIGN = { equal: " ", remove: "-", add: "+" };

/** A diff's changes with 3 lines of context, unchanged runs folded. */
function DiffView({ diff }: { diff: LineDiff }) {
  const rows = diffRows(diff.lines);
  if (rows.length === 0) {
    return (
      <p class="text-sm text-slate-500 dark:text-slate-400" data-testid="apply-diff-empty">
        No difference to the live object.
      </p>
    );
  }
  return (
    <div class="space-y-1">
      {!diff.aligned && (
        <p class="text-xs text-amber-700 dark:text-amber-300">
          Too large to align line by line: the changed part is shown removed, then added.
        </p>
      )}
      <pre
        class="max-h-[60vh] overflow-auto rounded-lg bg-slate-950 py-2 font-mono text-xs leading-5 ring-1 ring-slate-800"
        tabIndex={0}
        aria-label="Diff"
        data-testid="apply-diff"
      ><code>{rows.map((row, i) =>
        row.op === "skip"
          ? (
            <div key={i} class="px-4 text-slate-500 italic">
              ⋯ {row.count} unchanged line{row.count === 1 ? "" : "s"}
            </div>
          )
          : (
            <div key={i} class={`px-4 ${ROW_CLASS[row.op]}`} data-op={row.op}>
              {ROW_SIGN[row.op]} {row.text}
            </div>
          )
      )}</code></pre>
    </div>
  );
}

export function ForceDialog(
  { target, onClose, onConfirm }: {
    target: DocResult | null;
    onClose: () => void;
    onConfirm: (r: DocResult) => Promise<void>;
  },
) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setBusy(false);
    setError(null);
  }, [target]);
  const managers = conflictManagers(target?.conflicts ?? []);
  return (
    <Modal
      open={target !== null}
      onClose={onClose}
      title={`Force apply ${target?.label ?? ""}?`}
      labelId="apply-force-title"
    >
      <form
        class="space-y-4"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!target || busy) return;
          setBusy(true);
          setError(null);
          try {
            await onConfirm(target);
          } catch (err) {
            setError((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <div class="space-y-2 text-sm text-slate-600 dark:text-slate-300">
          <p>
            Applies this object with{" "}
            <span class="font-mono">force=true</span>: the dashboard's field manager{" "}
            <span class="font-mono">{FIELD_MANAGER}</span> takes over{" "}
            {(target?.conflicts ?? []).length === 1 ? "the field" : "the fields"}{" "}
            <span class="font-mono">
              {(target?.conflicts ?? []).map((c) => c.field ?? "?").join(", ")}
            </span>
            {managers.length ? <>{" "}from {managers.join(", ")}</> : null}, with your values.
          </p>
          <p>
            A controller or tool that manages {managers.length === 1 ? "them" : "those fields"}{" "}
            may set them back on its next update.
          </p>
        </div>
        {error && <Alert>{error}</Alert>}
        <div class="flex justify-end gap-2 pt-1">
          <button type="button" class={btn.secondary} onClick={onClose}>Cancel</button>
          <button type="submit" class={btn.danger} disabled={busy}>
            <Icon name="bolt" />
            {busy ? "Applying…" : "Force apply"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
