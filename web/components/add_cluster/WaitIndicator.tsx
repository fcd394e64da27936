// Add Cluster → "Deploy Agent": the live state of the wait for the agent (waiting, registered,
// connected with a link to the cluster, expired, revoked).
import { Icon } from "../icons.tsx";
import { btn } from "../ui.tsx";

export function WaitIndicator(
  { state, clusterId, name }: { state: string; clusterId: string | null; name: string },
) {
  if (state === "connected") {
    return (
      <div
        class="flex items-center justify-between gap-3 rounded-lg bg-emerald-50 p-3 ring-1 ring-inset ring-emerald-200 dark:bg-emerald-500/10 dark:ring-emerald-500/30"
        role="status"
        data-testid="agent-wait"
        data-state="connected"
      >
        <p class="flex items-center gap-2 text-sm font-medium text-emerald-800 dark:text-emerald-300">
          <Icon name="check" />
          The agent in {name} is connected.
        </p>
        {clusterId && (
          <a href={`/clusters/${clusterId}`} class={btn.primary}>
            Open cluster
            <Icon name="chevronRight" />
          </a>
        )}
      </div>
    );
  }
  const text = state === "connecting"
    ? "The agent registered; waiting for its connection…"
    : state === "expired"
    ? "The token expired before an agent used it. Start over for a new command."
    : state === "revoked"
    ? "The token is revoked."
    : "Waiting for the agent to connect…";
  const spinning = state === "waiting" || state === "connecting";
  return (
    <div
      class="flex items-center gap-3 rounded-lg bg-sky-50 p-3 text-sm text-sky-800 ring-1 ring-inset ring-sky-200 dark:bg-sky-500/10 dark:text-sky-300 dark:ring-sky-500/30"
      role="status"
      data-testid="agent-wait"
      data-state={state}
    >
      {spinning
        ? (
          <span
            class="size-4 animate-spin rounded-full border-2 border-sky-300 border-t-sky-700 dark:border-sky-800 dark:border-t-sky-300"
            aria-hidden="true"
          />
        )
        : <Icon name="info" />}
      <span>{text} {spinning && "Run one of the commands below in the cluster."}</span>
    </div>
  );
}
