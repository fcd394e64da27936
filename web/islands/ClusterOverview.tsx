// A cluster's overview: live status, connection facts (agent version, heartbeat, RTT), version,
// platform, nodes, namespaces and CRDs; actions to download a kubeconfig, rotate/reinstall an
// agent and delete the cluster (admins).
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { CommandBlock, ConfirmDialog, Modal } from "../components/dialog.tsx";
import { AgentTokenBlock } from "../components/agent_token.tsx";
import {
  Alert,
  btn,
  Card,
  Chips,
  ClusterStatusBadge,
  ConnectionIcon,
  KeyValues,
  linkClass,
  TimeAgo,
} from "../components/ui.tsx";
import { clusters, removeCluster, seedClusters, useClusterEvents, useNow } from "../client/live.ts";
import { api } from "../client/api.ts";
import { clusterStatus, lastSeen } from "../lib/status.ts";
import { formatRtt } from "../lib/format.ts";
import type { Cluster } from "../lib/types.ts";

interface Props {
  cluster: Cluster;
  now: number;
  isAdmin: boolean;
  /**
   * Namespaces and CRD names the server read from the cluster through its client (either kind of
   * cluster); null when it could not (not connected): then an agent's last snapshot is shown.
   */
  namespaces: string[] | null;
  crds: string[] | null;
  podsUrl: string;
}

