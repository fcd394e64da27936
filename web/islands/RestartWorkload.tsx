// Rollout restart of a Deployment, StatefulSet or DaemonSet (`kubectl rollout restart`): on
// confirm, a strategic merge patch sets the pod template's kubectl.kubernetes.io/restartedAt to
// now, as the person through the proxy, and the controller replaces every pod; then the rollout's
// progress, live. `access` is the `patch` answer (or why a paused Deployment is not restarted).
import { useState } from "preact/hooks";
import { ActionButton, ActionDialog, type WorkloadTarget } from "../components/workload_action.tsx";
import { patchObject } from "../client/api.ts";
import { objectPath, proxyBase } from "../lib/k8s/paths.ts";
import type { Access } from "../lib/k8s/access_review.ts";
import { restartPatch } from "../lib/k8s/workloads.ts";

export default function RestartWorkload(props: WorkloadTarget & { access: Access }) {
  const [open, setOpen] = useState(false);
  const path = proxyBase(props.clusterId) + objectPath(props.resource, props.namespace, props.name);
  return (
    <>
      <ActionButton
        access={props.access}
        onClick={() => setOpen(true)}
        icon="refresh"
        label="Restart"
        testId="workload-restart"
      />
      <ActionDialog
        open={open}
        onClose={() => setOpen(false)}
        title={`Restart ${props.resource.kind} ${props.name}?`}
        labelId="restart-workload-title"
        confirmLabel="Restart"
        busyLabel="Restarting…"
        icon="refresh"
        target={props}
        done="Restart requested: the pods are being replaced."
        onConfirm={async () => {
          await patchObject(path, restartPatch(new Date()));
        }}
      >
        <p>
          Replaces every pod of{" "}
          <span class="font-mono font-semibold">
            {props.namespace ? `${props.namespace}/` : ""}
            {props.name}
          </span>{" "}
          by the {props.resource.kind}'s update strategy (as{" "}
          <code class="font-mono text-xs">kubectl rollout restart</code>: the pod template gets a
          {" "}
          <code class="font-mono text-xs">kubectl.kubernetes.io/restartedAt</code> annotation).
        </p>
      </ActionDialog>
    </>
  );
}
