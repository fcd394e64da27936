// Roll a Deployment back to an earlier revision (`kubectl rollout undo [--to-revision]`), as the
// person through the proxy. The dialog reads the Deployment and its ReplicaSets (those it
// controls, by its selector), lists the revisions newest first with their images and age, the
// previous one chosen; on confirm it reads the Deployment again and sends the JSON patch of
// lib/k8s/workloads.ts rollbackPatch (the revision's template minus pod-template-hash, guarded by
// a test of the resourceVersion; retried on a 409 from a change meanwhile), then shows the
// rollout's progress, live. `access` is the `patch` answer (or why a paused one is not rolled back).
import { useEffect, useState } from "preact/hooks";
import { ActionButton, ActionDialog, type WorkloadTarget } from "../components/workload_action.tsx";
import { Badge } from "../components/ui.tsx";
import { api, ApiError, patchObject } from "../client/api.ts";
import { listPath, objectPath, proxyBase } from "../lib/k8s/paths.ts";
import type { Access } from "../lib/k8s/access_review.ts";
import {
  deploymentRevisions,
  previousRevision,
  type Revision,
  rollbackPatch,
} from "../lib/k8s/rollback.ts";
import { selectorQuery, type WorkloadObject } from "../lib/k8s/workloads.ts";
import { absoluteTime, kubeAge } from "../lib/format.ts";

const REPLICASETS = { group: "apps", version: "v1", resource: "replicasets", namespaced: true };
const CONFLICT_RETRIES = 3;

export default function RollbackDeployment(props: WorkloadTarget & { access: Access }) {
  const [open, setOpen] = useState(false);
  const [loaded, setLoaded] = useState<
    { revisions: Revision[]; sets: WorkloadObject[] } | null
  >(null);
  const [readError, setReadError] = useState<string | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const base = proxyBase(props.clusterId);
  const path = base + objectPath(props.resource, props.namespace, props.name);
  useEffect(() => {
    if (!open) return;
    setLoaded(null);
    setReadError(null);
    setChosen(null);
    const ctl = new AbortController();
    (async () => {
      const deployment = await api<WorkloadObject>(path, { signal: ctl.signal });
      const q = new URLSearchParams({ labelSelector: selectorQuery(deployment.spec?.selector) });
      const list = await api<{ items?: WorkloadObject[] }>(
        `${base}${listPath(REPLICASETS, props.namespace ?? "")}?${q}`,
        { signal: ctl.signal },
      );
      const sets = list.items ?? [];
      const revisions = deploymentRevisions(deployment, sets);
      setLoaded({ revisions, sets });
      setChosen(previousRevision(revisions)?.name ?? null);
    })().catch((err) => !ctl.signal.aborted && setReadError((err as Error).message));
    return () => ctl.abort();
  }, [open]);
  const target = loaded?.revisions.find((r) => r.name === chosen) ?? null;
  const now = Date.now();
  return (
    <>
      <ActionButton
        access={props.access}
        onClick={() => setOpen(true)}
        icon="undo"
        label="Roll back"
        testId="workload-rollback"
      />
      <ActionDialog
        open={open}
        onClose={() => setOpen(false)}
        title={`Roll back Deployment ${props.name}`}
        labelId="rollback-deployment-title"
        confirmLabel={target ? `Roll back to revision ${target.revision}` : "Roll back"}
        busyLabel="Rolling back…"
        icon="undo"
        canConfirm={!!target && !target.current}
        target={props}
        done={target ? `Rolling back to revision ${target.revision}.` : undefined}
        onConfirm={async () => {
          const rs = loaded?.sets.find((s) => s.metadata.name === chosen);
          if (!rs) return;
          for (let attempt = 1;; attempt++) {
            // Read the Deployment now: the patch replaces its template from what it is now.
            const deployment = await api<WorkloadObject>(path);
            try {
              await patchObject(path, rollbackPatch(deployment, rs));
              return;
            } catch (err) {
              if (!(err instanceof ApiError && err.status === 409) || attempt >= CONFLICT_RETRIES) {
                throw err;
              }
            }
          }
        }}
      >
        <p>
          Restores the pod template of an earlier revision (as{" "}
          <code class="font-mono text-xs">kubectl rollout undo</code>); the Deployment then rolls
          out to it as a new revision.
        </p>
        {readError && <p class="text-red-600 dark:text-red-400">{readError}</p>}
        {!loaded && !readError && <p class="text-slate-500">Reading the revisions…</p>}
        {loaded && loaded.revisions.length === 0 && (
          <p class="text-slate-500" data-testid="rollback-none">
            This Deployment has no revisions to go back to.
          </p>
        )}
        {loaded && loaded.revisions.length > 0 && (
          <fieldset>
            <legend class="sr-only">Revision</legend>
            <ul
              class="divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200 dark:divide-slate-800 dark:ring-slate-700"
              data-testid="rollback-revisions"
            >
              {loaded.revisions.map((r) => (
                <li key={r.name} data-revision={r.revision}>
                  <label
                    class={`flex items-start gap-3 px-3 py-2.5 ${
                      r.current ? "cursor-not-allowed opacity-70" : "cursor-pointer"
                    }`}
                  >
                    <input
                      type="radio"
                      name="rollback-revision"
                      class="mt-1"
                      value={r.name}
                      checked={chosen === r.name}
                      disabled={r.current}
                      aria-label={`Revision ${r.revision}`}
                      onChange={() => setChosen(r.name)}
                    />
                    <span class="min-w-0 flex-1">
                      <span class="flex flex-wrap items-center gap-2">
                        <span class="font-medium text-slate-900 dark:text-slate-100">
                          Revision {r.revision}
                        </span>
                        {r.current && <Badge tone="green">current</Badge>}
                        <span class="text-xs text-slate-500 dark:text-slate-400">
                          <span title={r.created ? absoluteTime(r.created) : undefined}>
                            {r.created ? `${kubeAge(r.created, now)} ago` : ""}
                          </span>
                          {` · ${r.replicas} pods · ${r.name}`}
                        </span>
                      </span>
                      <span class="mt-0.5 block break-all font-mono text-xs" data-testid="images">
                        {r.images.join(", ")}
                      </span>
                      {r.changeCause && (
                        <span class="block text-xs text-slate-500 dark:text-slate-400">
                          {r.changeCause}
                        </span>
                      )}
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
        )}
      </ActionDialog>
    </>
  );
}
