// The Add Cluster dialog: its button and the tabbed dialog shell; the tabs are
// components/add_cluster/KubeconfigTab.tsx (paste or upload, context picker, validation) and
// AgentTab.tsx (name, permission preset or custom rules, install command, live wait for the
// agent). Opened by its own button or by any island setting addClusterDialog.
import { useRef } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { Modal } from "../components/dialog.tsx";
import { btn } from "../components/ui.tsx";
import { KubeconfigTab } from "../components/add_cluster/KubeconfigTab.tsx";
import { AgentTab } from "../components/add_cluster/AgentTab.tsx";
import { addClusterDialog } from "../client/live.ts";

type Tab = "kubeconfig" | "agent";
const TABS: { id: Tab; label: string; icon: "kubeconfig" | "agent" }[] = [
  { id: "kubeconfig", label: "Kubeconfig", icon: "kubeconfig" },
  { id: "agent", label: "Deploy Agent", icon: "agent" },
];

export default function AddCluster(
  { now: serverNow, agentImage }: { now: number; agentImage: string },
) {
  const tab = addClusterDialog.value;
  const open = tab !== null;
  const close = () => (addClusterDialog.value = null);
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);

  const onTabKey = (e: KeyboardEvent, i: number) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft" && e.key !== "Home" && e.key !== "End") {
      return;
    }
    e.preventDefault();
    const n = e.key === "Home"
      ? 0
      : e.key === "End"
      ? TABS.length - 1
      : (i + (e.key === "ArrowRight" ? 1 : -1) + TABS.length) % TABS.length;
    addClusterDialog.value = TABS[n].id;
    tabRefs.current[n]?.focus();
  };

  return (
    <>
      <button
        type="button"
        class={btn.primary}
        onClick={() => (addClusterDialog.value = "kubeconfig")}
      >
        <Icon name="plus" />
        Add cluster
      </button>
      <Modal
        open={open}
        onClose={close}
        size="lg"
        labelId="add-cluster-title"
        title="Add cluster"
        description="Connect with a kubeconfig the dashboard can reach, or deploy an agent that dials out to the dashboard."
      >
        <div
          role="tablist"
          aria-label="How to connect"
          class="mb-5 flex gap-1 rounded-lg bg-slate-100 p-1 dark:bg-slate-800"
        >
          {TABS.map((t, i) => (
            <button
              key={t.id}
              ref={(el) => {
                tabRefs.current[i] = el;
              }}
              type="button"
              role="tab"
              id={`tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => (addClusterDialog.value = t.id)}
              onKeyDown={(e) => onTabKey(e, i)}
              class={`flex flex-1 items-center justify-center gap-2 rounded-md px-3 py-1.5 text-sm font-medium transition-colors cursor-pointer focus-visible:outline-2 focus-visible:outline-indigo-500 ${
                tab === t.id
                  ? "bg-white text-slate-900 shadow-sm dark:bg-slate-950 dark:text-white"
                  : "text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white"
              }`}
            >
              <Icon name={t.icon} />
              {t.label}
            </button>
          ))}
        </div>
        <div
          role="tabpanel"
          id="panel-kubeconfig"
          aria-labelledby="tab-kubeconfig"
          hidden={tab !== "kubeconfig"}
        >
          {open && <KubeconfigTab onDone={close} />}
        </div>
        <div role="tabpanel" id="panel-agent" aria-labelledby="tab-agent" hidden={tab !== "agent"}>
          {open && <AgentTab serverNow={serverNow} agentImage={agentImage} />}
        </div>
      </Modal>
    </>
  );
}
