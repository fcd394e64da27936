// Pause or resume a Deployment's rollout (`kubectl rollout pause|resume`): on confirm, a merge
// patch of spec.paused as the person through the proxy, then the page reloads. `access` is the
// `patch` answer of web/routes/permissions.ts.
import { useState } from "preact/hooks";
import { ActionButton, ActionDialog, type WorkloadTarget } from "../components/workload_action.tsx";
import { patchObject } from "../client/api.ts";
import { objectPath, proxyBase } from "../lib/k8s/paths.ts";
import type { Access } from "../lib/k8s/access_review.ts";
import { pausePatch } from "../lib/k8s/workloads.ts";

export default function PauseDeployment(
  props: WorkloadTarget & { access: Access; paused: boolean },
) {
  const [open, setOpen] = useState(false);
  const path = proxyBase(props.clusterId) + objectPath(props.resource, props.namespace, props.name);
  const verb = props.paused ? "Resume" : "Pause";
  return (
    <>
      <ActionButton
        access={props.access}
        onClick={() => setOpen(true)}
        icon={props.paused ? "play" : "pause"}
        label={verb}
        testId={props.paused ? "workload-resume" : "workload-pause"}
      />
      <ActionDialog
        open={open}
        onClose={() => setOpen(false)}
        title={`${verb} the rollout of ${props.name}?`}
        labelId="pause-deployment-title"
        confirmLabel={verb}
        busyLabel={props.paused ? "Resuming…" : "Pausing…"}
        icon={props.paused ? "play" : "pause"}
        onConfirm={async () => {
          await patchObject(path, pausePatch(!props.paused));
        }}
      >
        {props.paused
          ? (
            <p>
              The Deployment rolls out its pod template again: changes made while it was paused take
              effect now.
            </p>
          )
          : (
            <p>
              Changes to the pod template are held until you resume; scaling still works. A paused
              Deployment cannot be restarted or rolled back.
            </p>
          )}
      </ActionDialog>
    </>
  );
}
