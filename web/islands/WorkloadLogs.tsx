// The logs of every pod of a workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job): its
// spec.selector lists the namespace's pods through the person's proxy path, the oldest MAX_PODS
// are read (the page says when there are more, and which are shown), each pod's containers (or
// the chosen one) streamed with timestamps and interleaved by them, each line prefixed with its
// `pod/container` in that stream's colour. While following, the pods are listed again every
// RELIST_MS: new pods' streams open, streams of pods gone close; each stream's state (following,
// ended, pod gone, error) is shown. Tail, timestamps, wrap, search and download as a pod's
// viewer (components/log_view.tsx); at most MAX_LINES lines are kept. Pure logic:
// lib/k8s/workload_logs.ts, label_selector.ts, log_lines.ts.
import { useEffect, useRef, useState } from "preact/hooks";
import { Alert } from "../components/ui.tsx";
import {
  ALL_CONTAINERS,
  ContainerSelect,
  downloadText,
  LogOutput,
  type LogState,
  LogToggle,
  LogViewOptions,
  TailSelect,
} from "../components/log_view.tsx";
import { api, isAbort, sleep } from "../client/api.ts";
import { logUrl, readLogLines } from "../client/log_stream.ts";
import { proxyBase } from "../lib/k8s/paths.ts";
import { type LabelSelector, selectorString } from "../lib/k8s/label_selector.ts";
import {
  insertByTime,
  type LogLine,
  parseLine,
  prefixColour,
  Sources,
  trimTo,
} from "../lib/k8s/log_lines.ts";
import {
  type LogPod,
  type LogStream,
  MAX_PODS,
  pickPods,
  planStreams,
} from "../lib/k8s/workload_logs.ts";

interface Props {
  clusterId: string;
  namespace: string;
  /** The workload's kind and name (the download's file name, the output's label). */
  kind: string;
  name: string;
  /** The workload's spec.selector (null: it has none). */
  selector: LabelSelector | null;
  /** The pod template's containers (the container select). */
  containers: string[];
}

const MAX_LINES = 10_000;
const RELIST_MS = 3000;
/** The container select's value for every container of each pod. */

type StreamState = "streaming" | "ended" | "gone" | "error";

interface StreamInfo {
  key: string;
  src: number;
  state: StreamState;
  error?: string;
}

interface PodsSeen {
  shown: string[];
  total: number;
  /** The list was cut (more than the page of pods asked for). */
  more: boolean;
  waiting: string[];
}

interface PodList {
  items?: LogPod[];
  metadata?: { continue?: string; remainingItemCount?: number };
}

/** The selector's query string, or why there is none. */
function selectorOf(sel: LabelSelector | null): { query: string | null; error: string | null } {
  if (!sel) return { query: null, error: "this workload has no selector" };
  try {
    return { query: selectorString(sel), error: null };
  } catch (err) {
    return { query: null, error: `its selector is invalid: ${(err as Error).message}` };
  }
}

