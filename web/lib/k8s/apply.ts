// Create / apply YAML (the Create / apply page, islands/ApplyYaml.tsx), the pure part: the typed
// text split into its `---` documents (a YAML error with its line), each checked as one Kubernetes
// object (apiVersion, kind, metadata.name), placed by the cluster's discovery (namespaced or not,
// the page's namespace by default), the server-side apply's path and content type, the objects
// cleaned of what the API server keeps for itself before they are compared as YAML, a 409's field
// manager conflicts, and what an apply did. Nothing here does I/O.
import { LineCounter, parseAllDocuments, stringify } from "yaml";
import { objectPath, type ResourceRef } from "./paths.ts";
import { diffLines, type LineDiff, splitLines } from "../line_diff.ts";

/** The field manager the dashboard's applies are recorded under (managedFields). */
export const FIELD_MANAGER = "kube-dashboard";
/** Server-side apply's patch type (the body may be YAML or JSON). */
export const APPLY_PATCH = "application/apply-patch+yaml";
/** At most this many documents in one apply. */
export const MAX_DOCUMENTS = 100;

/** A Kubernetes object as typed: a mapping with (at least) these. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string } & Record<string, unknown>;
  [key: string]: unknown;
}

/** One document of the typed text: its number (1-based), first line, and object or problem. */
export type ApplyDocument =
  & { index: number; line: number }
  & ({ ok: true; object: KubeObject } | { ok: false; error: string });

/** The first line of a YAML library message (its code frame follows a blank line). */
function firstLine(message: string): string {
  return message.split("\n")[0].replace(/:$/, "");
}

/**
 * The documents of a multi-document text, empty ones (only comments, only `---`) left out. A
 * document that does not parse, or is not one object with apiVersion, kind and metadata.name, is
 * a problem naming its line.
 */
export function splitDocuments(text: string): ApplyDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [];
  const out: ApplyDocument[] = [];
  for (const doc of list) {
    const contentStart = doc.contents?.range?.[0] ?? doc.range[0];
    const line = lineCounter.linePos(contentStart).line;
    if (doc.errors.length === 0 && doc.contents?.toJSON?.() == null) continue;
    const index = out.length + 1;
    if (doc.errors.length) {
      const e = doc.errors[0];
      const at = e.linePos?.[0]?.line;
      const msg = firstLine(e.message);
      out.push({
        index,
        line,
        ok: false,
        error: `YAML error${at && !/ at line \d+/.test(msg) ? ` at line ${at}` : ""}: ${msg}`,
      });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      out.push({ index, line, ok: false, error: `YAML error: ${(err as Error).message}` });
      continue;
    }
    const checked = checkObject(value);
    out.push(
      checked.ok
        ? { index, line, ok: true, object: checked.object }
        : { index, line, ok: false, error: `${checked.error} (document at line ${line})` },
    );
  }
  if (list.length === 0 && text.trim() !== "") {
    out.push({ index: 1, line: 1, ok: false, error: "YAML error: the text does not parse" });
  }
  return out;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/** One value as a Kubernetes object to apply, or what is missing. */
export function checkObject(value: unknown): { ok: true; object: KubeObject } | {
  ok: false;
  error: string;
} {
  if (!isRecord(value)) {
    return {
      ok: false,
      error: "a document must be one Kubernetes object (a mapping with apiVersion, kind, metadata)",
    };
  }
  if (value.kind === "List") {
    return { ok: false, error: "a List is not applied here: write its items as documents" };
  }
  const missing: string[] = [];
  if (typeof value.apiVersion !== "string" || !value.apiVersion) missing.push("apiVersion");
  if (typeof value.kind !== "string" || !value.kind) missing.push("kind");
  const meta = value.metadata;
  if (!isRecord(meta) || typeof meta.name !== "string" || !meta.name) missing.push("metadata.name");
  if (missing.length) {
    const generate = isRecord(meta) && typeof meta.generateName === "string";
    return {
      ok: false,
      error: `missing ${missing.join(", ")}${
        generate ? " (apply needs a name: generateName is not applied)" : ""
      }`,
    };
  }
  if (!parseApiVersion(value.apiVersion as string)) {
    return { ok: false, error: `apiVersion "${value.apiVersion}" is not group/version or version` };
  }
  const m = meta as Record<string, unknown>;
  if (m.namespace !== undefined && (typeof m.namespace !== "string" || !m.namespace)) {
    return { ok: false, error: "metadata.namespace must be a name" };
  }
  // They become path segments of the request: "..", "." or a "/" would name another object.
  for (const [field, v] of [["metadata.name", m.name], ["metadata.namespace", m.namespace]]) {
    if (typeof v === "string" && (v === "." || v === ".." || /[/%]/.test(v))) {
      return { ok: false, error: `${field} "${v}" cannot be ".", ".." or contain "/" or "%"` };
    }
  }
  return { ok: true, object: value as KubeObject };
}

