// Create / apply YAML on a cluster, as the person (the dashboard's proxy, so kubeconfig and agent
// clusters alike): multi-document text; "Preview diff" server-side applies every document with
// dryRun=All and shows the diff against the live object (a GET; none: a new object); "Apply" does
// the same without dryRun and says per document what happened, with a link to the object. A 409
// names the fields and their managers and offers Force apply (force=true) after asking. The text
// typed is never cleared (and survives a reload, in sessionStorage). The pure part is
// lib/k8s/apply.ts and lib/line_diff.ts.
import { useEffect, useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { Alert, btn, cardClass, inputClass } from "../components/ui.tsx";
import { api, ApiError } from "../client/api.ts";
import { apiBase, objectPath, objectUrl, proxyBase, type ResourceRef } from "../lib/k8s/paths.ts";
import { parseResourceList } from "../lib/k8s/discovery.ts";
import { type Access, controlProps } from "../lib/k8s/access_review.ts";
import {
  APPLY_PATCH,
  applyDiff,
  applyPath,
  classifyApply,
  failureTitle,
  FIELD_MANAGER,
  fieldConflicts,
  findKind,
  groupVersionKey,
  type KubeObject,
  MAX_DOCUMENTS,
  parseApiVersion,
  placeObject,
  previewOutcome,
  splitDocuments,
} from "../lib/k8s/apply.ts";
import { type DocResult, ForceDialog, ResultCard } from "../components/apply_results.tsx";
import type { LineDiff } from "../lib/line_diff.ts";

interface Props {
  clusterId: string;
  /** The namespace of namespaced objects that name none. */
  namespace: string;
  namespaces: string[];
  access: Access;
}

type Mode = "preview" | "apply";

const PLACEHOLDER =
  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: example\ndata:\n  key: value\n---\n# more objects…";

const storageKey = (clusterId: string) => `kd-apply:${clusterId}`;

/** A failed request's status and body (ApiError), else 0. */
const failure = (err: unknown) =>
  err instanceof ApiError
    ? { status: err.status, body: err.body, message: err.message }
    : { status: 0, body: null, message: (err as Error).message };

export default function ApplyYaml({ clusterId, namespace: ns0, namespaces, access }: Props) {
  const [text, setText] = useState("");
  const [namespace, setNamespace] = useState(ns0);
  const [busy, setBusy] = useState<Mode | null>(null);
  const [mode, setMode] = useState<Mode | null>(null);
  const [results, setResults] = useState<DocResult[]>([]);
  const [notice, setNotice] = useState<{ tone: "red" | "green" | "amber"; text: string } | null>(
    null,
  );
  const [forcing, setForcing] = useState<DocResult | null>(null);
  const base = proxyBase(clusterId);

  // The text survives a reload of the page (per cluster, this tab only).
  useEffect(() => {
    const saved = sessionStorage.getItem(storageKey(clusterId));
    if (saved) setText(saved);
  }, []);
  const edit = (v: string) => {
    setText(v);
    try {
      sessionStorage.setItem(storageKey(clusterId), v);
    } catch {
      // storage full or refused: the text stays in the page
    }
  };

  /** The resources of a group version (its discovery document), cached for one run. */
  const discovery = new Map<string, Promise<ResourceRef[] | null>>();
  const resourcesOf = (gv: { group: string; version: string }) => {
    const key = groupVersionKey(gv);
    let p = discovery.get(key);
    if (!p) {
      p = api(base + apiBase(gv)).then(parseResourceList, (err) => {
        if (failure(err).status === 404) return null;
        throw err;
      });
      discovery.set(key, p);
    }
    return p;
  };

  /** Applies one object (dry run or not, forced or not) and says what happened. */
  const applyOne = async (
    index: number,
    line: number,
    object: KubeObject,
    how: { dryRun: boolean; force: boolean },
  ): Promise<DocResult> => {
    const label = `${object.kind} ${
      object.metadata.namespace ? `${object.metadata.namespace}/` : ""
    }${object.metadata.name}`;
    const fail = (title: string, message: string): DocResult => ({
      index,
      line,
      label,
      state: "error",
      title,
      message,
    });
    const gv = parseApiVersion(object.apiVersion)!;
    let refs: ResourceRef[] | null;
    try {
      refs = await resourcesOf(gv);
    } catch (err) {
      const f = failure(err);
      return fail("Could not read the cluster's API", f.message);
    }
    if (!refs) {
      return fail("Unknown API", `the cluster does not serve ${object.apiVersion}`);
    }
    const ref = findKind(refs, object.kind);
    if (!ref) {
      return fail(
        "Unknown kind",
        `${object.apiVersion} has no kind "${object.kind}" on this cluster`,
      );
    }
    const placedOr = placeObject(object, ref, namespace);
    if (!placedOr.ok) return fail("No namespace", placedOr.error);
    const placed = placedOr.placed;
    const where = {
      index,
      line,
      label: `${object.kind} ${placed.namespace ? `${placed.namespace}/` : ""}${placed.name}`,
      placed,
      url: objectUrl(clusterId, ref, placed.namespace, placed.name),
    };
    let live: unknown | null;
    try {
      live = await api(base + objectPath(ref, placed.namespace, placed.name));
    } catch (err) {
      const f = failure(err);
      if (f.status !== 404) {
        return { ...where, state: "error", title: failureTitle(f.status), message: f.message };
      }
      live = null;
    }
    const patch = (opts: { dryRun: boolean; force: boolean }) =>
      api(base + applyPath(placed, opts), {
        method: "PATCH",
        headers: { "content-type": APPLY_PATCH },
        body: JSON.stringify(placed.body),
      });
    try {
      const result = await patch(how);
      const diff = applyDiff(live, result);
      if (how.dryRun) {
        return { ...where, state: previewOutcome(live, diff), diff };
      }
      return { ...where, state: classifyApply(live, result), diff };
    } catch (err) {
      const f = failure(err);
      const conflicts = f.status === 409 ? fieldConflicts(f.body) : null;
      if (!conflicts) {
        return { ...where, state: "error", title: failureTitle(f.status), message: f.message };
      }
      let forcedDiff: LineDiff | undefined;
      if (how.dryRun) {
        // What forcing would do, so the preview still shows the change.
        forcedDiff = await patch({ dryRun: true, force: true }).then(
          (r) => applyDiff(live, r),
          () => undefined,
        );
      }
      return { ...where, state: "conflict", message: f.message, conflicts, forcedDiff };
    }
  };

  const run = async (m: Mode) => {
    if (busy || !access.allowed) return;
    setNotice(null);
    const docs = splitDocuments(text);
    if (docs.length === 0) {
      setNotice({ tone: "amber", text: "Type or paste at least one object." });
      return;
    }
    if (docs.length > MAX_DOCUMENTS) {
      setNotice({ tone: "red", text: `At most ${MAX_DOCUMENTS} documents at once.` });
      return;
    }
    const broken = docs.filter((d) => !d.ok);
    setMode(m);
    setBusy(m);
    const out: DocResult[] = docs.map((d) =>
      d.ok
        ? {
          index: d.index,
          line: d.line,
          label: `${d.object.kind} ${d.object.metadata.name}`,
          state: "pending",
        }
        : {
          index: d.index,
          line: d.line,
          label: "",
          state: "error",
          title: "Invalid document",
          message: d.error,
        }
    );
    setResults([...out]);
    try {
      if (m === "apply" && broken.length) {
        setNotice({
          tone: "red",
          text: `Nothing was applied: ${broken.length} document${
            broken.length === 1 ? " is" : "s are"
          } not valid (below).`,
        });
        setResults(out.filter((r) => r.state === "error"));
        return;
      }
      // In order: a Namespace first, then what goes in it.
      for (const [i, d] of docs.entries()) {
        if (!d.ok) continue;
        out[i] = await applyOne(d.index, d.line, d.object, {
          dryRun: m === "preview",
          force: false,
        });
        setResults([...out]);
      }
      const failed = out.filter((r) => r.state === "error" || r.state === "conflict").length;
      if (m === "apply") {
        setNotice(
          failed
            ? { tone: "red", text: `${out.length - failed} of ${out.length} applied; see below.` }
            : {
              tone: "green",
              text: `Applied ${out.length} object${out.length === 1 ? "" : "s"}.`,
            },
        );
      } else if (failed) {
        setNotice({ tone: "amber", text: `${failed} of ${out.length} would fail; see below.` });
      }
    } finally {
      setBusy(null);
    }
  };

  const force = async (r: DocResult) => {
    if (!r.placed) return;
    const done = await applyOne(r.index, r.line, r.placed.body, { dryRun: false, force: true });
    setResults((rs) => rs.map((x) => x.index === r.index ? done : x));
    if (done.state === "error" || done.state === "conflict") {
      throw new Error(done.message ?? "the forced apply failed");
    }
    setNotice({ tone: "green", text: `Force-applied ${done.label}: ${done.state}.` });
  };

  const nsList = namespaces.includes(namespace) ? namespaces : [namespace, ...namespaces];
  return (
    <div class="space-y-4">
      <div class={`${cardClass} space-y-3 p-4`}>
        <div class="flex flex-wrap items-center justify-between gap-3">
          <div class="flex items-center gap-2">
            <label for="apply-namespace" class="text-sm text-slate-500 dark:text-slate-400">
              Default namespace
            </label>
            <select
              id="apply-namespace"
              data-testid="apply-namespace"
              class={`${inputClass} !w-52`}
              value={namespace}
              onChange={(e) => setNamespace((e.target as HTMLSelectElement).value)}
            >
              {nsList.map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </div>
          <div class="flex gap-2">
            <button
              type="button"
              class={btn.secondary}
              data-testid="apply-preview"
              onClick={() => run("preview")}
              {...controlProps(access)}
              disabled={!access.allowed || busy !== null}
            >
              <Icon name="search" />
              {busy === "preview" ? "Previewing…" : "Preview diff"}
            </button>
            <button
              type="button"
              class={btn.primary}
              data-testid="apply-submit"
              onClick={() => run("apply")}
              {...controlProps(access)}
              disabled={!access.allowed || busy !== null}
            >
              <Icon name="upload" />
              {busy === "apply" ? "Applying…" : "Apply"}
            </button>
          </div>
        </div>
        <textarea
          aria-label="YAML to apply"
          data-testid="apply-yaml"
          spellcheck={false}
          autoCapitalize="off"
          autoComplete="off"
          placeholder={PLACEHOLDER}
          class="block h-[50vh] w-full resize-y rounded-lg border-0 bg-slate-950 p-4 font-mono text-xs leading-5 text-slate-100 ring-1 ring-slate-800 placeholder:text-slate-500 focus:outline-none focus:ring-2 focus:ring-indigo-500"
          value={text}
          onInput={(e) => edit((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
              e.preventDefault();
              run("preview");
            }
          }}
        />
        <p class="text-xs text-slate-500 dark:text-slate-400">
          Field manager <span class="font-mono">{FIELD_MANAGER}</span>. Namespaced objects without
          {" "}
          <span class="font-mono">metadata.namespace</span>{" "}
          go to the default namespace. The diff leaves out status, managedFields and the metadata
          the API server sets.
        </p>
      </div>
      {notice && (
        <Alert tone={notice.tone}>
          <span data-testid="apply-notice">{notice.text}</span>
        </Alert>
      )}
      {results.length > 0 && (
        <ol class="space-y-3" data-testid="apply-results" data-mode={mode ?? ""}>
          {results.map((r) => (
            <ResultCard
              key={r.index}
              r={r}
              busy={busy !== null}
              onForce={() => setForcing(r)}
            />
          ))}
        </ol>
      )}
      <ForceDialog
        target={forcing}
        onClose={() => setForcing(null)}
        onConfirm={async (r) => {
          await force(r);
          setForcing(null);
        }}
      />
    </div>
  );
}
