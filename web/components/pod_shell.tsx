// The Shell tab's panel on a pod's page: the Terminal island, given the pod's containers (its
// containers, then its ephemeral ones), the one to start with (the
// kubectl.kubernetes.io/default-container annotation when it names one, else the first), the
// pod's phase, the person's role on the cluster (a viewer gets a notice instead of a terminal) and
// whether the cluster lets them exec and attach (a denied button is disabled with the cluster's
// reason as its hover text; web/routes/permissions.ts). Below it, the
// kubectl port-forward command for this pod with the cluster's kubeconfig from the dashboard (a
// web page cannot open a local listener, so port-forward stays kubectl's).
import { Island } from "../islands.tsx";
import Terminal from "../islands/Terminal.tsx";
import { defaultContainer } from "../lib/k8s/remotecommand.ts";
import type { ClusterRole } from "../lib/types.ts";
import type { Access } from "../lib/k8s/access_review.ts";

interface PodLike {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export function PodShell(
  { clusterId, pod, role, exec, attach }: {
    clusterId: string;
    pod: PodLike;
    /** The person's role on this cluster. */
    role: ClusterRole;
    exec: Access;
    attach: Access;
  },
) {
  const spec = pod.spec as
    | {
      containers?: { name: string; ports?: { containerPort?: number }[] }[];
      ephemeralContainers?: { name: string }[];
    }
    | undefined;
  const namespace = pod.metadata.namespace ?? "default";
  const port = spec?.containers?.flatMap((c) => c.ports ?? []).find((p) => p.containerPort)
    ?.containerPort;
  const forward = `kubectl --kubeconfig dashboard.kubeconfig -n ${namespace} port-forward ` +
    `pod/${pod.metadata.name} ${port ? `${port}:${port}` : "<local port>:<pod port>"}`;
  const containers = [...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])].map((
    c,
  ) => c.name);
  return (
    <>
      <Island
        name="Terminal"
        component={Terminal}
        props={{
          clusterId,
          namespace,
          pod: pod.metadata.name,
          containers,
          defaultContainer: defaultContainer(containers, pod.metadata.annotations),
          role,
          exec,
          attach,
          phase: (pod.status as { phase?: string } | undefined)?.phase,
        }}
      />
      {role !== "viewer" && (
        <p class="mt-3 text-sm text-slate-600 dark:text-slate-400">
          Port-forward:{" "}
          <a
            class="underline"
            href={`/api/clusters/${clusterId}/kubeconfig`}
            download="dashboard.kubeconfig"
          >
            download the kubeconfig
          </a>, then run{" "}
          <code class="rounded bg-slate-100 px-1 font-mono text-xs dark:bg-slate-800">
            {forward}
          </code>
        </p>
      )}
    </>
  );
}
