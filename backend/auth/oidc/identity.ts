// Who a verified ID token says the person is, in the dashboard's terms: the username (from
// OIDC_USERNAME_CLAIM, else `email`, lowercased), the groups (OIDC_GROUPS_CLAIM, lowercased; names
// the dashboard cannot carry are left out), whether they may sign in at all (OIDC_ALLOWED_GROUPS)
// and their role (the highest OIDC_ROLE_MAPPING role of their groups, else OIDC_DEFAULT_ROLE).
// This is the group source for single-sign-on users: the groups land in users.groups, which feed
// the per-cluster role bindings and the groups impersonated on clusters.
import type { JWTPayload } from "jose";
import { type GlobalRole, higher } from "../roles.ts";
import { GROUP_PATTERN, USERNAME_PATTERN } from "../names.ts";
import type { OidcConfig } from "./config.ts";

/** The most groups kept for one person (sorted; the rest are left out and logged). */
export const MAX_SSO_GROUPS = 256;

export interface SsoIdentity {
  issuer: string;
  subject: string;
  username: string;
  groups: string[];
  role: GlobalRole;
  /** Group names the dashboard could not carry (logged, not an error). */
  droppedGroups: number;
}

/** A person the provider signed in whom the dashboard does not let in (403, message shown). */
export class NotAllowed extends Error {}

function claimGroups(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === "string");
  return [];
}

export function identityFromClaims(
  claims: JWTPayload,
  config: Pick<
    OidcConfig,
    "usernameClaim" | "groupsClaim" | "allowedGroups" | "roleMapping" | "defaultRole"
  >,
): SsoIdentity {
  const named = claims[config.usernameClaim] ?? claims.email;
  if (typeof named !== "string" || named === "") {
    throw new NotAllowed(
      `the provider's ID token has no ${config.usernameClaim} (or email) claim to name your ` +
        "dashboard account; ask the dashboard's administrator to set OIDC_USERNAME_CLAIM",
    );
  }
  const username = named.toLowerCase();
  if (!USERNAME_PATTERN.test(username)) {
    throw new NotAllowed(
      `your ${config.usernameClaim} ${JSON.stringify(named)} cannot be a dashboard username ` +
        "(1-63 lowercase letters, digits, '.', '_', '@' or '-'); ask the dashboard's " +
        "administrator to set OIDC_USERNAME_CLAIM to another claim",
    );
  }
  const all = [...new Set(claimGroups(claims[config.groupsClaim]).map((g) => g.toLowerCase()))];
  const valid = all.filter((g) => GROUP_PATTERN.test(g)).sort();
  const groups = valid.slice(0, MAX_SSO_GROUPS);
  if (config.allowedGroups.length && !config.allowedGroups.some((g) => groups.includes(g))) {
    throw new NotAllowed(
      // Which groups are allowed is the administrator's to know (it is in the log), not the page's.
      `${username} is not in a group allowed to use this dashboard; ask your administrator for ` +
        "access",
    );
  }
  let role: GlobalRole | null = null;
  for (const g of groups) role = higher(role, config.roleMapping.get(g) ?? null);
  return {
    issuer: String(claims.iss),
    subject: String(claims.sub),
    username,
    groups,
    role: role ?? config.defaultRole,
    droppedGroups: all.length - groups.length,
  };
}
