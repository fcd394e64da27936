// Validation of the page-route parameters the web UI builds Kubernetes API paths from (group,
// version, resource, namespace, object name; and API-server-supplied group versions). Route
// params arrive decoded, so `v1%2F..%2F..%2Flogs` is "v1/../../logs": every segment must match
// Kubernetes' own naming rules before any path is built, and a failure names the bad segment.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
// Control characters (C0, DEL, C1), both slashes and the percent sign: never in a path segment.
// deno-lint-ignore no-control-regex
const UNSAFE_NAME_CHAR = /[\u0000-\u001f\u007f-\u009f/\\%]/;

/** The "core" page segment or a DNS-1123 subdomain (apps, rbac.authorization.k8s.io). */
export function isGroupSegment(s: string): boolean {
  return s === "core" ||
    (s.length <= 253 && s.split(".").every((l) => l.length <= 63 && DNS1123_LABEL.test(l)));
}

/** An API version: a DNS-1035 label such as v1, v1beta1, v2alpha1 (CRDs may name others). */
export function isVersionSegment(s: string): boolean {
  return s.length <= 63 && DNS1035_LABEL.test(s);
}

/** A resource (plural) name: a DNS-1123 label, e.g. pods, customresourcedefinitions. */
export function isResourceSegment(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** A namespace: a DNS-1123 label. */
export function isNamespace(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/**
 * An object name as Kubernetes accepts it in a path (ValidatePathSegmentName): 1–253 characters,
 * not "." or "..", no "/" or "%"; control characters and backslashes are refused as well.
 */
export function isObjectName(s: string): boolean {
  return s.length >= 1 && s.length <= 253 && s !== "." && s !== ".." &&
    !UNSAFE_NAME_CHAR.test(s);
}

/** A group version from discovery: "v1" or "<group>/<version>". */
export function isGroupVersion(s: string): boolean {
  const parts = s.split("/");
  if (parts.length === 1) return isVersionSegment(parts[0]);
  return parts.length === 2 && parts[0] !== "core" && isGroupSegment(parts[0]) &&
    isVersionSegment(parts[1]);
}

/** A route parameter that failed validation: which one, and the rule it broke. */
export class InvalidParamError extends Error {
  constructor(readonly param: string, readonly value: string, rule: string) {
    super(`The ${param} "${printable(value)}" in this address is not valid: ${rule}.`);
  }
}

function printable(s: string): string {
  const cut = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  // deno-lint-ignore no-control-regex
  return cut.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}

export interface ResourceParams {
  group: string;
  version: string;
  resource: string;
  /** The object page's namespace segment ("_" for cluster-scoped objects). */
  ns?: string;
  name?: string;
  /** The list page's ?ns= query (empty: all namespaces). */
  nsQuery?: string;
}

/**
 * The one check for page-route params before any API path is built from them; throws
 * InvalidParamError naming the first bad segment. Returns the params unchanged when valid.
 */
export function validateResourceParams<P extends ResourceParams>(p: P): P {
  const rules: Array<[string, string | undefined, (s: string) => boolean, string]> = [
    [
      "API group",
      p.group,
      isGroupSegment,
      'expected "core" or a DNS-1123 subdomain such as apps or rbac.authorization.k8s.io',
    ],
    [
      "API version",
      p.version,
      isVersionSegment,
      "expected a version such as v1, v1beta1 or v2alpha1",
    ],
    [
      "resource",
      p.resource,
      isResourceSegment,
      "expected a lowercase resource name such as pods or deployments",
    ],
    [
      "namespace",
      p.ns,
      (s) => s === "_" || isNamespace(s),
      'expected a namespace name (a DNS-1123 label) or "_"',
    ],
    [
      "namespace",
      p.nsQuery,
      (s) => s === "" || isNamespace(s),
      "expected a namespace name (a DNS-1123 label)",
    ],
    [
      "object name",
      p.name,
      isObjectName,
      'expected 1-253 characters without "/", "\\", "%" or control characters, and not "." or ".."',
    ],
  ];
  for (const [param, value, ok, rule] of rules) {
    if (value !== undefined && !ok(value)) throw new InvalidParamError(param, value, rule);
  }
  return p;
}
