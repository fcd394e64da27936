// What a page's actions need from a cluster's authorizer, as SelfSubjectAccessReviews
// (authorization.k8s.io/v1): the attributes of each action a page offers (on an object: update,
// delete, for pods exec, attach and logs, for workloads scale and patch; on a list: delete and
// create), the review body to POST, reading the cluster's answer, and the wording of a denial.
// Pure: the server's web/routes/permissions.ts sends the reviews and caches the answers; islands
// get `Access`.

import type { ResourceRef } from "./paths.ts";
import { workloadActions } from "./workloads.ts";
import type { ClusterRole } from "../types.ts";

/** The API path a SelfSubjectAccessReview is created at (every authenticated user may). */
export const SSAR_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

/**
 * An action a page offers. `scale`: the workload's scale subresource (`patch`, else `update`, on
 * `<resource>/scale`); `patch`: a patch of the object itself (a workload's rollout restart,
 * pause/resume, rollback).
 */
export type Action = "update" | "delete" | "create" | "exec" | "attach" | "log" | "patch" | "scale";

/** Whether a person may take an action, as the pages show it (and islands receive it). */
export interface Access {
  /** False: the control is disabled (or, with a separate explanation, hidden). */
  allowed: boolean;
  /** Why not (the hover text of a disabled control); on an allowed action, a caveat. */
  reason?: string;
  /** The cluster could not be asked: the action stays enabled, the cluster decides. */
  unknown?: boolean;
  /**
   * For an action the cluster allows by either of two verbs (scale: patch or update), the one it
   * allows, when it is not the first.
   */
  verb?: string;
}

/** The answers for some actions. */
export type Permissions = Partial<Record<Action, Access>>;

