// A cluster's settings for admins (the cluster page's "Settings" button): its name, its labels
// (one key=value per line; per-cluster role bindings select clusters by them) and whether the
// dashboard impersonates each person on it. Save sends PATCH /api/clusters/{id} with what changed;
// the API's message is shown when it refuses, and the page reloads when it accepts.
import { useEffect, useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { Modal } from "../components/dialog.tsx";
import { Alert, btn, inputClass, labelClass } from "../components/ui.tsx";
import { api } from "../client/api.ts";
import { validateClusterName } from "../lib/validate.ts";
import {
  formatLabelLines,
  LABELS_PLACEHOLDER,
  parseLabelLines,
  sameLabels,
} from "../lib/labels.ts";
import { ImpersonationHelp, ImpersonationWarning } from "../components/impersonation.tsx";

export interface ClusterSettingsProps {
  cluster: {
    id: string;
    name: string;
    labels?: Record<string, string>;
    impersonate?: boolean;
  };
}

export default function ClusterSettings({ cluster }: ClusterSettingsProps) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(cluster.name);
  const [labelText, setLabelText] = useState(formatLabelLines(cluster.labels));
  const [impersonate, setImpersonate] = useState(cluster.impersonate ?? false);
  const [nameError, setNameError] = useState<string | null>(null);
  const [labelsError, setLabelsError] = useState<string | null>(null);
  const [error, setError] = useState<{ field: "name" | "labels" | null; message: string } | null>(
    null,
  );
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    setName(cluster.name);
    setLabelText(formatLabelLines(cluster.labels));
    setImpersonate(cluster.impersonate ?? false);
    setNameError(null);
    setLabelsError(null);
    setError(null);
    setBusy(false);
  }, [open]);

  const close = () => setOpen(false);

  const save = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const nErr = validateClusterName(name);
    const parsed = parseLabelLines(labelText);
    setNameError(nErr);
    setLabelsError(parsed.ok ? null : parsed.error);
    setError(null);
    if (nErr || !parsed.ok) return;
    const change: { name?: string; labels?: Record<string, string>; impersonate?: boolean } = {};
    if (name !== cluster.name) change.name = name;
    if (!sameLabels(parsed.labels, cluster.labels)) change.labels = parsed.labels;
    if (impersonate !== (cluster.impersonate ?? false)) change.impersonate = impersonate;
    if (Object.keys(change).length === 0) {
      close();
      return;
    }
    setBusy(true);
    try {
      await api(`/api/clusters/${cluster.id}`, { method: "PATCH", json: change });
      location.reload(); // the page (header, labels, badge, breadcrumbs) renders the new settings
    } catch (err) {
      const message = (err as Error).message;
      const field = /^name\b/.test(message) ? "name" : /^labels\b/.test(message) ? "labels" : null;
      setError({ field, message });
      setBusy(false);
    }
  };

  const turningOn = impersonate && !cluster.impersonate;
  const turningOff = !impersonate && !!cluster.impersonate;

  return (
    <>
      <button
        type="button"
        class={btn.secondary}
        onClick={() => setOpen(true)}
        data-testid="cluster-settings"
      >
        <Icon name="settings" />
        Settings
      </button>
      <Modal
        open={open}
        onClose={close}
        labelId="cluster-settings-title"
        title="Cluster settings"
        description={`Name, labels and identity of ${cluster.name}.`}
      >
        <form onSubmit={save} class="space-y-5" noValidate>
          <div>
            <label for="cs-name" class={labelClass}>Name</label>
            <input
              id="cs-name"
              class={`${inputClass} mt-1.5 font-mono`}
              autoComplete="off"
              spellcheck={false}
              value={name}
              aria-invalid={nameError || error?.field === "name" ? "true" : undefined}
              aria-describedby="cs-name-help cs-name-error"
              onInput={(e) => {
                setName((e.target as HTMLInputElement).value);
                setNameError(null);
              }}
            />
            <p id="cs-name-help" class="mt-1.5 text-xs text-slate-500 dark:text-slate-400">
              Lowercase letters, digits and '-' (up to 63).
            </p>
            {nameError && (
              <p id="cs-name-error" class="mt-1.5 text-sm text-red-600 dark:text-red-400">
                {nameError}
              </p>
            )}
          </div>

          <div>
            <label for="cs-labels" class={labelClass}>Labels</label>
            <textarea
              id="cs-labels"
              rows={4}
              spellcheck={false}
              placeholder={LABELS_PLACEHOLDER}
              class={`${inputClass} mt-1.5 font-mono text-xs leading-5`}
              value={labelText}
              aria-invalid={labelsError || error?.field === "labels" ? "true" : undefined}
              aria-describedby="cs-labels-help cs-labels-error"
              onInput={(e) => {
                setLabelText((e.target as HTMLTextAreaElement).value);
                setLabelsError(null);
              }}
            />
            <p id="cs-labels-help" class="mt-1.5 text-xs text-slate-500 dark:text-slate-400">
              One <code class="font-mono">key=value</code> per line (keys{" "}
              <code class="font-mono">[prefix/]name</code>, values up to 63 characters, at most 32
              labels). Per-cluster role bindings can select clusters by label.
            </p>
            {labelsError && (
              <p id="cs-labels-error" class="mt-1.5 text-sm text-red-600 dark:text-red-400">
                {labelsError}
              </p>
            )}
          </div>

          <div>
            <label class="flex items-center gap-2 text-sm font-medium text-slate-700 dark:text-slate-300">
              <input
                id="cs-impersonate"
                type="checkbox"
                role="switch"
                checked={impersonate}
                aria-describedby="cs-impersonate-help"
                onChange={(e) => setImpersonate((e.target as HTMLInputElement).checked)}
              />
              Impersonate users
            </label>
            <ImpersonationHelp id="cs-impersonate-help" />
          </div>
          {turningOn && <ImpersonationWarning />}
          {turningOff && (
            <Alert tone="blue">
              Requests for everyone will use the cluster's credential again, limited only by each
              person's dashboard role.
            </Alert>
          )}

          {error && <Alert title="The settings were not saved">{error.message}</Alert>}

          <div class="flex justify-end gap-2 border-t border-slate-200 pt-4 dark:border-slate-800">
            <button type="button" class={btn.secondary} onClick={close}>Cancel</button>
            <button type="submit" class={btn.primary} disabled={busy}>
              {busy ? "Saving…" : "Save"}
            </button>
          </div>
        </form>
      </Modal>
    </>
  );
}
