// The Add Cluster dialog: "Kubeconfig" (paste or upload, context picker, validation) and
// "Deploy Agent" (name, permission preset or custom rules, install command, live wait for the
// agent). Opened by its own button or by any island setting addClusterDialog.
import { useEffect, useRef, useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { CommandBlock, Modal } from "../components/dialog.tsx";
import { AgentTokenBlock } from "../components/agent_token.tsx";
import { Alert, btn, inputClass, labelClass } from "../components/ui.tsx";
import {
  addClusterDialog,
  clusters,
  upsertCluster,
  useClusterEvents,
  useNow,
} from "../client/live.ts";
import { api, ApiError, sleep } from "../client/api.ts";
import {
  suggestClusterName,
  validateClusterName,
  validateKubeconfigText,
} from "../lib/validate.ts";
import {
  agentWaitState,
  buildRules,
  describeRule,
  emptyRule,
  PERMISSION_PRESETS,
  presetInfo,
  RULE_VERBS,
  type RuleDraft,
} from "../lib/agent.ts";
import { absoluteTime, timeUntil } from "../lib/format.ts";
import type { AgentPermissions, AgentTokenCreated, AgentTokenInfo, Cluster } from "../lib/types.ts";

type Tab = "kubeconfig" | "agent";
const KUBECONFIG_PLACEHOLDER =
  "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://…";
const TABS: { id: Tab; label: string; icon: "kubeconfig" | "agent" }[] = [
  { id: "kubeconfig", label: "Kubeconfig", icon: "kubeconfig" },
  { id: "agent", label: "Deploy Agent", icon: "agent" },
];

export default function AddCluster({ now: serverNow }: { now: number }) {
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
          {open && <AgentTab serverNow={serverNow} />}
        </div>
      </Modal>
    </>
  );
}

function FieldError({ id, message }: { id: string; message: string | null }) {
  if (!message) return null;
  return (
    <p id={id} class="mt-1.5 flex items-start gap-1.5 text-sm text-red-600 dark:text-red-400">
      <Icon name="alert" class="mt-0.5 size-3.5" />
      <span>{message.charAt(0).toUpperCase() + message.slice(1)}</span>
    </p>
  );
}

// ---------------------------------------------------------------------------------------------

