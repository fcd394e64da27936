// Add Cluster → "Deploy Agent": name, permission preset or custom rules, an "Advanced" disclosure
// with the agent image (the dashboard's AGENT_IMAGE unless changed) and image pull Secrets, then
// the install commands with the registration token, the token's state (polled) and a live wait
// for the agent.
import { useEffect, useState } from "preact/hooks";
import { Icon } from "../icons.tsx";
import { CommandBlock } from "../dialog.tsx";
import { AgentTokenBlock } from "../agent_token.tsx";
import { Alert, btn, inputClass, labelClass } from "../ui.tsx";
import { addClusterDialog, clusters, useClusterEvents, useNow } from "../../client/live.ts";
import { api, ApiError, sleep } from "../../client/api.ts";
import { validateClusterName } from "../../lib/validate.ts";
import {
  agentWaitState,
  buildRules,
  emptyRule,
  PERMISSION_PRESETS,
  presetInfo,
  type RuleDraft,
} from "../../lib/agent.ts";
import { agentImageFields } from "../../lib/agent_image.ts";
import { absoluteTime, timeUntil } from "../../lib/format.ts";
import type {
  AgentPermissions,
  AgentTokenCreated,
  AgentTokenInfo,
  ItemsOf,
} from "../../lib/types.ts";
import { FieldError } from "./FieldError.tsx";
import { RulesEditor } from "./RulesEditor.tsx";
import { WaitIndicator } from "./WaitIndicator.tsx";
import { INSTALL_PREREQUISITES } from "../../../common/install_prerequisites.ts";

export function AgentTab({ serverNow, agentImage }: { serverNow: number; agentImage: string }) {
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
  const [advanced, setAdvanced] = useState(false);
  const [image, setImage] = useState(agentImage);
  const [imageError, setImageError] = useState<string | null>(null);
  const [pullSecrets, setPullSecrets] = useState("");
  const [pullSecretsError, setPullSecretsError] = useState<string | null>(null);
  /** The image the generated commands install (the token's own, or AGENT_IMAGE). */
  const [createdImage, setCreatedImage] = useState(agentImage);

  // While a token is out, poll its state (used / cluster_id) alongside the cluster stream.
  useEffect(() => {
    if (!created) return;
    const ctl = new AbortController();
    (async () => {
      while (!ctl.signal.aborted) {
        try {
          const { items } = await api<ItemsOf<AgentTokenInfo>>("/api/clusters/agent-token", {
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
    const img = agentImageFields(image, pullSecrets, agentImage);
    setImageError(img.imageError);
    setPullSecretsError(img.pullSecretsError);
    if (img.imageError || img.pullSecretsError) {
      setAdvanced(true);
      return;
    }
    body = { ...body, ...img.body };
    if (nErr) return;
    setBusy(true);
    setError(null);
    try {
      const made = await api<AgentTokenCreated>("/api/clusters/agent-token", {
        method: "POST",
        json: body,
      });
      setCreatedImage(typeof body.image === "string" && body.image ? body.image : agentImage);
      setCreated(made);
    } catch (err) {
      const msg = (err as Error).message;
      if (err instanceof ApiError && err.status === 409) setNameError(msg);
      else if (err instanceof ApiError && err.status === 400 && /^image:/.test(msg)) {
        // The API's own message, under the field it is about.
        setImageError(msg.replace(/^image: /, ""));
        setAdvanced(true);
      } else if (err instanceof ApiError && err.status === 400 && /^image_pull_secrets/.test(msg)) {
        setPullSecretsError(msg.replace(/^image_pull_secrets(\.\d+)?: /, ""));
        setAdvanced(true);
      } else setError(msg);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async () => {
    if (!created) return;
    setRevoking(true);
    try {
      setInfo(
        await api<AgentTokenInfo>(`/api/clusters/agent-token/${created.id}`, {
          method: "DELETE",
        }),
      );
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setRevoking(false);
    }
  };

  if (created) {
    const token = info ?? created;
    const wait = agentWaitState(token, clusters.value, now);
    return (
      <div class="space-y-5" data-testid="agent-install">
        <WaitIndicator state={wait.state} clusterId={wait.clusterId} name={name} />
        <InstallPrerequisites image={createdImage} />
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

      <details
        open={advanced}
        onToggle={(e) => setAdvanced((e.currentTarget as HTMLDetailsElement).open)}
        class="rounded-lg border border-slate-200 dark:border-slate-800"
        data-testid="agent-advanced"
      >
        <summary class="cursor-pointer select-none px-3 py-2 text-sm font-medium text-slate-700 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-slate-300">
          Advanced: agent image
        </summary>
        <div class="space-y-4 border-t border-slate-200 px-3 py-3 dark:border-slate-800">
          <div>
            <label for="agent-image" class={labelClass}>Image</label>
            <input
              id="agent-image"
              class={`${inputClass} mt-1.5 font-mono`}
              placeholder={agentImage}
              autoComplete="off"
              spellcheck={false}
              aria-invalid={imageError ? "true" : undefined}
              aria-describedby="agent-image-help agent-image-error"
              value={image}
              onInput={(e) => {
                const v = (e.target as HTMLInputElement).value;
                setImage(v);
                setImageError(agentImageFields(v, "", agentImage).imageError);
              }}
            />
            <p id="agent-image-help" class="mt-1.5 text-xs text-slate-500 dark:text-slate-400">
              For a private registry or an air-gapped mirror: registry[:port]/path[:tag][@sha256:…].
              Empty: this dashboard's default, <code class="font-mono">{agentImage}</code>.
            </p>
            <FieldError id="agent-image-error" message={imageError} />
          </div>
          <div>
            <label for="agent-pull-secrets" class={labelClass}>Image pull Secrets</label>
            <input
              id="agent-pull-secrets"
              class={`${inputClass} mt-1.5 font-mono`}
              placeholder="regcred"
              autoComplete="off"
              spellcheck={false}
              aria-invalid={pullSecretsError ? "true" : undefined}
              aria-describedby="agent-pull-secrets-help agent-pull-secrets-error"
              value={pullSecrets}
              onInput={(e) => {
                const v = (e.target as HTMLInputElement).value;
                setPullSecrets(v);
                setPullSecretsError(agentImageFields("", v, agentImage).pullSecretsError);
              }}
            />
            <p
              id="agent-pull-secrets-help"
              class="mt-1.5 text-xs text-slate-500 dark:text-slate-400"
            >
              Names of docker-registry Secrets in the agent's namespace, separated by commas (at
              most 8). Create them there before installing.
            </p>
            <FieldError id="agent-pull-secrets-error" message={pullSecretsError} />
          </div>
        </div>
      </details>

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

/** What the admin's machine needs to run the command, and the image it installs. */
function InstallPrerequisites({ image }: { image: string }) {
  return (
    <div
      class="rounded-lg bg-slate-50 px-3 py-2.5 text-xs text-slate-600 dark:bg-slate-800/60 dark:text-slate-300"
      data-testid="install-prerequisites"
    >
      <p class="font-semibold text-slate-700 dark:text-slate-200">Before you run it, you need</p>
      <ul class="mt-1 list-disc space-y-0.5 pl-4">
        {INSTALL_PREREQUISITES.map((p) => <li key={p}>{p}</li>)}
      </ul>
      <p class="mt-2">
        It installs the agent image{" "}
        <code class="font-mono break-all" data-testid="install-image">{image}</code>. The command
        checks the dashboard's certificate and the script's SHA-256 before running it, asks before
        installing into your current context and waits until the agent has connected.
      </p>
    </div>
  );
}
