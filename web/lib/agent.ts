// Agent install helpers: the permission presets and what each grants in plain words, the
// custom rules editor's parsing and validation, and display helpers for install commands.
import type { AgentPermissions, PolicyRule, RuleVerb } from "./types.ts";
import { RBAC_VERBS } from "../../common/rbac_verbs.ts";

export interface PresetInfo {
  id: AgentPermissions;
  title: string;
  summary: string;
  grants: string[];
  denies: string[];
}

export const PERMISSION_PRESETS: readonly PresetInfo[] = [
  {
    id: "read-only",
    title: "Read-only",
    summary: "View everything except Secrets.",
    grants: ["get, list and watch every resource, including custom resources", "read pod logs"],
    denies: ["Secrets", "any change (create, update, patch, delete)"],
  },
  {
    id: "operator",
    title: "Operator",
    summary: "Read-only, plus manage common workloads and their configuration.",
    grants: [
      "everything Read-only grants",
      "create, update, patch and delete Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods, Services, Ingresses, ConfigMaps, PersistentVolumeClaims and HorizontalPodAutoscalers",
    ],
    denies: ["Secrets", "RBAC (Roles, Bindings)", "impersonation"],
  },
  {
    id: "admin",
    title: "Admin",
    summary: "Full control: the agent runs as cluster-admin.",
    grants: ["every verb on every resource (cluster-admin)"],
    denies: [],
  },
  {
    id: "custom",
    title: "Custom",
    summary: "Only the rules you write below.",
    grants: ["exactly the RBAC rules below"],
    denies: ["everything the rules do not name"],
  },
];

export function presetInfo(id: string): PresetInfo | undefined {
  return PERMISSION_PRESETS.find((p) => p.id === id);
}

export const RULE_VERBS = RBAC_VERBS;

/** One row of the rules editor, as typed. */
export interface RuleDraft {
  apiGroups: string;
  resources: string;
  verbs: string[];
  resourceNames: string;
}

export const emptyRule = (): RuleDraft => ({
  apiGroups: "",
  resources: "",
  verbs: ["get", "list", "watch"],
  resourceNames: "",
});

/** "apps, batch" → ["apps","batch"]; "core" and "" mean the core group (""). */
export function splitList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];
}

function groupsOf(text: string): string[] {
  const groups = splitList(text).map((g) => (g === "core" || g === '""' ? "" : g));
  return groups.length ? groups : [""];
}

const RESOURCE_RE = /^(\*|[a-z0-9]([a-z0-9.-]*[a-z0-9])?(\/[a-z0-9*]+)?)$/;
const GROUP_RE = /^(\*|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)?$/;
const VERB_SET = new Set<string>([...RULE_VERBS, "*"]);
const isRuleVerb = (v: string): v is RuleVerb => VERB_SET.has(v);

export interface RulesResult {
  rules: PolicyRule[];
  /** Errors by rule index (-1: about the whole list). */
  errors: { index: number; message: string }[];
}

/** Validates the editor's rows and turns them into Kubernetes PolicyRules. */
export function buildRules(drafts: RuleDraft[]): RulesResult {
  const errors: RulesResult["errors"] = [];
  const rules: PolicyRule[] = [];
  if (drafts.length === 0) errors.push({ index: -1, message: "Add at least one rule." });
  drafts.forEach((d, index) => {
    const apiGroups = groupsOf(d.apiGroups);
    const resources = splitList(d.resources);
    const resourceNames = splitList(d.resourceNames);
    const n = `Rule ${index + 1}`;
    if (resources.length === 0) {
      errors.push({ index, message: `${n}: name at least one resource (e.g. pods, deployments).` });
    }
    const badRes = resources.find((r) => !RESOURCE_RE.test(r));
    if (badRes) {
      errors.push({
        index,
        message:
          `${n}: "${badRes}" is not a resource name (lowercase plural, e.g. pods or pods/log).`,
      });
    }
    const badGroup = apiGroups.find((g) => !GROUP_RE.test(g));
    if (badGroup !== undefined) {
      errors.push({
        index,
        message: `${n}: "${badGroup}" is not an API group (e.g. apps, batch, core).`,
      });
    }
    if (d.verbs.length === 0) errors.push({ index, message: `${n}: choose at least one verb.` });
    const badVerb = d.verbs.find((v) => !VERB_SET.has(v));
    if (badVerb) errors.push({ index, message: `${n}: unknown verb "${badVerb}".` });
    if (
      resourceNames.length && d.verbs.some((v) => v === "list" || v === "watch" || v === "create")
    ) {
      errors.push({
        index,
        message:
          `${n}: resource names cannot limit list, watch or create; remove them or those verbs.`,
      });
    }
    const rule: PolicyRule = { apiGroups, resources, verbs: d.verbs.filter(isRuleVerb) };
    if (resourceNames.length) rule.resourceNames = resourceNames;
    rules.push(rule);
  });
  return { rules, errors };
}

/** A plain-words line for one rule: "get, list on pods, services (core)". */
export function describeRule(r: PolicyRule): string {
  const groups = r.apiGroups.map((g) => (g === "" ? "core" : g === "*" ? "all groups" : g)).join(
    ", ",
  );
  const verbs = r.verbs.includes("*") ? "every verb" : r.verbs.join(", ");
  const res = r.resources.includes("*") ? "all resources" : r.resources.join(", ");
  const names = r.resourceNames?.length ? ` named ${r.resourceNames.join(", ")}` : "";
  return `${verbs} on ${res}${names} (${groups})`;
}

/**
 * Breaks a long shell command into continuation lines at each " --flag" or " | " for display.
 * Copying uses the original one-line command.
 */
export function displayCommand(cmd: string, width = 80): string {
  if (cmd.length <= width) return cmd;
  const parts = cmd.split(/ (?=--[a-zA-Z])| (?=\| )/);
  return parts.join(" \\\n  ");
}

/** What the waiting indicator shows for an agent token and the clusters seen so far. */
export type WaitState = "waiting" | "connecting" | "connected" | "expired" | "revoked";

export function agentWaitState(
  token: { cluster_name: string; cluster_id?: string | null; state?: string; expires_at: string },
  clusters: { id: string; name: string; connection_type: string; status: string }[],
  now: number,
): { state: WaitState; clusterId: string | null } {
  const match = clusters.find((
    c,
  ) => (token.cluster_id
    ? c.id === token.cluster_id
    : c.name === token.cluster_name && c.connection_type === "agent")
  );
  if (match?.status === "connected") return { state: "connected", clusterId: match.id };
  if (token.state === "revoked") return { state: "revoked", clusterId: null };
  if (match) return { state: "connecting", clusterId: match.id };
  if (token.state === "expired" || Date.parse(token.expires_at) <= now) {
    return { state: "expired", clusterId: null };
  }
  return { state: "waiting", clusterId: null };
}
