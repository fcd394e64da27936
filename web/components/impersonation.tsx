// The "Impersonate users" setting's explanation and its warning, shared by the cluster settings
// dialog (islands/ClusterSettings.tsx) and the Add Cluster dialog's kubeconfig tab.
import { Alert } from "./ui.tsx";

/** The explanation under the "Impersonate users" toggle (here and in the Add Cluster dialog). */
export function ImpersonationHelp({ id }: { id: string }) {
  return (
    <p id={id} class="mt-1 text-xs text-slate-500 dark:text-slate-400">
      Every request the dashboard makes for a person then carries{" "}
      <code class="font-mono">Impersonate-User: dashboard:&lt;username&gt;</code> and{" "}
      <code class="font-mono">Impersonate-Group: dashboard:role:&lt;role&gt;</code> (plus{" "}
      <code class="font-mono">dashboard:&lt;group&gt;</code>{" "}
      per dashboard group), so the cluster's own RBAC decides what each person may do and its audit
      log names them. The cluster's credential must be allowed to impersonate: an agent installed
      with <code class="font-mono">allowImpersonation=true</code>{" "}
      (the admin preset's default), or a kubeconfig whose user has the{" "}
      <code class="font-mono">impersonate</code> verb on users and groups.
    </p>
  );
}

/** The warning shown while impersonation is being turned on. */
export function ImpersonationWarning() {
  return (
    <Alert tone="amber" title="People need RBAC bindings on the cluster">
      Without bindings for the dashboard's users and groups (such as{" "}
      <code class="font-mono">dashboard:role:viewer</code>), people can do nothing on this cluster.
      See <code class="font-mono">docs/agent.md#impersonation</code>.
    </Alert>
  );
}
