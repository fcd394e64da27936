// A workload's action islands in its page header (Scale, Restart, Pause/Resume, Roll back), each
// where the kind offers it, its access the person's permission and then the object's state.
import { Island } from "../islands.tsx";
import ScaleWorkload from "../islands/ScaleWorkload.tsx";
import RestartWorkload from "../islands/RestartWorkload.tsx";
import PauseDeployment from "../islands/PauseDeployment.tsx";
import RollbackDeployment from "../islands/RollbackDeployment.tsx";
import type { WorkloadTarget } from "../components/workload_action.tsx";
import type { Access, Action } from "../lib/k8s/access_review.ts";
import {
  blockedReason,
  type WorkloadAction,
  workloadActions,
  type WorkloadObject,
} from "../lib/k8s/workloads.ts";
import type { KubeObject } from "./object.tsx";

/** The object's controlling owner ("Deployment web"), if any. */
function controllerOf(obj: KubeObject): string | null {
  const o = obj.metadata.ownerReferences?.find((r) => r.controller);
  return o ? `${o.kind} ${o.name}` : null;
}

/** A workload's action islands (Scale, Restart, Pause/Resume, Roll back) where they apply. */
export function WorkloadActions(
  { target, obj, access }: {
    target: WorkloadTarget;
    obj: KubeObject;
    access: (action: Action) => Access;
  },
) {
  const offered = workloadActions(target.resource);
  const w = obj as unknown as WorkloadObject;
  /** The permission first; then whether the object's state allows it (a paused Deployment). */
  const accessOf = (action: WorkloadAction): Access => {
    const a = access(action === "scale" ? "scale" : "patch");
    const blocked = a.allowed ? blockedReason(target.kind, action, w) : null;
    return blocked ? { allowed: false, reason: blocked } : a;
  };
  return (
    <>
      {offered.includes("scale") && (
        <Island
          name="ScaleWorkload"
          component={ScaleWorkload}
          props={{
            ...target,
            access: accessOf("scale"),
            replicas: w.spec?.replicas ?? 1,
            controller: controllerOf(obj),
          }}
        />
      )}
      {offered.includes("restart") && (
        <Island
          name="RestartWorkload"
          component={RestartWorkload}
          props={{ ...target, access: accessOf("restart") }}
        />
      )}
      {offered.includes("pause") && (
        <Island
          name="PauseDeployment"
          component={PauseDeployment}
          props={{ ...target, access: accessOf("pause"), paused: !!w.spec?.paused }}
        />
      )}
      {offered.includes("rollback") && (
        <Island
          name="RollbackDeployment"
          component={RollbackDeployment}
          props={{ ...target, access: accessOf("rollback") }}
        />
      )}
    </>
  );
}
