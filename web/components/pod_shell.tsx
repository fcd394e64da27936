// The Shell tab's panel on a pod's page: the Terminal island, given the pod's containers (its
// containers, then its ephemeral ones), the one to start with (the
// kubectl.kubernetes.io/default-container annotation when it names one, else the first), the
// pod's phase and the user's role (a viewer gets a notice instead of a terminal).
import { Island } from "../islands.tsx";
import Terminal from "../islands/Terminal.tsx";
import { defaultContainer } from "../lib/k8s/remotecommand.ts";
import type { Role } from "../lib/types.ts";

interface PodLike {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export function PodShell(
  { clusterId, pod, role }: { clusterId: string; pod: PodLike; role: Role },
) {
  const spec = pod.spec as
    | { containers?: { name: string }[]; ephemeralContainers?: { name: string }[] }
    | undefined;
  const containers = [...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])].map((
    c,
  ) => c.name);
  return (
    <Island
      name="Terminal"
      component={Terminal}
      props={{
        clusterId,
        namespace: pod.metadata.namespace ?? "default",
        pod: pod.metadata.name,
        containers,
        defaultContainer: defaultContainer(containers, pod.metadata.annotations),
        role,
        phase: (pod.status as { phase?: string } | undefined)?.phase,
      }}
    />
  );
}
