// Add Cluster → "Kubeconfig": paste, drop or upload a kubeconfig, pick a context (the server lists
// them), name the cluster, optionally give it labels and turn on impersonation, and add it; a
// success panel links to the new cluster.
import { useEffect, useRef, useState } from "preact/hooks";
import { Icon } from "../icons.tsx";
import { Alert, btn, inputClass, labelClass } from "../ui.tsx";
import { upsertCluster } from "../../client/live.ts";
import { api, ApiError } from "../../client/api.ts";
import {
  suggestClusterName,
  validateClusterName,
  validateKubeconfigText,
} from "../../lib/validate.ts";
import { LABELS_PLACEHOLDER, parseLabelLines } from "../../lib/labels.ts";
import type { Cluster } from "../../lib/types.ts";
import { FieldError } from "./FieldError.tsx";
import { ImpersonationWarning } from "../impersonation.tsx";

const KUBECONFIG_PLACEHOLDER =
  "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://…";

export function KubeconfigTab({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState("");
  const [nameTouched, setNameTouched] = useState(false);
  const [text, setText] = useState("");
  const [fileName, setFileName] = useState<string | null>(null);
  const [contexts, setContexts] = useState<string[]>([]);
  const [context, setContext] = useState("");
  const [textError, setTextError] = useState<string | null>(null);
  const [ctxError, setCtxError] = useState<string | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const [labelText, setLabelText] = useState("");
  const [labelsError, setLabelsError] = useState<string | null>(null);
  const [impersonate, setImpersonate] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState<Cluster | null>(null);
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  // Ask the server for the contexts whenever the kubeconfig settles.
  useEffect(() => {
    setCtxError(null);
    if (validateKubeconfigText(text) !== null) {
      setContexts([]);
      return;
    }
    const ctl = new AbortController();
    const t = setTimeout(async () => {
      try {
        const r = await api<{ contexts: string[]; current: string }>(
          "/api/clusters/kubeconfig-contexts",
          {
            method: "POST",
            json: { kubeconfig: text },
            signal: ctl.signal,
          },
        );
        setContexts(r.contexts);
        const pick = r.contexts.includes(r.current) ? r.current : r.contexts[0] ?? "";
        setContext(pick);
        setCtxError(r.contexts.length === 0 ? "The kubeconfig has no contexts." : null);
        if (!nameTouched && pick) setName(suggestClusterName(pick));
      } catch (err) {
        if (err instanceof ApiError) {
          setContexts([]);
          setCtxError(err.message);
        }
      }
    }, 350);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [text]);

  const loadFile = async (file: File | undefined) => {
    if (!file) return;
    if (file.size > 512 * 1024) {
      setTextError("The file is larger than 512 KiB; is it a kubeconfig?");
      return;
    }
    setFileName(file.name);
    setText(await file.text());
    if (!nameTouched) setName(suggestClusterName(file.name));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const nErr = validateClusterName(name);
    const tErr = validateKubeconfigText(text);
    const parsed = parseLabelLines(labelText);
    setNameError(nErr);
    setNameTouched(true);
    setLabelsError(parsed.ok ? null : parsed.error);
    if (tErr) setTextError(tErr);
    if (nErr || tErr || !parsed.ok) return;
    setBusy(true);
    setFormError(null);
    try {
      const cluster = await api<Cluster>("/api/clusters", {
        method: "POST",
        json: {
          name,
          kubeconfig: text,
          ...(context ? { context } : {}),
          ...(Object.keys(parsed.labels).length ? { labels: parsed.labels } : {}),
          ...(impersonate ? { impersonate: true } : {}),
        },
      });
      upsertCluster(cluster);
      setAdded(cluster);
    } catch (err) {
      const msg = (err as Error).message;
      if (err instanceof ApiError && err.status === 409) {
        setNameError(msg.charAt(0).toUpperCase() + msg.slice(1) + ".");
      } else if (err instanceof ApiError && err.status === 400 && /^name:/.test(msg)) {
        setNameError(msg.replace(/^name:\s*/, ""));
      } else if (err instanceof ApiError && err.status === 400 && /^labels\b/.test(msg)) {
        setLabelsError(msg);
      } else if (err instanceof ApiError && err.status === 400) setTextError(msg);
      else if (err instanceof ApiError && err.status === 422) setFormError(msg);
      else setFormError(msg);
    } finally {
      setBusy(false);
    }
  };

  if (added) {
    return (
      <div class="space-y-5 py-2 text-center" data-testid="cluster-added">
        <div class="mx-auto flex size-12 items-center justify-center rounded-full bg-emerald-50 text-emerald-600 dark:bg-emerald-500/10 dark:text-emerald-400">
          <Icon name="check" class="size-6" />
        </div>
        <div>
          <h3 class="text-base font-semibold">{added.name} is connected</h3>
          <p class="mt-1 text-sm text-slate-500 dark:text-slate-400">
            Kubernetes {added.kubernetes_version ?? "?"}
            {added.node_count !== null
              ? ` · ${added.node_count} ${added.node_count === 1 ? "node" : "nodes"}`
              : ""}
          </p>
        </div>
        <div class="flex justify-center gap-2">
          <button type="button" class={btn.secondary} onClick={onDone}>Close</button>
          <a class={btn.primary} href={`/clusters/${added.id}`}>
            Open cluster
            <Icon name="chevronRight" />
          </a>
        </div>
      </div>
    );
  }

  return (
    <form onSubmit={submit} class="space-y-5" noValidate>
      <div>
        <div class="flex items-center justify-between">
          <label for="kc-text" class={labelClass}>Kubeconfig</label>
          <div class="flex items-center gap-2">
            {fileName && <span class="max-w-48 truncate text-xs text-slate-500">{fileName}</span>}
            <button
              type="button"
              class={`${btn.secondary} ${btn.small}`}
              onClick={() => fileInput.current?.click()}
            >
              <Icon name="upload" class="size-3.5" />
              Upload file
            </button>
            <input
              ref={fileInput}
              type="file"
              class="sr-only"
              aria-label="Kubeconfig file"
              tabIndex={-1}
              data-testid="kubeconfig-file"
              onChange={(e) => loadFile((e.target as HTMLInputElement).files?.[0])}
            />
          </div>
        </div>
        <textarea
          id="kc-text"
          rows={9}
          spellcheck={false}
          placeholder={KUBECONFIG_PLACEHOLDER}
          aria-invalid={textError ?? ctxError ? "true" : undefined}
          aria-describedby="kc-help kc-error"
          class={`${inputClass} mt-1.5 font-mono text-xs leading-5 ${
            dragging ? "ring-2 ring-indigo-500" : ""
          }`}
          value={text}
          onInput={(e) => {
            setText((e.target as HTMLTextAreaElement).value);
            setFileName(null);
            setTextError(null);
          }}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            loadFile(e.dataTransfer?.files?.[0]);
          }}
        />
        <p id="kc-help" class="mt-1.5 text-xs text-slate-500 dark:text-slate-400">
          Paste it, drop a file here, or upload one. Credentials must be embedded (certificate or
          token); exec plugins and file references are refused. It is stored encrypted.
        </p>
        <FieldError id="kc-error" message={textError ?? ctxError} />
      </div>

      {contexts.length > 1 && (
        <div>
          <label for="kc-context" class={labelClass}>Context</label>
          <select
            id="kc-context"
            class={`${inputClass} mt-1.5`}
            value={context}
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value;
              setContext(v);
              if (!nameTouched) setName(suggestClusterName(v));
            }}
          >
            {contexts.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
          <p class="mt-1.5 text-xs text-slate-500 dark:text-slate-400">
            {contexts.length} contexts in this kubeconfig; the dashboard uses the one you pick.
          </p>
        </div>
      )}

      <div>
        <label for="kc-name" class={labelClass}>Cluster name</label>
        <input
          id="kc-name"
          class={`${inputClass} mt-1.5 font-mono`}
          placeholder="production"
          autoComplete="off"
          spellcheck={false}
          aria-invalid={nameError ? "true" : undefined}
          aria-describedby="kc-name-help kc-name-error"
          value={name}
          onInput={(e) => {
            const v = (e.target as HTMLInputElement).value;
            setName(v);
            setNameTouched(true);
            setNameError(v ? validateClusterName(v) : null);
          }}
        />
        <p id="kc-name-help" class="mt-1.5 text-xs text-slate-500 dark:text-slate-400">
          Lowercase letters, digits and '-' (up to 63).
        </p>
        <FieldError id="kc-name-error" message={nameError} />
      </div>

      <div>
        <label for="kc-labels" class={labelClass}>
          Labels <span class="font-normal text-slate-500 dark:text-slate-400">(optional)</span>
        </label>
        <textarea
          id="kc-labels"
          rows={2}
          spellcheck={false}
          placeholder={LABELS_PLACEHOLDER}
          class={`${inputClass} mt-1.5 font-mono text-xs leading-5`}
          aria-invalid={labelsError ? "true" : undefined}
          aria-describedby="kc-labels-help kc-labels-error"
          value={labelText}
          onInput={(e) => {
            setLabelText((e.target as HTMLTextAreaElement).value);
            setLabelsError(null);
          }}
        />
        <p id="kc-labels-help" class="mt-1.5 text-xs text-slate-500 dark:text-slate-400">
          One <code class="font-mono">key=value</code>{" "}
          per line; per-cluster role bindings can select clusters by label.
        </p>
        <FieldError id="kc-labels-error" message={labelsError} />
      </div>

      <div class="space-y-3">
        <label class="flex items-start gap-2 text-sm text-slate-700 dark:text-slate-300">
          <input
            id="kc-impersonate"
            type="checkbox"
            class="mt-0.5"
            checked={impersonate}
            aria-describedby="kc-impersonate-help"
            onChange={(e) => setImpersonate((e.target as HTMLInputElement).checked)}
          />
          <span>
            <span class="font-medium">Impersonate users</span>
            <span id="kc-impersonate-help" class="block text-xs text-slate-500 dark:text-slate-400">
              Act on the cluster as each person, so its RBAC decides what they may do (the
              kubeconfig's user needs the <code class="font-mono">impersonate</code>{" "}
              verb on users and groups).
            </span>
          </span>
        </label>
        {impersonate && <ImpersonationWarning />}
      </div>

      {formError && <Alert title="The cluster could not be added">{formError}</Alert>}

      <div class="flex justify-end gap-2 border-t border-slate-200 pt-4 dark:border-slate-800">
        <button type="button" class={btn.secondary} onClick={onDone}>Cancel</button>
        <button type="submit" class={btn.primary} disabled={busy}>
          {busy ? "Connecting…" : "Add cluster"}
        </button>
      </div>
    </form>
  );
}