/** "apps/v1" → {group: "apps", version: "v1"}; "v1" → core; anything else null. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } | null {
  const parts = apiVersion.split("/");
  if (parts.length === 1) {
    return /^v\d+[a-z0-9]*$/.test(parts[0]) ? { group: "", version: parts[0] } : null;
  }
  if (parts.length !== 2 || !DNS_SUBDOMAIN.test(parts[0]) || !/^v\d+[a-z0-9]*$/.test(parts[1])) {
    return null;
  }
  return { group: parts[0], version: parts[1] };
}

/** The resource of a kind among a group version's resources (parseResourceList), or null. */
export function findKind(refs: ResourceRef[], kind: string): ResourceRef | null {
  return refs.find((r) => r.kind === kind) ?? null;
}

/** An object placed: its resource, namespace (null: cluster-scoped) and the body to send. */
export interface Placed {
  ref: ResourceRef;
  namespace: string | null;
  name: string;
  body: KubeObject;
}

/**
 * Where an object goes: a namespaced kind in its own metadata.namespace, else the page's
 * namespace (written into the body, as kubectl does); a cluster-scoped kind in none (a namespace
 * in its metadata is dropped, as the API server would).
 */
export function placeObject(
  object: KubeObject,
  ref: ResourceRef,
  defaultNamespace: string,
): { ok: true; placed: Placed } | { ok: false; error: string } {
  const body = structuredClone(object);
  if (!ref.namespaced) {
    delete body.metadata.namespace;
    return { ok: true, placed: { ref, namespace: null, name: body.metadata.name, body } };
  }
  const namespace = body.metadata.namespace || defaultNamespace;
  if (!namespace) {
    return {
      ok: false,
      error: `${object.kind} is namespaced: set metadata.namespace or choose a namespace`,
    };
  }
  body.metadata.namespace = namespace;
  return { ok: true, placed: { ref, namespace, name: body.metadata.name, body } };
}

/** The server-side apply's path (relative to the proxy base), its query saying how. */
export function applyPath(
  p: Pick<Placed, "ref" | "namespace" | "name">,
  opts: { dryRun?: boolean; force?: boolean } = {},
): string {
  const q = new URLSearchParams({ fieldManager: FIELD_MANAGER });
  if (opts.dryRun) q.set("dryRun", "All");
  if (opts.force) q.set("force", "true");
  return `${objectPath(p.ref, p.namespace, p.name)}?${q}`;
}

/** A placed object's label: "Deployment apps/v1 web-e2e/web". */
export function describePlaced(p: Placed): string {
  return `${p.body.kind} ${p.namespace ? `${p.namespace}/` : ""}${p.name}`;
}

// ---------------------------------------------------------------------------------------------
// Comparing the live object with the apply's result

/** metadata the API server sets for itself, which would make every apply look like a change. */
const NOISE_METADATA = [
  "managedFields",
  "resourceVersion",
  "generation",
  "uid",
  "creationTimestamp",
  "selfLink",
];

/**
 * An object as the diff shows it: without status (apply does not set it) and without the metadata
 * the API server keeps (managedFields, resourceVersion, generation, uid, creationTimestamp).
 */
export function cleanForDiff(obj: unknown): Record<string, unknown> {
  if (!isRecord(obj)) return {};
  const copy = structuredClone(obj);
  delete copy.status;
  if (isRecord(copy.metadata)) {
    for (const k of NOISE_METADATA) delete copy.metadata[k];
  }
  return copy;
}

