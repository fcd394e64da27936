// Kubernetes API paths and the dashboard's page URLs for a resource: the group/version base,
// collection and object paths, the proxy prefix, and the explorer's list and object page URLs.

export interface ResourceRef {
  /** "" for the core group. */
  group: string;
  version: string;
  /** The plural resource name used in paths, e.g. "pods". */
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
}

export const CORE = "core";

/** Path segment for a group in page URLs ("core" for ""). */
export const groupSegment = (group: string) => (group === "" ? CORE : group);
export const groupFromSegment = (seg: string) => (seg === CORE ? "" : seg);

export function groupVersion(ref: Pick<ResourceRef, "group" | "version">): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/** /api/v1 or /apis/apps/v1 */
export function apiBase(ref: Pick<ResourceRef, "group" | "version">): string {
  return ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
}

const enc = encodeURIComponent;

/** Kubernetes API path of a collection, in one namespace or across all (ns empty). */
export function listPath(
  ref: Pick<ResourceRef, "group" | "version" | "resource" | "namespaced">,
  ns?: string,
): string {
  return ref.namespaced && ns
    ? `${apiBase(ref)}/namespaces/${enc(ns)}/${ref.resource}`
    : `${apiBase(ref)}/${ref.resource}`;
}

export function objectPath(
  ref: Pick<ResourceRef, "group" | "version" | "resource" | "namespaced">,
  ns: string | null | undefined,
  name: string,
): string {
  return `${listPath(ref, ref.namespaced ? ns ?? "" : undefined)}/${enc(name)}`;
}

/** The dashboard's proxy prefix for a cluster. */
export const proxyBase = (clusterId: string) => `/api/clusters/${clusterId}/k8s`;

/** Page URL of a resource list: /clusters/{id}/r/apps/v1/deployments?ns=default */
export function listUrl(
  clusterId: string,
  ref: Pick<ResourceRef, "group" | "version" | "resource">,
  ns?: string,
): string {
  const q = ns ? `?ns=${enc(ns)}` : "";
  return `/clusters/${clusterId}/r/${groupSegment(ref.group)}/${ref.version}/${ref.resource}${q}`;
}

/** Page URL of one object; cluster-scoped objects use "_" as namespace. */
export function objectUrl(
  clusterId: string,
  ref: Pick<ResourceRef, "group" | "version" | "resource">,
  ns: string | null | undefined,
  name: string,
  tab?: string,
): string {
  return `/clusters/${clusterId}/r/${groupSegment(ref.group)}/${ref.version}/${ref.resource}/${
    ns ? enc(ns) : "_"
  }/${enc(name)}${tab ? `?tab=${tab}` : ""}`;
}
