// The workload actions' shared pieces (islands/ScaleWorkload, RestartWorkload, PauseDeployment,
// RollbackDeployment): the header button that follows the person's access, the dialog that asks
// before acting and shows the API's own error, and the live progress that follows (the object
// watched through the proxy, its replica counts and what the rollout waits for, until it settles).
// Closing the dialog after an action reloads the page, so the overview shows the new state.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Icon, type IconName } from "./icons.tsx";
import { Modal } from "./dialog.tsx";
import { Alert, btn } from "./ui.tsx";
import { type Access, controlProps } from "../lib/k8s/access_review.ts";
import { listPath, proxyBase, type ResourceRef } from "../lib/k8s/paths.ts";
import { type Progress, rolloutProgress } from "../lib/k8s/rollout_progress.ts";
import type { WorkloadObject, WorkloadResource } from "../lib/k8s/workloads.ts";
import { useWatchedObject } from "../client/watch_object.ts";

/** The object an action is on (every workload island's props have these). */
export interface WorkloadTarget {
  clusterId: string;
  resource: ResourceRef;
  namespace: string | null;
  name: string;
  kind: WorkloadResource;
}

/** A header button: disabled with the reason as its hover text when `access` says no. */
export function ActionButton(
  { access, onClick, icon, label, testId }: {
    access: Access;
    onClick: () => void;
    icon: IconName;
    label: string;
    testId: string;
  },
) {
  return (
    <button
      type="button"
      class={btn.secondary}
      onClick={() => access.allowed && onClick()}
      data-testid={testId}
      {...controlProps(access)}
    >
      <Icon name={icon} />
      {label}
    </button>
  );
}

const COUNTS: { key: keyof Progress; label: string; not?: WorkloadResource }[] = [
  { key: "desired", label: "Desired" },
  { key: "current", label: "Current" },
  { key: "updated", label: "Updated", not: "replicasets" },
  { key: "ready", label: "Ready" },
  { key: "available", label: "Available" },
];

/** Replica counts and the rollout's state, as a small grid (also the overview's card). */
export function ProgressView(
  { kind, progress, live }: { kind: WorkloadResource; progress: Progress; live?: boolean },
) {
  const counts = COUNTS.filter((c) => c.not !== kind);
  return (
    <div
      data-testid="rollout-progress"
      data-settled={String(progress.settled)}
      data-failed={String(progress.failed)}
      class="space-y-3"
    >
      <p class="flex items-center gap-2 text-sm" aria-live={live ? "polite" : undefined}>
        {progress.failed
          ? <Icon name="alert" class="size-4 text-red-600 dark:text-red-400" />
          : progress.settled
          ? <Icon name="check" class="size-4 text-emerald-600 dark:text-emerald-400" />
          : (
            <Icon
              name="refresh"
              class="size-4 animate-spin text-indigo-600 dark:text-indigo-400"
            />
          )}
        <span data-testid="rollout-message">{progress.message}</span>
      </p>
      <dl class={`grid gap-2 ${counts.length === 5 ? "grid-cols-5" : "grid-cols-4"}`}>
        {counts.map((c) => (
          <div
            key={c.key}
            class="rounded-lg bg-slate-50 px-3 py-2 text-center ring-1 ring-inset ring-slate-200 dark:bg-slate-800/60 dark:ring-slate-700"
          >
            <dt class="text-xs text-slate-500 dark:text-slate-400">{c.label}</dt>
            <dd
              class="text-lg font-semibold tabular-nums"
              data-testid={`count-${c.key}`}
            >
              {progress[c.key] as number}
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/** The object watched through the proxy, its progress shown live. */
export function LiveProgress({ target }: { target: WorkloadTarget }) {
  const url = proxyBase(target.clusterId) + listPath(target.resource, target.namespace ?? "");
  const { obj, error, gone } = useWatchedObject<WorkloadObject>(url, target.name, true);
  return (
    <div class="space-y-3">
      {obj
        ? <ProgressView kind={target.kind} progress={rolloutProgress(target.kind, obj)} live />
        : !error && <p class="text-sm text-slate-500 dark:text-slate-400">Watching…</p>}
      {gone && <Alert tone="amber">The object was deleted.</Alert>}
      {error && <Alert>{error}</Alert>}
    </div>
  );
}

/**
 * Asks before an action (`children` say what it does; `canConfirm` false keeps the confirm button
 * disabled), shows the API's error when it fails, and after it succeeds either shows the live
 * progress (`target`) until closed, or reloads the page at once (no `target`).
 */
export function ActionDialog(
  {
    open,
    onClose,
    title,
    labelId,
    confirmLabel,
    busyLabel,
    icon,
    danger,
    canConfirm = true,
    onConfirm,
    target,
    done,
    children,
  }: {
    open: boolean;
    onClose: () => void;
    title: string;
    labelId: string;
    confirmLabel: string;
    busyLabel: string;
    icon: IconName;
    danger?: boolean;
    canConfirm?: boolean;
    onConfirm: () => Promise<void>;
    /** Watch this object's progress after the action. */
    target?: WorkloadTarget;
    /** What was done, shown above the progress. */
    done?: string;
    children: ComponentChildren;
  },
) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [acted, setActed] = useState(false);
  useEffect(() => {
    if (open) {
      setBusy(false);
      setError(null);
      setActed(false);
    }
  }, [open]);
  const close = () => {
    if (acted) location.reload();
    else onClose();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy || !canConfirm) return;
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      if (!target) {
        location.reload();
        return;
      }
      setActed(true);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} onClose={close} title={title} labelId={labelId}>
      {acted && target
        ? (
          <div class="space-y-4" data-testid="action-progress">
            {done && <Alert tone="green">{done}</Alert>}
            <LiveProgress target={target} />
            <div class="flex justify-end pt-1">
              <button type="button" class={btn.primary} onClick={close}>Close</button>
            </div>
          </div>
        )
        : (
          <form onSubmit={submit} class="space-y-4">
            <div class="space-y-3 text-sm text-slate-600 dark:text-slate-300">{children}</div>
            {error && <Alert>{error}</Alert>}
            <div class="flex justify-end gap-2 pt-1">
              <button type="button" class={btn.secondary} onClick={onClose}>Cancel</button>
              <button
                type="submit"
                class={danger ? btn.danger : btn.primary}
                disabled={busy || !canConfirm}
              >
                <Icon name={icon} />
                {busy ? busyLabel : confirmLabel}
              </button>
            </div>
          </form>
        )}
    </Modal>
  );
}