/** An object cleaned for the diff, as YAML ("" for none). */
export function diffYaml(obj: unknown | null): string {
  return obj == null ? "" : stringify(cleanForDiff(obj), { lineWidth: 0 });
}

/** The line diff between the live object (null: it does not exist) and the apply's result. */
export function applyDiff(live: unknown | null, result: unknown): LineDiff {
  return diffLines(splitLines(diffYaml(live)), splitLines(diffYaml(result)));
}

/** What a preview found: a new object, changes, or none. */
export type PreviewOutcome = "new" | "changed" | "unchanged";

export function previewOutcome(live: unknown | null, diff: LineDiff): PreviewOutcome {
  if (live == null) return "new";
  return diff.added || diff.removed ? "changed" : "unchanged";
}

/** What an apply did (kubectl's words). */
export type ApplyOutcome = "created" | "configured" | "unchanged";

const rv = (o: unknown) =>
  isRecord(o) && isRecord(o.metadata) ? o.metadata.resourceVersion : undefined;

/**
 * What an apply did, from the object read before it (null: none) and the result: created, changed
 * (a new resourceVersion: the object was written, if only its managedFields), or left as it was.
 */
export function classifyApply(before: unknown | null, result: unknown): ApplyOutcome {
  if (before == null) return "created";
  const a = rv(before);
  const b = rv(result);
  return a !== undefined && a === b ? "unchanged" : "configured";
}

// ---------------------------------------------------------------------------------------------
// Conflicts

/** A field another manager owns with a different value (a 409's cause). */
export interface FieldConflict {
  /** The manager that owns it ("kubectl-client-side-apply"), when the cause names one. */
  manager: string | null;
  /** The field (".spec.replicas"). */
  field: string | null;
  message: string;
}

interface StatusBody {
  kind?: string;
  reason?: string;
  code?: number;
  message?: string;
  /** A StatusCause's type is `reason` in JSON. */
  details?: { causes?: { reason?: string; message?: string; field?: string }[] };
}

/**
 * The field manager conflicts of a server-side apply's 409 (a Status with reason Conflict and
 * FieldManagerConflict causes), sorted by field, or null when the body is no such conflict.
 */
export function fieldConflicts(body: unknown): FieldConflict[] | null {
  if (!isRecord(body)) return null;
  const s = body as StatusBody;
  if (s.kind !== "Status" || s.reason !== "Conflict") return null;
  const causes = (s.details?.causes ?? []).filter((c) => c.reason === "FieldManagerConflict");
  if (causes.length === 0) {
    return /conflict/i.test(s.message ?? "")
      ? [{ manager: null, field: null, message: s.message ?? "conflict" }]
      : null;
  }
  // By field: the apiserver's order of causes varies from one answer to the next.
  return causes.map((c) => ({
    manager: /conflict with "((?:[^"\\]|\\.)*)"/.exec(c.message ?? "")?.[1] ?? null,
    field: c.field ?? null,
    message: c.message ?? "",
  })).sort((a, b) => (a.field ?? "").localeCompare(b.field ?? ""));
}

/** The managers a list of conflicts names, once each, in order. */
export function conflictManagers(conflicts: FieldConflict[]): string[] {
  return [...new Set(conflicts.map((c) => c.manager).filter((m): m is string => !!m))];
}

/** The first title of a failed document, by the API's status. */
export function failureTitle(status: number): string {
  switch (status) {
    case 403:
      return "Not allowed";
    case 404:
      return "Not found";
    case 409:
      return "Conflict";
    case 400:
    case 422:
      return "Kubernetes rejected the object";
    default:
      return "Apply failed";
  }
}

/** The "/apps/v1" key of a group version, for caching its discovery. */
export const groupVersionKey = (gv: { group: string; version: string }) =>
  gv.group ? `${gv.group}/${gv.version}` : gv.version;

/** The text lines of a diff, the counts as "+3 −1". */
export function diffSummary(d: Pick<LineDiff, "added" | "removed">): string {
  return `+${d.added} −${d.removed}`;
}
