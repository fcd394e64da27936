// The user administration and password forms' rules, mirroring the API's (backend/auth): what a
// username, a new password, a group list and a cluster label selector may be, so the forms say
// what is wrong before a request is sent. The API stays the authority; its messages are shown.
import type { ClusterRole, Role } from "./types.ts";

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_GROUPS = 32;

export const ROLE_LABELS: Record<Role, string> = {
  admin: "Admin",
  editor: "Editor",
  viewer: "Viewer",
  none: "None",
};

/** What each global role gives, as the forms explain it. */
export const ROLE_HINTS: Record<Role, string> = {
  admin: "manages clusters and users; full access to every cluster",
  editor: "reads and changes resources on every cluster",
  viewer: "reads every cluster",
  none: "no cluster unless a cluster role below gives one",
};

export const CLUSTER_ROLES: readonly ClusterRole[] = ["viewer", "editor", "admin"];

/**
 * The API's username rule (backend/auth/names.ts USERNAME_PATTERN): '@' is allowed, as single
 * sign-on may name people by their email address.
 */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,62}$/;

/** null when valid, else a sentence saying how to fix it. */
export function validateUsername(name: string): string | null {
  if (name === "") return "Enter a username.";
  if (/[A-Z]/.test(name)) return "Use lowercase letters only.";
  if (!USERNAME_PATTERN.test(name)) {
    return "Use 1-63 lowercase letters, digits, '.', '_', '@' or '-', starting with a letter or " +
      "digit.";
  }
  return null;
}

/** null when valid, else a sentence saying how to fix it. */
export function validateNewPassword(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `Use at least ${MIN_PASSWORD_LENGTH} characters (this one has ${password.length}).`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  }
  return null;
}

const GROUP_NAME = /^[a-z0-9][a-z0-9._:@-]{0,62}$/;

/**
 * Groups typed as a list separated by commas, spaces or new lines: the names (unique, sorted),
 * or an error saying which name is wrong.
 */
export function parseGroups(text: string): { groups: string[] } | { error: string } {
  const names = [...new Set(text.split(/[\s,]+/).filter((g) => g !== ""))].sort();
  const bad = names.find((g) => !GROUP_NAME.test(g));
  if (bad !== undefined) {
    return {
      error: `“${bad}” is not a group name: use lowercase letters, digits, '.', '_', ':', '@' ` +
        "or '-', starting with a letter or digit (at most 63).",
    };
  }
  if (names.length > MAX_GROUPS) return { error: `At most ${MAX_GROUPS} groups.` };
  return { groups: names };
}

// Kubernetes label syntax: an optional DNS-subdomain prefix and "/", a name of at most 63; a
// value of at most 63 (may be empty).
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function validLabelKey(key: string): boolean {
  const slash = key.lastIndexOf("/");
  if (slash < 0) return LABEL_NAME.test(key);
  return LABEL_PREFIX.test(key.slice(0, slash)) && LABEL_NAME.test(key.slice(slash + 1));
}

/** `key=value[,key=value]` as a selector, or an error saying which pair is wrong. */
export function parseSelector(
  text: string,
): { selector: Record<string, string> } | { error: string } {
  const pairs = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
  if (pairs.length === 0) return { error: "Enter at least one label as key=value." };
  const selector = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq < 0) return { error: `“${pair}” is not key=value.` };
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (!validLabelKey(key)) return { error: `“${key}” is not a label key.` };
    if (!LABEL_VALUE.test(value)) return { error: `“${value}” is not a label value.` };
    if (selector.has(key) && selector.get(key) !== value) {
      return { error: `The label ${key} is given twice with different values.` };
    }
    selector.set(key, value);
  }
  // fromEntries defines own properties: any key stays a plain key.
  return { selector: Object.fromEntries(selector) };
}

/** A selector as people type it: `env=prod,team=web` (keys sorted). */
export function formatSelector(selector: Record<string, string>): string {
  return Object.keys(selector).sort().map((k) => `${k}=${selector[k]}`).join(",");
}

/** Whether a cluster's labels include every pair of the selector. */
export function selectorMatches(
  selector: Record<string, string>,
  labels: Record<string, string> | undefined,
): boolean {
  return Object.entries(selector).every(([k, v]) =>
    labels !== undefined && Object.hasOwn(labels, k) && labels[k] === v
  );
}

/** A random password for a new user or a reset (20 characters, about 119 bits). */
export function generatePassword(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const out: string[] = [];
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  while (out.length < 20) {
    for (const b of crypto.getRandomValues(new Uint8Array(32))) {
      if (b < limit && out.length < 20) out.push(alphabet[b % alphabet.length]);
    }
  }
  return out.join("");
}
