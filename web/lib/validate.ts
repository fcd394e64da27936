// Client-side validation that mirrors the API's rules, so forms say what is wrong before a
// request is sent. The API stays the authority: its messages are shown as they come.

/** The API's cluster name rule (a DNS-1123 label). */
export const CLUSTER_NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** null when valid, else a sentence saying how to fix it. */
export function validateClusterName(name: string): string | null {
  if (name.length === 0) return "Enter a name for the cluster.";
  if (name.length > 63) return `Use at most 63 characters (this one has ${name.length}).`;
  if (/[A-Z]/.test(name)) return "Use lowercase letters only.";
  if (/[^a-z0-9-]/.test(name)) return "Use only lowercase letters, digits and '-'.";
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) {
    return "Start and end with a letter or digit.";
  }
  return CLUSTER_NAME_RE.test(name) ? null : "Use 1-63 lowercase letters, digits and '-'.";
}

/** Suggests a valid cluster name from free text (a kubeconfig context, a file name). */
export function suggestClusterName(text: string): string {
  return text.toLowerCase().replace(/\.(kubeconfig|ya?ml|conf)$/, "").replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
}

export const KUBECONFIG_MAX_BYTES = 512 * 1024;

/** Cheap checks before the server parses the kubeconfig. */
export function validateKubeconfigText(text: string): string | null {
  if (text.trim() === "") return "Paste a kubeconfig or choose a file.";
  if (new TextEncoder().encode(text).length > KUBECONFIG_MAX_BYTES) {
    return "The kubeconfig is larger than 512 KiB.";
  }
  if (!/\bclusters\s*:/.test(text) && !/"clusters"\s*:/.test(text)) {
    return "This does not look like a kubeconfig: it has no 'clusters:' section.";
  }
  return null;
}

/** The API's personal token name rule. */
export function validateTokenName(name: string): string | null {
  if (name.trim() === "") return "Enter a name.";
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/.test(name)) {
    return "Use 1-63 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit.";
  }
  return null;
}

/** The base `safeNext` resolves against: only the path it yields is ever used. */
const SAME_ORIGIN_BASE = "http://dashboard.invalid";
/**
 * Characters a page path never needs and browsers treat specially: C0/C1 controls (a browser
 * drops tab, LF and CR inside a URL, so `/\tapi/` becomes `/api/` and `/\t/host` becomes
 * `//host`), backslashes (read as `/`), any whitespace, and invisible format characters.
 */
const UNSAFE_IN_NEXT = /[\p{Cc}\p{Cf}\s\\]/u;
/**
 * Top-level paths that are not pages: the REST API, the login page itself and single sign-on's
 * start and callback (/auth/oidc/…, a step of signing in, never a place to land).
 */
const NOT_PAGES = new Set(["api", "login", "auth"]);

/**
 * A `next` redirect target that stays on this site and is a page (no open redirects, no API
 * URLs): a path starting with one `/`, resolved with `new URL(next, origin)` and accepted only
 * when it keeps that origin; anything else gives `fallback`. Returns the normalised path.
 */
export function safeNext(
  next: string | null | undefined,
  fallback = "/clusters",
  origin = SAME_ORIGIN_BASE,
): string {
  if (!next || next.length > 2048 || UNSAFE_IN_NEXT.test(next)) return fallback;
  if (!next.startsWith("/") || next.startsWith("//")) return fallback;
  let url: URL;
  let base: URL;
  try {
    base = new URL(origin);
    url = new URL(next, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base.origin) return fallback;
  // What the server routes on: the path with its escapes decoded (`/%61pi/` is `/api/`).
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return fallback;
  }
  if (UNSAFE_IN_NEXT.test(decoded) || decoded.startsWith("//")) return fallback;
  if (NOT_PAGES.has(decoded.split("/")[1].toLowerCase())) return fallback;
  return url.pathname + url.search + url.hash;
}
