// Scale a Deployment, StatefulSet or ReplicaSet through its scale subresource, as the person
// (the dashboard's proxy): the dialog reads the Scale (current replicas), takes the desired count,
// and on confirm PATCHes `{"spec":{"replicas":n}}` (or, where the cluster allows only update on
// <resource>/scale, PUTs the Scale it read); then the rollout's progress, live. `access` is the
// `scale` answer of web/routes/permissions.ts.
import { useEffect, useState } from "preact/hooks";
import { ActionButton, ActionDialog, type WorkloadTarget } from "../components/workload_action.tsx";
import { Alert, inputClass, labelClass } from "../components/ui.tsx";
import { api, patchObject } from "../client/api.ts";
import { objectPath, proxyBase } from "../lib/k8s/paths.ts";
import type { Access } from "../lib/k8s/access_review.ts";
import { parseReplicas, scalePatch } from "../lib/k8s/workloads.ts";

interface Scale {
  metadata?: { resourceVersion?: string };
  spec?: { replicas?: number };
  status?: { replicas?: number };
}

export default function ScaleWorkload(
  props: WorkloadTarget & {
    access: Access;
    replicas: number;
    /** Its controlling owner ("Deployment web"), which may set the replicas back. */
    controller?: string | null;
  },
) {
  const { access } = props;
  const [open, setOpen] = useState(false);
  const [scale, setScale] = useState<Scale | null>(null);
  const [readError, setReadError] = useState<string | null>(null);
  const [text, setText] = useState(String(props.replicas));
  const path = proxyBase(props.clusterId) +
    objectPath(props.resource, props.namespace, props.name) + "/scale";
  useEffect(() => {
    if (!open) return;
    setScale(null);
    setReadError(null);
    const ctl = new AbortController();
    api<Scale>(path, { signal: ctl.signal }).then(
      (s) => {
        setScale(s);
        setText(String(s.spec?.replicas ?? 0));
      },
      (err) => !ctl.signal.aborted && setReadError((err as Error).message),
    );
    return () => ctl.abort();
  }, [open]);
  const current = scale?.spec?.replicas ?? props.replicas;
  const parsed = parseReplicas(text);
  const changed = parsed.ok && parsed.value !== current;
  return (
    <>
      <ActionButton
        access={access}
        onClick={() => setOpen(true)}
        icon="scale"
        label="Scale"
        testId="workload-scale"
      />
      <ActionDialog
        open={open}
        onClose={() => setOpen(false)}
        title={`Scale ${props.resource.kind} ${props.name}`}
        labelId="scale-workload-title"
        confirmLabel="Scale"
        busyLabel="Scaling…"
        icon="scale"
        canConfirm={changed && !!scale}
        target={props}
        done={parsed.ok ? `Scaled to ${parsed.value} replicas.` : undefined}
        onConfirm={async () => {
          if (!parsed.ok || !scale) return;
          if (access.verb === "update") {
            // The cluster allows update, not patch: PUT the Scale as read (its resourceVersion
            // makes a change meanwhile a 409).
            await api(path, {
              method: "PUT",
              json: { ...scale, spec: { ...scale.spec, replicas: parsed.value } },
            });
          } else {
            await patchObject(path, scalePatch(parsed.value));
          }
        }}
      >
        <p>
          Sets the number of pods of{" "}
          <span class="font-mono font-semibold">
            {props.namespace ? `${props.namespace}/` : ""}
            {props.name}
          </span>. The controller adds or removes pods to match.
        </p>
        {props.controller && (
          <Alert tone="amber">
            {props.controller} manages this {props.resource.kind}{" "}
            and may set its replicas back: scale the {props.controller.split(" ")[0]} instead.
          </Alert>
        )}
        <div class="grid grid-cols-2 gap-4">
          <div>
            <p class={labelClass}>Current</p>
            <p class="mt-1.5 py-1.5 text-lg font-semibold tabular-nums" data-testid="scale-current">
              {scale ? current : "…"}
              {scale?.status?.replicas !== undefined && scale.status.replicas !== current && (
                <span class="ml-2 text-xs font-normal text-slate-500 dark:text-slate-400">
                  ({scale.status.replicas} running now)
                </span>
              )}
            </p>
          </div>
          <div>
            <label class={labelClass} for="scale-desired">Desired</label>
            <input
              id="scale-desired"
              data-testid="scale-desired"
              type="number"
              min={0}
              step={1}
              inputMode="numeric"
              class={`${inputClass} mt-1.5 tabular-nums`}
              value={text}
              aria-invalid={parsed.ok ? undefined : "true"}
              aria-describedby="scale-desired-hint"
              onInput={(e) => setText((e.target as HTMLInputElement).value)}
            />
          </div>
        </div>
        <p id="scale-desired-hint" class="text-xs text-slate-500 dark:text-slate-400">
          {readError
            ? <span class="text-red-600 dark:text-red-400">{readError}</span>
            : !parsed.ok
            ? <span class="text-red-600 dark:text-red-400">{parsed.error}</span>
            : parsed.value === 0
            ? "0 stops every pod; the object stays."
            : changed
            ? `${current} → ${parsed.value} replicas`
            : "Enter a different number to scale."}
        </p>
      </ActionDialog>
    </>
  );
}