/** authorization.k8s.io/v1 ResourceAttributes. */
export interface ResourceAttributes {
  verb: string;
  group: string;
  version?: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface SelfSubjectAccessReview {
  apiVersion: "authorization.k8s.io/v1";
  kind: "SelfSubjectAccessReview";
  spec: { resourceAttributes: ResourceAttributes };
}

/** The cluster's decision on one review. */
export interface ReviewAnswer {
  allowed: boolean;
  /** An authorizer denied it outright (not merely no rule allowing it). */
  denied: boolean;
  reason: string;
  evaluationError: string;
}

/** Actions that change the cluster (a dashboard viewer may take none of them). */
const WRITES: ReadonlySet<Action> = new Set([
  "update",
  "delete",
  "create",
  "exec",
  "attach",
  "patch",
  "scale",
]);

export function isWrite(action: Action): boolean {
  return WRITES.has(action);
}

/** Pod actions (a pod's subresources); the rest act on the page's resource itself. */
const POD_ACTIONS: Record<"exec" | "attach" | "log", { verb: string; subresource: string }> = {
  exec: { verb: "create", subresource: "exec" },
  attach: { verb: "create", subresource: "attach" },
  log: { verb: "get", subresource: "log" },
};

export const isPodResource = (r: Pick<ResourceRef, "group" | "resource">) =>
  r.group === "" && r.resource === "pods";

/**
 * The actions an object's page offers: update (Edit YAML) and delete when the resource serves
 * them, for a pod also exec, attach (the Shell tab) and its logs, and for a workload (lib/k8s/
 * workloads.ts) scale and patch (restart, pause/resume, rollback) where they apply.
 */
export function objectActions(r: Pick<ResourceRef, "group" | "resource" | "verbs">): Action[] {
  const out: Action[] = [];
  if (r.verbs.includes("update")) out.push("update");
  if (r.verbs.includes("delete")) out.push("delete");
  if (isPodResource(r)) out.push("exec", "attach", "log");
  const workload = workloadActions(r);
  if (workload.includes("scale")) out.push("scale");
  if (workload.some((a) => a !== "scale")) out.push("patch");
  return out;
}

/** The actions a list's page can offer: per-row delete and create, when the resource serves them. */
export function listActions(r: Pick<ResourceRef, "verbs">): Action[] {
  return (["delete", "create"] as const).filter((v) => r.verbs.includes(v));
}

/**
 * The attributes of an action on a resource: `namespace` "" or null asks across all namespaces
 * (or a cluster-scoped resource), `name` null asks for any object (a list's create, say).
 */
export function attributesFor(
  action: Action,
  r: Pick<ResourceRef, "group" | "resource" | "namespaced">,
  namespace: string | null,
  name: string | null,
): ResourceAttributes {
  const pod = action === "exec" || action === "attach" || action === "log"
    ? POD_ACTIONS[action]
    : null;
  const attrs: ResourceAttributes = {
    verb: pod ? pod.verb : action === "scale" ? "patch" : action,
    group: pod ? "" : r.group,
    resource: pod ? "pods" : r.resource,
  };
  if (pod) attrs.subresource = pod.subresource;
  if (action === "scale") attrs.subresource = "scale";
  if ((pod || r.namespaced) && namespace) attrs.namespace = namespace;
  if (name && action !== "create") attrs.name = name;
  return attrs;
}

/**
 * The reviews an action needs, any one allowing suffices, asked in order: for scale `patch` on
 * `<resource>/scale`, else `update` on it (the scale dialog then GETs and PUTs the Scale); one
 * review for every other action.
 */
export function reviewsFor(
  action: Action,
  r: Pick<ResourceRef, "group" | "resource" | "namespaced">,
  namespace: string | null,
  name: string | null,
): ResourceAttributes[] {
  const first = attributesFor(action, r, namespace, name);
  return action === "scale" ? [first, { ...first, verb: "update" }] : [first];
}

/** The review to POST at SSAR_PATH. */
export function accessReview(attrs: ResourceAttributes): SelfSubjectAccessReview {
  return {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    spec: { resourceAttributes: { ...attrs } },
  };
}

/** A stable key of attributes (the permission cache's). */
export function attributesKey(a: ResourceAttributes): string {
  return JSON.stringify([
    a.verb,
    a.group,
    a.resource,
    a.subresource ?? "",
    a.namespace ?? "",
    a.name ?? "",
  ]);
}

/** Reads a review's answer; throws when the body is no SelfSubjectAccessReview with a status. */
export function readAccessReview(body: unknown): ReviewAnswer {
  const status = (body as { status?: unknown } | null)?.status as
    | { allowed?: unknown; denied?: unknown; reason?: unknown; evaluationError?: unknown }
    | undefined;
  if (
    !body || typeof body !== "object" ||
    (body as { kind?: unknown }).kind !== "SelfSubjectAccessReview" ||
    !status || typeof status !== "object" || typeof status.allowed !== "boolean"
  ) {
    throw new Error("the cluster's answer is not a SelfSubjectAccessReview with a status");
  }
  const denied = status.denied === true;
  return {
    // "denied" wins: an authorizer that denies outright ends the decision.
    allowed: status.allowed && !denied,
    denied,
    reason: typeof status.reason === "string" ? status.reason.trim() : "",
    evaluationError: typeof status.evaluationError === "string"
      ? status.evaluationError.trim()
      : "",
  };
}

/** "delete on configmaps", "create on pods/exec", "update on deployments.apps". */
export function describeAttributes(a: ResourceAttributes): string {
  const resource = `${a.resource}${a.group ? `.${a.group}` : ""}${
    a.subresource ? `/${a.subresource}` : ""
  }`;
  return `${a.verb} on ${resource}`;
}

/** Who a cluster sees acting, in a denial's words. */
export function identityOf(
  cluster: { impersonate?: boolean; connection_type?: string },
): string {
  if (cluster.impersonate) return "you";
  const which = cluster.connection_type === "agent"
    ? "the agent's ServiceAccount"
    : cluster.connection_type === "kubeconfig"
    ? "the kubeconfig's user"
    : "the agent's ServiceAccount or the kubeconfig's user";
  return `the dashboard's identity on this cluster (${which})`;
}

/** The hover text of an action the cluster denied: its own reason, else what RBAC refused. */
export function denialReason(
  answer: Pick<ReviewAnswer, "reason">,
  attrs: ResourceAttributes,
  cluster: { impersonate?: boolean; connection_type?: string },
): string {
  if (answer.reason) return answer.reason;
  return `the cluster's RBAC does not allow ${describeAttributes(attrs)} for ${
    identityOf(cluster)
  }`;
}

/** The person's role on a cluster: the cluster's my_role, else their global role. */
export function roleOn(
  cluster: { my_role?: ClusterRole },
  user: { role: string },
): ClusterRole {
  if (cluster.my_role) return cluster.my_role;
  return user.role === "admin" || user.role === "editor" ? user.role : "viewer";
}

/** The dashboard's own rule: a viewer on a cluster may only read. */
export const VIEWER_REASON = "your role on this cluster is viewer: read only";

/** The caveat of an action the cluster could not be asked about (it stays enabled). */
export function unknownReason(detail: string): string {
  return `the dashboard could not ask the cluster whether this is allowed (${detail}); ` +
    "the cluster still decides when you try";
}

/** The attributes a control's hover text and state come from. */
export function controlProps(access: Access | undefined): {
  disabled: boolean;
  "aria-disabled"?: "true";
  title?: string;
} {
  if (!access) return { disabled: false };
  if (!access.allowed) {
    return { disabled: true, "aria-disabled": "true", title: access.reason ?? "not allowed" };
  }
  return access.reason ? { disabled: false, title: access.reason } : { disabled: false };
}

/** Per-row access on a list: one answer for the rows, and on all-namespaces lists per namespace. */
export interface RowAccess {
  /** The answer for the list's namespace (or across all namespaces). */
  all: Access;
  /**
   * On an all-namespaces list that the cluster does not allow as a whole: the answer in each
   * namespace of the first rows. A row of another namespace gets `all` (then: unknown, enabled;
   * the cluster decides).
   */
  byNamespace?: Record<string, Access>;
}

/** The access of a row of a list. */
export function rowAccess(access: RowAccess, namespace: string): Access {
  return access.byNamespace?.[namespace] ?? access.all;
}
