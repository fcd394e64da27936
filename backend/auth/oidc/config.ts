// The single-sign-on settings (OIDC_* environment variables, docs/configuration.md "Single
// sign-on"), validated at start with messages that say what to fix. The client secret is read
// from the environment only, never from a flag.
import { type GlobalRole, globalRoles } from "../roles.ts";
import { GROUP_PATTERN } from "../names.ts";

export interface OidcConfig {
  /** The issuer URL exactly as the provider names itself (its discovery document's `issuer`). */
  issuerUrl: string;
  clientId: string;
  /** Absent: a public client (PKCE only, token endpoint auth `none`). */
  clientSecret?: string;
  /** The name on the sign-in button. */
  providerName: string;
  scopes: string[];
  /** The ID token claim that names the dashboard user (falls back to `email` when absent). */
  usernameClaim: string;
  /** The ID token claim that lists the person's groups. */
  groupsClaim: string;
  /** Only members of one of these groups may sign in; empty: anyone the provider signs in. */
  allowedGroups: string[];
  /** Provider group → dashboard role; a person gets the highest role of their groups. */
  roleMapping: Map<string, GlobalRole>;
  /** The role of a person none of whose groups is mapped. */
  defaultRole: GlobalRole;
}

/** A setting that is wrong, with what to do about it (the caller's ConfigError). */
export type Problem = (message: string) => Error;

const DEFAULT_SCOPES = "openid profile email groups";

/** Splits a comma-separated list, trimming blanks. */
function list(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function role(name: string, value: string, problem: Problem): GlobalRole {
  if (!(globalRoles as readonly string[]).includes(value)) {
    throw problem(
      `${name}: ${JSON.stringify(value)} is not a role (use ${globalRoles.join(", ")})`,
    );
  }
  return value as GlobalRole;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The single-sign-on settings from `get` (environment, then flags), or undefined when
 * OIDC_ISSUER_URL is unset; throws problem(...) for a wrong or missing setting.
 */
export function loadOidcConfig(
  get: (name: string) => string | undefined,
  problem: Problem,
): OidcConfig | undefined {
  const issuerUrl = get("OIDC_ISSUER_URL")?.replace(/\/+$/, "");
  if (issuerUrl === undefined) {
    const stray = [
      "OIDC_CLIENT_ID",
      "OIDC_CLIENT_SECRET",
      "OIDC_ALLOWED_GROUPS",
      "OIDC_ROLE_MAPPING",
    ].filter((n) => get(n) !== undefined);
    if (stray.length) {
      throw problem(
        `${stray.join(", ")} set without OIDC_ISSUER_URL: set the provider's issuer URL`,
      );
    }
    return undefined;
  }
  const issuer = URL.parse(issuerUrl);
  if (
    !issuer || issuer.search || issuer.hash || issuer.username || issuer.password ||
    !(issuer.protocol === "https:" || (issuer.protocol === "http:" && isLoopback(issuer.hostname)))
  ) {
    throw problem(
      `OIDC_ISSUER_URL=${JSON.stringify(issuerUrl)} must be the provider's https issuer URL ` +
        "without query (http only for localhost), e.g. https://login.example.com/realms/ops",
    );
  }
  const clientId = get("OIDC_CLIENT_ID");
  if (!clientId) {
    throw problem(
      "OIDC_CLIENT_ID is required with OIDC_ISSUER_URL: the client id registered at the provider",
    );
  }
  const scopes = list((get("OIDC_SCOPES") ?? DEFAULT_SCOPES).replaceAll(" ", ","));
  if (!scopes.includes("openid")) {
    throw problem(`OIDC_SCOPES=${JSON.stringify(get("OIDC_SCOPES"))} must include openid`);
  }
  const claim = (name: string, fallback: string) => {
    const value = get(name) ?? fallback;
    if (!/^[A-Za-z0-9_.:/-]{1,128}$/.test(value)) {
      throw problem(`${name}=${JSON.stringify(value)} is not a claim name`);
    }
    return value;
  };
  const group = (name: string, g: string) => {
    if (!GROUP_PATTERN.test(g)) {
      throw problem(
        `${name}: group ${JSON.stringify(g)}: use the provider's group name in lowercase ` +
          "(1-63 letters, digits, '.', '_', ':', '@' or '-')",
      );
    }
    return g;
  };
  const roleMapping = new Map<string, GlobalRole>();
  for (const pair of list(get("OIDC_ROLE_MAPPING"))) {
    const m = /^(.+)=([a-z]+)$/.exec(pair);
    if (!m) {
      throw problem(
        `OIDC_ROLE_MAPPING: ${JSON.stringify(pair)} is not group=role ` +
          "(example: platform-admins=admin,developers=editor)",
      );
    }
    roleMapping.set(
      group("OIDC_ROLE_MAPPING", m[1].trim()),
      role("OIDC_ROLE_MAPPING", m[2], problem),
    );
  }
  return {
    issuerUrl,
    clientId,
    clientSecret: get("OIDC_CLIENT_SECRET"),
    providerName: get("OIDC_PROVIDER_NAME") ?? issuer.host,
    scopes,
    usernameClaim: claim("OIDC_USERNAME_CLAIM", "preferred_username"),
    groupsClaim: claim("OIDC_GROUPS_CLAIM", "groups"),
    allowedGroups: list(get("OIDC_ALLOWED_GROUPS")).map((g) => group("OIDC_ALLOWED_GROUPS", g)),
    roleMapping,
    defaultRole: role("OIDC_DEFAULT_ROLE", get("OIDC_DEFAULT_ROLE") ?? "none", problem),
  };
}