export default function ClusterOverview(
  { cluster: initial, now: serverNow, isAdmin, namespaces, crds, podsUrl }: Props,
) {
  seedClusters([initial]);
  useClusterEvents();
  const now = useNow(serverNow);
  const live = clusters.value.find((c) => c.id === initial.id);
  const [deleted, setDeleted] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [rotate, setRotate] = useState<
    | null
    | "ask"
    | "busy"
    | { install_command?: string; helm_command?: string; token?: string; rotated?: boolean }
  >(null);
  const [rotateError, setRotateError] = useState<string | null>(null);
  const c = live ?? initial;
  const isAgent = c.connection_type === "agent";
  const status = clusterStatus(c, now);
  const seen = lastSeen(c, now);
  const info = c.cluster_info ?? {};
  const nsList = namespaces ?? info.namespaces ?? [];
  const crdList = crds ?? info.crds ?? [];

  const doDelete = async () => {
    await api(`/api/clusters/${c.id}`, { method: "DELETE" });
    removeCluster(c.id);
    setDeleted(true);
    location.assign("/clusters");
  };

  const doRotate = async () => {
    setRotate("busy");
    setRotateError(null);
    try {
      setRotate(await api(`/api/clusters/${c.id}/agent/rotate`, { method: "POST", json: {} }));
    } catch (err) {
      setRotateError((err as Error).message);
      setRotate("ask");
    }
  };

  return (
    <div class="space-y-6">
      <div class="flex flex-wrap items-start justify-between gap-4">
        <div class="flex items-center gap-3">
          <ConnectionIcon type={c.connection_type} id={`h-${c.id}`} />
          <div>
            <h1 class="flex items-center gap-3 text-xl font-semibold text-slate-900 dark:text-white">
              {c.name}
              <ClusterStatusBadge cluster={c} now={now} />
            </h1>
            <p class="mt-0.5 text-sm text-slate-500 dark:text-slate-400">{status.detail}</p>
          </div>
        </div>
        <div class="flex flex-wrap gap-2">
          <a href={podsUrl} class={btn.primary}>
            <Icon name="cube" />
            Browse resources
          </a>
          <a
            href={`/api/clusters/${c.id}/kubeconfig`}
            class={btn.secondary}
            download={`dashboard-${c.name}.kubeconfig`}
          >
            <Icon name="download" />
            Download kubeconfig
          </a>
          {isAdmin && isAgent && (
            <button
              type="button"
              class={btn.secondary}
              onClick={() => setRotate("ask")}
            >
              <Icon name="refresh" />
              Rotate / reinstall
            </button>
          )}
          {isAdmin && (
            <button
              type="button"
              class={btn.dangerGhost}
              onClick={() => setConfirm(true)}
              data-testid="delete-cluster"
            >
              <Icon name="trash" />
              Delete
            </button>
          )}
        </div>
      </div>

      {deleted && <Alert tone="amber">This cluster was deleted.</Alert>}
      {c.last_error && !status.usable && <Alert title="Last error">{c.last_error}</Alert>}
      {c.last_security_event && (
        <Alert tone="amber" title="Security event">
          {c.last_security_event} (<TimeAgo at={c.last_security_event_at ?? null} now={now} />)
        </Alert>
      )}

      <div class="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
        <Stat
          label="Kubernetes"
          value={info.kubernetes_version ?? c.kubernetes_version ?? "—"}
          mono
        />
        <Stat label="Nodes" value={String(info.node_count ?? c.node_count ?? "—")} />
        <Stat label={seen.label} value={<TimeAgo at={seen.at} now={now} />} />
        {isAgent
          ? <Stat label="Round-trip time" value={formatRtt(c.rtt_ms)} />
          : <Stat label="Platform" value={info.platform ?? c.platform ?? "—"} mono />}
      </div>

      <div class="grid gap-6 lg:grid-cols-2">
        <Card title="Connection">
          <KeyValues
            items={[
              [
                "Type",
                isAgent
                  ? "In-cluster agent (outbound gRPC)"
                  : "Kubeconfig (direct to the API server)",
              ],
              ["Status", <ClusterStatusBadge key="status" cluster={c} now={now} />],
              ...(isAgent
                ? [
                  ["Agent version", c.agent_version ?? "—"],
                  ["Last heartbeat", <TimeAgo key="beat" at={c.last_heartbeat_at} now={now} />],
                  ["Round-trip time", formatRtt(c.rtt_ms)],
                ] as [string, unknown][]
                : [
                  [
                    "API server",
                    c.server ? <span key="server" class="font-mono text-xs">{c.server}</span> : "—",
                  ],
                  [
                    "Context",
                    c.context
                      ? <span key="context" class="font-mono text-xs">{c.context}</span>
                      : "—",
                  ],
                  ["Last checked", <TimeAgo key="checked" at={c.last_checked_at} now={now} />],
                ] as [string, unknown][]),
              ["Platform", info.platform ?? c.platform ?? "—"],
              ["Added", <TimeAgo key="added" at={c.created_at} now={now} />],
            ] as never}
          />
        </Card>
        <div class="space-y-6">
          <Card title={`Namespaces (${nsList.length})`}>
            <div class="px-4 py-3">
              {nsList.length
                ? (
                  <div class="flex flex-wrap gap-1.5">
                    {nsList.slice(0, 60).map((ns) => (
                      <a
                        key={ns}
                        href={`${podsUrl}?ns=${encodeURIComponent(ns)}`}
                        class="rounded-md bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700 hover:bg-indigo-100 hover:text-indigo-700 dark:bg-slate-800 dark:text-slate-300 dark:hover:bg-indigo-500/20 dark:hover:text-indigo-300"
                      >
                        {ns}
                      </a>
                    ))}
                    {nsList.length > 60 && (
                      <span class="text-xs text-slate-500">+{nsList.length - 60} more</span>
                    )}
                  </div>
                )
                : (
                  <p class="text-sm text-slate-500">
                    {status.usable
                      ? "None visible to the dashboard."
                      : "Unknown while the cluster is not reachable."}
                  </p>
                )}
            </div>
          </Card>
          <Card title={`Custom resource definitions (${crdList.length})`}>
            <div class="px-4 py-3">
              <Chips
                items={crdList}
                empty={status.usable ? "none installed" : "unknown"}
                max={40}
              />
            </div>
          </Card>
        </div>
      </div>

      <ConfirmDialog
        open={confirm}
        onClose={() => setConfirm(false)}
        title={`Delete cluster ${c.name}?`}
        confirmLabel="Delete cluster"
        requireText={c.name}
        onConfirm={doDelete}
        labelId="delete-cluster-title"
      >
        <p>
          The dashboard forgets this cluster and its stored credentials. Nothing inside the cluster
          is changed
          {isAgent ? "; uninstall the agent there (helm uninstall) to stop it dialling in" : ""}.
        </p>
      </ConfirmDialog>

      {isAdmin && isAgent && (
        <Modal
          open={rotate !== null}
          onClose={() => setRotate(null)}
          size="lg"
          labelId="rotate-title"
          title="Rotate the agent's credential"
          description="Issues a new credential; the agent must be reinstalled with the new command. The old credential stops working."
        >
          {rotate === "ask" || rotate === "busy"
            ? (
              <div class="space-y-4">
                {rotateError && <Alert>{rotateError}</Alert>}
                <p class="text-sm text-slate-600 dark:text-slate-300">
                  Use this when the agent's credential may have leaked, or to reinstall the agent.
                  Until you run the new command the cluster shows as offline.
                </p>
                <div class="flex justify-end gap-2">
                  <button type="button" class={btn.secondary} onClick={() => setRotate(null)}>
                    Cancel
                  </button>
                  <button
                    type="button"
                    class={btn.primary}
                    onClick={doRotate}
                    disabled={rotate === "busy"}
                  >
                    <Icon name="refresh" />
                    {rotate === "busy" ? "Rotating…" : "Rotate and show command"}
                  </button>
                </div>
              </div>
            )
            : rotate && (
              <div class="space-y-5" data-testid="rotated">
                {rotate.install_command
                  ? (
                    <>
                      <CommandBlock
                        title="Reinstall with one command"
                        command={rotate.install_command}
                        testId="rotate-install-command"
                      />
                      {rotate.token && (
                        <AgentTokenBlock token={rotate.token} testId="rotate-agent-token" />
                      )}
                      {rotate.helm_command && (
                        <CommandBlock
                          title="Or with Helm"
                          command={rotate.helm_command}
                          testId="rotate-helm-command"
                        />
                      )}
                    </>
                  )
                  : (
                    <Alert tone="green" title="Credential rotated">
                      The old credential no longer works and the agent was disconnected. Reinstall
                      the agent in the cluster to connect it again.
                    </Alert>
                  )}
              </div>
            )}
        </Modal>
      )}
      <p class="text-xs text-slate-400 dark:text-slate-500">
        Use the downloaded kubeconfig with kubectl or helm:{" "}
        <code class="font-mono">
          kubectl --kubeconfig dashboard-{c.name}.kubeconfig get pods -A
        </code>. <a class={linkClass} href="/account/tokens">Manage the API tokens it creates</a>.
      </p>
    </div>
  );
}

function Stat(
  { label, value, mono = false }: { label: string; value: ComponentChildren; mono?: boolean },
) {
  return (
    <div class="rounded-xl border border-slate-200 bg-white px-4 py-3 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <p class="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
        {label}
      </p>
      <p
        class={`mt-1 truncate text-lg font-semibold text-slate-900 dark:text-white ${
          mono ? "font-mono text-base" : ""
        }`}
      >
        {value}
      </p>
    </div>
  );
}
