// The permission presets an agent can be installed with (they become the agent's ClusterRole
// through the Helm chart), and validation of custom RBAC rules.
import { z } from "zod";
import { RBAC_VERBS } from "../../../common/rbac_verbs.ts";

export const presets = ["read-only", "operator", "admin", "custom"] as const;
export type Preset = typeof presets[number];

const rbacName = z.string().min(1).max(253).regex(
  /^[A-Za-z0-9*.:/_-]+$/,
  "letters, digits, '*', '.', ':', '/', '_' or '-'",
);
const verb = z.enum([...RBAC_VERBS, "*"]);

export const policyRule = z.strictObject({
  apiGroups: z.array(
    z.string().max(253).regex(/^[a-z0-9.*-]*$/, "an API group such as '', 'apps' or '*'"),
  ).min(1).max(64),
  resources: z.array(rbacName).min(1).max(64),
  verbs: z.array(verb).min(1).max(9),
  resourceNames: z.array(rbacName).max(64).optional(),
});
export type PolicyRule = z.infer<typeof policyRule>;

export interface AgentPermissions {
  preset: Preset;
  rules?: PolicyRule[];
}

export function checkPermissions(
  preset: Preset,
  rules: PolicyRule[] | undefined,
): AgentPermissions {
  if (preset === "custom") {
    if (!rules?.length) throw new Error("permissions 'custom' needs at least one rule in rules");
    return { preset, rules };
  }
  if (rules?.length) {
    throw new Error(`rules are only accepted with permissions 'custom', not '${preset}'`);
  }
  return { preset };
}