function KubeconfigTab({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState("");
  const [nameTouched, setNameTouched] = useState(false);
  const [text, setText] = useState("");
  const [fileName, setFileName] = useState<string | null>(null);
  const [contexts, setContexts] = useState<string[]>([]);
  const [context, setContext] = useState("");
  const [textError, setTextError] = useState<string | null>(null);
  const [ctxError, setCtxError] = useState<string | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);
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
    setNameError(nErr);
    setNameTouched(true);
    if (tErr) setTextError(tErr);
    if (nErr || tErr) return;
    setBusy(true);
    setFormError(null);
    try {
      const cluster = await api<Cluster>("/api/clusters", {
        method: "POST",
        json: { name, kubeconfig: text, ...(context ? { context } : {}) },
      });
      upsertCluster(cluster);
      setAdded(cluster);
    } catch (err) {
      const msg = (err as Error).message;
      if (err instanceof ApiError && err.status === 409) {
        setNameError(msg.charAt(0).toUpperCase() + msg.slice(1) + ".");
      } else if (err instanceof ApiError && err.status === 400 && /^name:/.test(msg)) {
        setNameError(msg.replace(/^name:\s*/, ""));
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

// ---------------------------------------------------------------------------------------------

function RulesEditor(
  { rules, setRules, errors }: {
    rules: RuleDraft[];
    setRules: (r: RuleDraft[]) => void;
    errors: { index: number; message: string }[];
  },
) {
  const update = (i: number, patch: Partial<RuleDraft>) =>
    setRules(rules.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const built = buildRules(rules);
  return (
    <fieldset class="space-y-3">
      <legend class={labelClass}>Rules</legend>
      {rules.map((r, i) => {
        const errs = errors.filter((e) => e.index === i);
        return (
          <div
            key={i}
            class="rounded-lg border border-slate-200 p-3 dark:border-slate-700"
            data-testid="rule"
          >
            <div class="grid gap-3 sm:grid-cols-2">
              <div>
                <label
                  for={`rule-${i}-groups`}
                  class="text-xs font-medium text-slate-600 dark:text-slate-400"
                >
                  API groups
                </label>
                <input
                  id={`rule-${i}-groups`}
                  class={`${inputClass} mt-1 font-mono text-xs`}
                  placeholder="core, apps"
                  value={r.apiGroups}
                  onInput={(e) => update(i, { apiGroups: (e.target as HTMLInputElement).value })}
                />
              </div>
              <div>
                <label
                  for={`rule-${i}-resources`}
                  class="text-xs font-medium text-slate-600 dark:text-slate-400"
                >
                  Resources
                </label>
                <input
                  id={`rule-${i}-resources`}
                  class={`${inputClass} mt-1 font-mono text-xs`}
                  placeholder="pods, deployments"
                  value={r.resources}
                  onInput={(e) => update(i, { resources: (e.target as HTMLInputElement).value })}
                />
              </div>
            </div>
            <fieldset class="mt-3">
              <legend class="text-xs font-medium text-slate-600 dark:text-slate-400">Verbs</legend>
              <div class="mt-1 flex flex-wrap gap-x-4 gap-y-1.5">
                {[...RULE_VERBS, "*"].map((v) => (
                  <label key={v} class="flex items-center gap-1.5 text-xs">
                    <input
                      type="checkbox"
                      class="size-3.5 rounded accent-indigo-600"
                      checked={r.verbs.includes(v)}
                      onChange={(e) =>
                        update(i, {
                          verbs: (e.target as HTMLInputElement).checked
                            ? [...r.verbs, v]
                            : r.verbs.filter((x) =>
                              x !== v
                            ),
                        })}
                    />
                    <span class="font-mono">{v}</span>
                  </label>
                ))}
              </div>
            </fieldset>
            <div class="mt-3 flex items-end gap-3">
              <div class="flex-1">
                <label
                  for={`rule-${i}-names`}
                  class="text-xs font-medium text-slate-600 dark:text-slate-400"
                >
                  Resource names (optional)
                </label>
                <input
                  id={`rule-${i}-names`}
                  class={`${inputClass} mt-1 font-mono text-xs`}
                  placeholder="only these objects"
                  value={r.resourceNames}
                  onInput={(e) =>
                    update(i, { resourceNames: (e.target as HTMLInputElement).value })}
                />
              </div>
              <button
                type="button"
                class={btn.dangerGhost}
                onClick={() => setRules(rules.filter((_, j) => j !== i))}
                aria-label={`Remove rule ${i + 1}`}
              >
                <Icon name="trash" />
              </button>
            </div>
            {built.rules[i] && built.errors.every((e) => e.index !== i) && (
              <p class="mt-2 text-xs text-slate-500 dark:text-slate-400">
                Grants: {describeRule(built.rules[i])}
              </p>
            )}
            {errs.map((e) => (
              <p key={e.message} class="mt-2 text-xs text-red-600 dark:text-red-400">{e.message}</p>
            ))}
          </div>
        );
      })}
      <button
        type="button"
        class={`${btn.secondary} ${btn.small}`}
        onClick={() => setRules([...rules, emptyRule()])}
      >
        <Icon name="plus" class="size-3.5" />
        Add rule
      </button>
      {errors.filter((e) => e.index === -1).map((e) => (
        <p key={e.message} class="text-xs text-red-600 dark:text-red-400">{e.message}</p>
      ))}
    </fieldset>
  );
}

function AgentTab({ serverNow }: { serverNow: number }) {
  useClusterEvents();
  const now = useNow(serverNow);
  const [name, setName] = useState("");
  const [nameError, setNameError] = useState<string | null>(null);
  const [perm, setPerm] = useState<AgentPermissions>("read-only");
  const [rules, setRules] = useState<RuleDraft[]>([emptyRule()]);
  const [ruleErrors, setRuleErrors] = useState<{ index: number; message: string }[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<AgentTokenCreated | null>(null);
  const [info, setInfo] = useState<AgentTokenInfo | null>(null);
  const [revoking, setRevoking] = useState(false);

  // While a token is out, poll its state (used / cluster_id) alongside the cluster stream.
  useEffect(() => {
    if (!created) return;
    const ctl = new AbortController();
    (async () => {
      while (!ctl.signal.aborted) {
        try {
          const { items } = await api<{ items: AgentTokenInfo[] }>("/api/clusters/agent-token", {
            signal: ctl.signal,
          });
          const mine = items.find((t) => t.id === created.id);
          if (mine) setInfo(mine);
        } catch {
          // The cluster stream still reports the agent; keep polling quietly.
        }
        await sleep(3000, ctl.signal);
      }
    })();
    return () => ctl.abort();
  }, [created?.id]);

  const generate = async (e: Event) => {
    e.preventDefault();
    const nErr = validateClusterName(name);
    setNameError(nErr);
    let body: Record<string, unknown> = { cluster_name: name, permissions: perm };
    if (perm === "custom") {
      const built = buildRules(rules);
      setRuleErrors(built.errors);
      if (built.errors.length) return;
      body = { ...body, rules: built.rules };
    }
    if (nErr) return;
    setBusy(true);
    setError(null);
    try {
      setCreated(
        await api<AgentTokenCreated>("/api/clusters/agent-token", { method: "POST", json: body }),
      );
    } catch (err) {
      const msg = (err as Error).message;
      if (err instanceof ApiError && err.status === 409) setNameError(msg);
      else setError(msg);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async () => {
    if (!created) return;
    setRevoking(true);
    try {
      await api(`/api/clusters/agent-token/${created.id}`, { method: "DELETE" });
      setInfo((i) => ({
        ...(i ?? tokenInfoFrom(created, name, perm)),
        state: "revoked",
        revoked_at: new Date().toISOString(),
      }));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setRevoking(false);
    }
  };

  if (created) {
    const token = info ?? tokenInfoFrom(created, name, perm);
    const wait = agentWaitState(token, clusters.value, now);
    return (
      <div class="space-y-5" data-testid="agent-install">
        <WaitIndicator state={wait.state} clusterId={wait.clusterId} name={name} />
        <CommandBlock
          title="Install with one command"
          command={created.install_command}
          testId="install-command"
        />
        <AgentTokenBlock token={created.token} testId="agent-token" />
        <CommandBlock
          title="Or install with Helm"
          command={created.helm_command}
          testId="helm-command"
        />
        <div class="flex flex-wrap items-center justify-between gap-3 rounded-lg bg-slate-50 px-3 py-2.5 text-sm dark:bg-slate-800/60">
          <p class="text-slate-600 dark:text-slate-300">
            {token.state === "revoked"
              ? "This token was revoked; the command no longer works."
              : token.state === "used"
              ? "The token has been used by the agent."
              : (
                <>
                  The token is single-use and expires{" "}
                  <time dateTime={created.expires_at} title={absoluteTime(created.expires_at)}>
                    {timeUntil(created.expires_at, now)}
                  </time>.
                </>
              )}
          </p>
          {token.state !== "revoked" && token.state !== "used" && wait.state !== "connected" && (
            <button
              type="button"
              class={`${btn.dangerGhost} ${btn.small}`}
              onClick={revoke}
              disabled={revoking}
            >
              {revoking ? "Revoking…" : "Revoke token"}
            </button>
          )}
        </div>
        {error && <Alert>{error}</Alert>}
        <div class="flex justify-end gap-2 border-t border-slate-200 pt-4 dark:border-slate-800">
          <button
            type="button"
            class={btn.secondary}
            onClick={() => {
              setCreated(null);
              setInfo(null);
            }}
          >
            Start over
          </button>
        </div>
      </div>
    );
  }

  const selected = presetInfo(perm)!;
  return (
    <form onSubmit={generate} class="space-y-5" noValidate>
      <div>
        <label for="agent-name" class={labelClass}>Cluster name</label>
        <input
          id="agent-name"
          class={`${inputClass} mt-1.5 font-mono`}
          placeholder="production"
          autoComplete="off"
          spellcheck={false}
          aria-invalid={nameError ? "true" : undefined}
          aria-describedby="agent-name-help agent-name-error"
          value={name}
          onInput={(e) => {
            const v = (e.target as HTMLInputElement).value;
            setName(v);
            setNameError(v ? validateClusterName(v) : null);
          }}
        />
        <p id="agent-name-help" class="mt-1.5 text-xs text-slate-500 dark:text-slate-400">
          How the cluster will appear here. Lowercase letters, digits and '-'.
        </p>
        <FieldError id="agent-name-error" message={nameError} />
      </div>

      <fieldset>
        <legend class={labelClass}>Permissions of the agent in the cluster</legend>
        <div class="mt-2 grid gap-2 sm:grid-cols-2">
          {PERMISSION_PRESETS.map((p) => (
            <label
              key={p.id}
              class={`relative flex cursor-pointer gap-3 rounded-lg border p-3 text-sm transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500 ${
                perm === p.id
                  ? "border-indigo-600 bg-indigo-50/60 dark:border-indigo-500 dark:bg-indigo-500/10"
                  : "border-slate-200 hover:border-slate-300 dark:border-slate-700 dark:hover:border-slate-600"
              }`}
            >
              <input
                type="radio"
                name="permissions"
                value={p.id}
                checked={perm === p.id}
                onChange={() => setPerm(p.id)}
                class="mt-0.5 size-4 accent-indigo-600"
              />
              <span>
                <span class="block font-medium text-slate-900 dark:text-white">{p.title}</span>
                <span class="block text-xs text-slate-500 dark:text-slate-400">{p.summary}</span>
              </span>
            </label>
          ))}
        </div>
        <div
          class="mt-3 grid gap-3 rounded-lg bg-slate-50 p-3 text-xs sm:grid-cols-2 dark:bg-slate-800/60"
          data-testid="preset-summary"
        >
          <div>
            <p class="font-semibold text-slate-700 dark:text-slate-200">Grants</p>
            <ul class="mt-1 space-y-1 text-slate-600 dark:text-slate-400">
              {selected.grants.map((g) => (
                <li key={g} class="flex gap-1.5">
                  <Icon name="check" class="mt-px size-3.5 text-emerald-600" />
                  {g}
                </li>
              ))}
            </ul>
          </div>
          <div>
            <p class="font-semibold text-slate-700 dark:text-slate-200">Does not grant</p>
            <ul class="mt-1 space-y-1 text-slate-600 dark:text-slate-400">
              {selected.denies.length === 0 && <li>nothing is held back</li>}
              {selected.denies.map((g) => (
                <li key={g} class="flex gap-1.5">
                  <Icon name="x" class="mt-px size-3.5 text-red-500" />
                  {g}
                </li>
              ))}
            </ul>
          </div>
        </div>
      </fieldset>

      {perm === "custom" && <RulesEditor rules={rules} setRules={setRules} errors={ruleErrors} />}

      {error && <Alert title="No install command">{error}</Alert>}

      <div class="flex justify-end gap-2 border-t border-slate-200 pt-4 dark:border-slate-800">
        <button type="button" class={btn.secondary} onClick={() => (addClusterDialog.value = null)}>
          Cancel
        </button>
        <button type="submit" class={btn.primary} disabled={busy}>
          <Icon name="bolt" />
          {busy ? "Generating…" : "Generate command"}
        </button>
      </div>
    </form>
  );
}

function tokenInfoFrom(c: AgentTokenCreated, name: string, perm: string): AgentTokenInfo {
  return {
    id: c.id,
    cluster_name: name,
    permissions: perm,
    created_at: new Date().toISOString(),
    expires_at: c.expires_at,
    used_at: null,
    revoked_at: null,
    cluster_id: null,
    state: "pending",
  };
}

function WaitIndicator(
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