export default function WorkloadLogs(
  { clusterId, namespace, kind, name, selector, containers }: Props,
) {
  const [container, setContainer] = useState(ALL_CONTAINERS);
  const [follow, setFollow] = useState(true);
  const [timestamps, setTimestamps] = useState(false);
  const [wrap, setWrap] = useState(true);
  const [tail, setTail] = useState(100);
  const [search, setSearch] = useState("");
  const [lines, setLines] = useState<LogLine[]>([]);
  const [streams, setStreams] = useState<Record<string, StreamInfo>>({});
  const [pods, setPods] = useState<PodsSeen | null>(null);
  const [listing, setListing] = useState<"loading" | "live" | "done" | "error">("loading");
  const [error, setError] = useState<string | null>(null);
  const [run, setRun] = useState(0);
  // A stream keeps its number (its colour) for the island's life, across choices and reloads.
  const sources = useRef<Sources>(new Sources()).current;
  const sel = selectorOf(selector);

  useEffect(() => {
    const query = sel.query;
    if (query === null) return;
    const ctl = new AbortController();
    const open = new Map<string, AbortController>();
    const known = new Set<string>();
    let buf: LogLine[] = [];
    let frame = 0;
    setLines([]);
    setStreams({});
    setPods(null);
    setError(null);
    setListing("loading");
    const flush = () => {
      frame = 0;
      const add = buf;
      buf = [];
      setLines((prev) => {
        const next = prev.slice();
        for (const line of add) insertByTime(next, line);
        trimTo(next, MAX_LINES);
        return next;
      });
    };
    const mark = (key: string, state: StreamState, error?: string) =>
      setStreams((prev) => ({ ...prev, [key]: { key, src: sources.of(key), state, error } }));
    const read = async (s: LogStream): Promise<void> => {
      const own = new AbortController();
      const stop = () => own.abort();
      ctl.signal.addEventListener("abort", stop, { once: true });
      open.set(s.key, own);
      known.add(s.key);
      const src = sources.of(s.key);
      mark(s.key, "streaming");
      // Always with timestamps: the streams interleave by them (shown only when asked for).
      const url = logUrl(clusterId, namespace, s.pod, {
        container: s.container,
        follow,
        timestamps: true,
        tail,
      });
      try {
        await readLogLines(url, own.signal, (got) => {
          for (const part of got) buf.push(parseLine(src, part));
          if (!frame) frame = requestAnimationFrame(flush);
        });
        mark(s.key, "ended");
      } catch (err) {
        if (ctl.signal.aborted) return;
        // Closed here: its pod is no longer listed.
        if (isAbort(err)) mark(s.key, "gone");
        else mark(s.key, "error", (err as Error).message);
      } finally {
        open.delete(s.key);
        ctl.signal.removeEventListener("abort", stop);
      }
    };
    /** Lists the pods, closes the streams of pods gone, opens the new ones. */
    const relist = async (): Promise<Promise<void>[]> => {
      const q = new URLSearchParams({ labelSelector: query, limit: "500" });
      const list = await api<PodList>(
        `${proxyBase(clusterId)}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?${q}`,
        { signal: ctl.signal },
      );
      const items = list.items ?? [];
      const { shown, total } = pickPods(items, MAX_PODS);
      const plan = planStreams(
        shown,
        container === ALL_CONTAINERS ? null : container,
        known,
        new Set(open.keys()),
      );
      for (const key of plan.stop) open.get(key)?.abort();
      setPods({
        shown: shown.map((p) => p.metadata.name),
        total: total + (list.metadata?.remainingItemCount ?? 0),
        more: !!list.metadata?.continue,
        waiting: plan.waiting,
      });
      return plan.start.map(read);
    };
    (async () => {
      const reads: Promise<void>[] = [];
      while (!ctl.signal.aborted) {
        try {
          reads.push(...await relist());
          setError(null);
          setListing(follow ? "live" : "done");
        } catch (err) {
          if (ctl.signal.aborted || isAbort(err)) return;
          setError(`Cannot list the pods (${query}): ${(err as Error).message}`);
          setListing("error");
        }
        if (!follow) break;
        await sleep(RELIST_MS, ctl.signal);
      }
      await Promise.all(reads);
      if (ctl.signal.aborted) return;
      cancelAnimationFrame(frame);
      flush();
    })();
    return () => {
      ctl.abort();
      cancelAnimationFrame(frame);
    };
  }, [container, follow, tail, run, sel.query]);

  const shown = (l: LogLine) => `${timestamps && l.stamp ? `${l.stamp} ` : ""}${l.text}`;
  const prefixOf = (l: LogLine) => sources.name(l.src);
  const list = Object.values(streams).sort((a, b) => a.src - b.src);
  const reading = list.some((s) => s.state === "streaming");
  const state: LogState = sel.error || (error && !reading)
    ? "error"
    : (follow && listing !== "done") || reading || listing === "loading"
    ? "streaming"
    : "ended";
  const download = () =>
    downloadText(
      `${name}-pods.log`,
      lines.map((l) => `[${prefixOf(l)}] ${shown(l)}`).join("\n"),
    );
  const streamWords: Record<StreamState, string> = {
    streaming: follow ? "following" : "reading",
    ended: "ended",
    gone: "ended: pod gone",
    error: "error",
  };

  return (
    <div class="space-y-3">
      <div class="flex flex-wrap items-center gap-x-4 gap-y-2">
        <ContainerSelect containers={containers} value={container} onChange={setContainer} />
        <TailSelect tail={tail} onChange={setTail} />
        <LogToggle label="Follow" checked={follow} onChange={setFollow} testId="follow" />
        <LogViewOptions
          timestamps={timestamps}
          onTimestamps={setTimestamps}
          wrap={wrap}
          onWrap={setWrap}
          search={search}
          onSearch={setSearch}
          state={state}
          following={follow}
          onReload={() => setRun((r) => r + 1)}
          onDownload={download}
          canDownload={lines.length > 0}
        />
      </div>
      {sel.error && <Alert title="Cannot find the pods">{sel.error}</Alert>}
      {error && <Alert title="Cannot read the logs">{error}</Alert>}
      {pods && (
        <p class="text-xs text-slate-500 dark:text-slate-400" data-testid="log-pods">
          {pods.total === 0
            ? `No pod matches the selector ${sel.query || "(everything)"} yet.`
            : pods.shown.length < pods.total || pods.more
            ? `${pods.total}${
              pods.more ? "+" : ""
            } pods match ${sel.query}: showing the oldest ${pods.shown.length} (${
              pods.shown.join(", ")
            }).`
            : `${pods.total} pod${pods.total === 1 ? "" : "s"} match ${sel.query}.`}
          {pods.waiting.length > 0 && ` Not started yet: ${pods.waiting.join(", ")}.`}
        </p>
      )}
      {list.length > 0 && (
        <ul class="flex flex-wrap gap-x-4 gap-y-1 font-mono text-xs" data-testid="log-streams">
          {list.map((s) => (
            <li
              key={s.key}
              data-testid="log-stream"
              data-stream={s.key}
              data-state={s.state}
              title={s.error}
              class="flex items-center gap-1.5"
            >
              <span
                class={`size-2 rounded-full ${
                  s.state === "streaming"
                    ? "bg-emerald-500"
                    : s.state === "error"
                    ? "bg-red-500"
                    : "bg-slate-400"
                }`}
                aria-hidden="true"
              />
              <span class={`${prefixColour(s.src)} rounded bg-slate-950 px-1`}>{s.key}</span>
              <span class="text-slate-500 dark:text-slate-400">
                {streamWords[s.state]}
                {s.error ? `: ${s.error}` : ""}
              </span>
            </li>
          ))}
        </ul>
      )}
      <LogOutput
        lines={lines}
        prefixOf={prefixOf}
        shown={shown}
        search={search}
        wrap={wrap}
        waiting={state === "streaming"}
        label={`Logs of the pods of ${kind} ${name}${
          container === ALL_CONTAINERS ? "" : ` (container ${container})`
        }`}
      />
    </div>
  );
}
