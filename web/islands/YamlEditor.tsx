// View and edit an object as YAML. Apply sends the whole object back with PUT (optimistic
// concurrency through metadata.resourceVersion: a 409 says someone changed it meanwhile);
// Kubernetes' own validation messages are shown as they come. Edit is disabled, its reason the
// hover text, when the person may not update the object (web/routes/permissions.ts).
import { useState } from "preact/hooks";
import { parse, stringify } from "yaml";
import { Icon } from "../components/icons.tsx";
import { Alert, btn } from "../components/ui.tsx";
import { api, ApiError } from "../client/api.ts";
import { objectPath, proxyBase, type ResourceRef } from "../lib/k8s/paths.ts";
import { cleanForEdit } from "../lib/k8s/objects.ts";
import { type Access, controlProps } from "../lib/k8s/access_review.ts";

interface Props {
  clusterId: string;
  resource: ResourceRef;
  namespace: string | null;
  name: string;
  yaml: string;
  /** Whether the person may update the object; null: the resource cannot be updated (no Edit). */
  edit: Access | null;
}

export function toYaml(obj: unknown): string {
  return stringify(cleanForEdit(obj as Record<string, unknown>), { lineWidth: 0 });
}

export default function YamlEditor(
  { clusterId, resource, namespace, name, yaml: initialYaml, edit }: Props,
) {
  const [yaml, setYaml] = useState(initialYaml);
  const [draft, setDraft] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ title: string; message: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const path = proxyBase(clusterId) + objectPath(resource, namespace, name);

  const reload = async () => {
    setBusy(true);
    setError(null);
    try {
      const fresh = toYaml(await api(path));
      setYaml(fresh);
      if (draft !== null) setDraft(fresh);
      setNotice("Reloaded the latest version.");
    } catch (err) {
      setError({ title: "Could not reload", message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const apply = async () => {
    if (draft === null) return;
    setError(null);
    setNotice(null);
    let obj: Record<string, unknown>;
    try {
      obj = parse(draft);
    } catch (err) {
      setError({ title: "The YAML does not parse", message: (err as Error).message });
      return;
    }
    if (!obj || typeof obj !== "object" || Array.isArray(obj)) {
      setError({
        title: "Not an object",
        message:
          "The document must be one Kubernetes object (a mapping with apiVersion, kind and metadata).",
      });
      return;
    }
    const meta = obj.metadata as { name?: string } | undefined;
    if (meta?.name !== name) {
      setError({
        title: "Name changed",
        message:
          `metadata.name must stay "${name}"; to make a copy, use kubectl with the downloaded kubeconfig.`,
      });
      return;
    }
    setBusy(true);
    try {
      const updated = await api(path, { method: "PUT", json: obj });
      const y = toYaml(updated);
      setYaml(y);
      setDraft(null);
      setNotice("Applied. The object was updated.");
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setError({
        title: status === 409
          ? "Conflict: the object changed since you loaded it"
          : status === 422
          ? "Kubernetes rejected the change"
          : status === 403
          ? "Not allowed"
          : "Apply failed",
        message: status === 409
          ? `${
            (err as Error).message
          }. Reload to get the latest version, then apply your change again.`
          : (err as Error).message,
      });
    } finally {
      setBusy(false);
    }
  };

  const lines = (draft ?? yaml).split("\n").length;
  return (
    <div class="space-y-3">
      <div class="flex flex-wrap items-center justify-between gap-2">
        <p class="text-xs text-slate-500 dark:text-slate-400">
          {draft === null
            ? `${lines} lines · managedFields hidden`
            : "Editing. Apply replaces the object (PUT) with this YAML."}
        </p>
        <div class="flex gap-2">
          <button
            type="button"
            class={`${btn.ghost} ${btn.small}`}
            onClick={reload}
            disabled={busy}
          >
            <Icon name="refresh" class="size-3.5" />
            Reload
          </button>
          {edit && draft === null && (
            <button
              type="button"
              class={`${btn.secondary} ${btn.small}`}
              onClick={() => {
                if (!edit.allowed) return;
                setDraft(yaml);
                setNotice(null);
              }}
              data-testid="yaml-edit"
              {...controlProps(edit)}
            >
              <Icon name="pencil" class="size-3.5" />
              Edit
            </button>
          )}
          {draft !== null && (
            <>
              <button
                type="button"
                class={`${btn.secondary} ${btn.small}`}
                onClick={() => {
                  setDraft(null);
                  setError(null);
                }}
              >
                Cancel
              </button>
              <button
                type="button"
                class={`${btn.primary} ${btn.small}`}
                onClick={apply}
                disabled={busy || draft === yaml}
                title={edit?.reason}
              >
                <Icon name="check" class="size-3.5" />
                {busy ? "Applying…" : "Apply"}
              </button>
            </>
          )}
        </div>
      </div>
      {error && (
        <Alert title={error.title}>
          <span data-testid="yaml-error">{error.message}</span>
        </Alert>
      )}
      {notice && <Alert tone="green">{notice}</Alert>}
      {draft === null
        ? (
          <pre
            class="max-h-[70vh] overflow-auto rounded-lg bg-slate-950 p-4 font-mono text-xs leading-5 text-slate-100 ring-1 ring-slate-800"
            tabIndex={0}
            aria-label="YAML"
            data-testid="yaml-view"
          ><code>{yaml}</code></pre>
        )
        : (
          <textarea
            aria-label="YAML editor"
            spellcheck={false}
            autoCapitalize="off"
            autoComplete="off"
            data-testid="yaml-editor"
            class="block h-[70vh] w-full resize-y rounded-lg border-0 bg-slate-950 p-4 font-mono text-xs leading-5 text-slate-100 ring-1 ring-slate-800 focus:outline-none focus:ring-2 focus:ring-indigo-500"
            value={draft}
            onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if ((e.ctrlKey || e.metaKey) && e.key === "s") {
                e.preventDefault();
                apply();
              }
            }}
          />
        )}
    </div>
  );
}
