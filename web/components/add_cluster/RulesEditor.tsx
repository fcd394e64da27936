// Add Cluster → "Deploy Agent" → Custom: the editor of the agent's RBAC rules (groups,
// resources, verbs, optional names), with what each valid rule grants and each rule's errors.
import { Icon } from "../icons.tsx";
import { btn, inputClass, labelClass } from "../ui.tsx";
import {
  buildRules,
  describeRule,
  emptyRule,
  RULE_VERBS,
  type RuleDraft,
} from "../../lib/agent.ts";

export function RulesEditor(
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
