// Reads the names of one kind of a cluster through a person's client (the one client path, so the
// cluster's RBAC decides): LISTs across every namespace as metadata only (PartialObjectMetadata:
// no Secret data, no ConfigMap values ever reach the dashboard), PAGE_SIZE at a time and at most
// MAX_NAMES_PER_KIND in all, and keeps only each object's namespace and name. A kind the person
// may not list (403) or the cluster does not serve (404) has no names: it is simply absent.
import { CLUSTER_BASE, type ClusterClient } from "../cluster/client.ts";
import { collectionPath, type SearchKind } from "./kinds.ts";

export const PAGE_SIZE = 500;
export const MAX_NAMES_PER_KIND = 5_000;

const METADATA_ONLY =
  "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

/** One object as the search keeps it. */
export interface ObjectName {
  namespace: string | null;
  name: string;
}

export interface KindNames {
  kind: SearchKind;
  names: ObjectName[];
  /** More objects exist than were read (MAX_NAMES_PER_KIND). */
  truncated: boolean;
}

/** The cluster answered a list with an error other than 403 or 404. */
export class KindListError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

interface MetadataList {
  metadata?: { continue?: string };
  items?: { metadata?: { name?: unknown; namespace?: unknown } }[];
}

/**
 * The names of one kind, or null when the person may not list it or the cluster has no such
 * resource. Fails with ClusterUnavailableError (no answer), KindListError (another error answer)
 * or the signal's reason.
 */
export async function listNames(
  client: ClusterClient,
  kind: SearchKind,
  signal: AbortSignal,
): Promise<KindNames | null> {
  const names: ObjectName[] = [];
  let cont = "";
  for (;;) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (cont) query.set("continue", cont);
    const res = await client.fetch(
      new Request(new URL(`${collectionPath(kind)}?${query}`, CLUSTER_BASE), {
        headers: { accept: METADATA_ONLY },
        signal,
      }),
    );
    if (res.status === 403 || res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) throw new KindListError(res.status, await statusMessage(res, kind));
    const page = await res.json() as MetadataList;
    for (const item of page.items ?? []) {
      const m = item.metadata;
      if (typeof m?.name !== "string") continue;
      names.push({
        namespace: kind.namespaced && typeof m.namespace === "string" ? m.namespace : null,
        name: m.name,
      });
    }
    cont = page.metadata?.continue ?? "";
    if (!cont) return { kind, names, truncated: false };
    if (names.length >= MAX_NAMES_PER_KIND) {
      names.length = MAX_NAMES_PER_KIND;
      return { kind, names, truncated: true };
    }
  }
}

async function statusMessage(res: Response, kind: SearchKind): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const s = JSON.parse(text) as { message?: unknown };
    if (typeof s.message === "string") return `listing ${kind.resource}: ${s.message}`;
  } catch { /* not a Status */ }
  return `listing ${kind.resource}: HTTP ${res.status}`;
}
