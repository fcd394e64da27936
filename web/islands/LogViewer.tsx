// A pod's container logs: one container or all of them interleaved by time (each line prefixed
// with its container in a colour), tail, follow (streamed through the proxy), timestamps, wrap and
// download, and the previous instance of a container that restarted (previous=true: why did it
// crash?). Sticks to the bottom while following unless the user scrolls up.
import { Fragment } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { Alert, btn, inputClass } from "../components/ui.tsx";
import { isAbort, openStream, readText } from "../client/api.ts";
import { proxyBase } from "../lib/k8s/paths.ts";
import {
  insertByTime,
  type LogLine,
  parseLine,
  prefixColour,
  trimTo,
} from "../lib/k8s/log_lines.ts";

interface Props {
  clusterId: string;
  namespace: string;
  pod: string;
  containers: string[];
  /** Restarts per container: one that restarted has a previous instance's logs. */
  restarts?: Record<string, number>;
  /** Lines the server read for the first render (not following). */
  initial: string;
  initialError?: string | null;
}

const MAX_LINES = 10_000;
const TAILS = [100, 500, 2000, -1];

/** The container select's value for every container of the pod at once. */
const ALL = "*";

export default function LogViewer(
  { clusterId, namespace, pod, containers, restarts = {}, initial, initialError }: Props,
) {
  const [container, setContainer] = useState(containers[0] ?? "");
  const all = container === ALL;
  const [follow, setFollow] = useState(true);
  const [previousWanted, setPrevious] = useState(false);
  const restarted = !all && (restarts[container] ?? 0) > 0;
  // Only a container that restarted has a previous instance; its logs have ended (no follow).
  const previous = previousWanted && restarted;
  const following = follow && !previous;
  const [timestamps, setTimestamps] = useState(false);
  const [wrap, setWrap] = useState(true);
  const [tail, setTail] = useState(500);
  const [lines, setLines] = useState<LogLine[]>(
    initial ? initial.replace(/\n$/, "").split("\n").map((l) => parseLine(0, l)) : [],
  );
  const [state, setState] = useState<"idle" | "streaming" | "ended" | "error">("idle");
  const [error, setError] = useState<string | null>(initialError ?? null);
  const [run, setRun] = useState(0);
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  // What is read: one container, or every container of the pod (lines then carry a prefix).
  const sources = all ? containers : [container];

  useEffect(() => {
    const ctl = new AbortController();
    const urlOf = (name: string) => {
      const q = new URLSearchParams({ container: name });
      if (previous) q.set("previous", "true");
      else if (follow) q.set("follow", "true");
      // Several containers interleave by the kubelet's timestamps (shown only when asked for).
      if (timestamps || all) q.set("timestamps", "true");
      if (tail > 0) q.set("tailLines", String(tail));
      return `${proxyBase(clusterId)}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${
        encodeURIComponent(pod)
      }/log?${q}`;
    };
    let buf: LogLine[] = [];
    let frame = 0;
    let cleared = false;
    const flush = () => {
      frame = 0;
      const add = buf;
      buf = [];
      setLines((prev) => {
        const next = cleared ? [] : prev.slice();
        cleared = false;
        for (const line of add) insertByTime(next, line);
        trimTo(next, MAX_LINES);
        return next;
      });
    };
    let first = true;
    // The first text of any stream replaces what was shown (the server's lines, another choice).
    const started = () => {
      if (!first) return;
      first = false;
      cleared = true;
    };
    const read = async (name: string, src: number): Promise<boolean> => {
      let partial = "";
      try {
        const res = await openStream(urlOf(name), ctl.signal, "*/*");
        await readText(res, (text) => {
          started();
          const parts = (partial + text).split("\n");
          partial = parts.pop() ?? "";
          for (const part of parts) buf.push(parseLine(src, part));
          if (!frame) frame = requestAnimationFrame(flush);
        });
        if (partial) buf.push(parseLine(src, partial));
        return true;
      } catch (err) {
        if (isAbort(err)) return true;
        setError(`${all ? `${name}: ` : ""}${(err as Error).message}`);
        return false;
      }
    };
    (async () => {
      setState("streaming");
      setError(null);
      const results = await Promise.all(sources.map(read));
      if (ctl.signal.aborted) return;
      started();
      flush();
      setState(results.some((ok) => ok) ? "ended" : "error");
    })();
    return () => {
      ctl.abort();
      cancelAnimationFrame(frame);
    };
  }, [container, following, previous, timestamps, tail, run]);

  /** A line as shown and downloaded: the container (several), the stamp (when asked), the text. */
  const shown = (l: LogLine) => `${timestamps && l.stamp ? `${l.stamp} ` : ""}${l.text}`;

  useLayoutEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const download = () => {
    const text = lines.map((l) => `${all ? `[${sources[l.src]}] ` : ""}${shown(l)}`).join("\n");
    const blob = new Blob([text + "\n"], { type: "text/plain" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${pod}-${all ? "all" : container}${previous ? "-previous" : ""}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };

  const toggle = "flex items-center gap-1.5 text-xs text-slate-600 dark:text-slate-300";
  // One container: one text. Several: each line with its container, in that container's colour.
  const empty = (
    <span class="text-slate-500">
      {state === "streaming" ? "Waiting for output…" : "No output."}
    </span>
  );
  const prefixed = () =>
    lines.map((l, i) => (
      <Fragment key={i}>
        <span class={prefixColour(l.src)} data-container={sources[l.src]}>
          [{sources[l.src]}]{" "}
        </span>
        {shown(l)}
        {i < lines.length - 1 ? "\n" : ""}
      </Fragment>
    ));
  const output = !lines.length ? empty : all ? prefixed() : lines.map(shown).join("\n");
  return (
    <div class="space-y-3">
      <div class="flex flex-wrap items-center gap-x-4 gap-y-2">
        {containers.length > 1 && (
          <label class="flex items-center gap-2 text-xs text-slate-600 dark:text-slate-300">
            Container
            <select
              class={`${inputClass} !w-auto !py-1 text-xs`}
              value={container}
              onChange={(e) => setContainer((e.target as HTMLSelectElement).value)}
            >
              {containers.map((c) => <option key={c} value={c}>{c}</option>)}
              <option value={ALL}>All containers</option>
            </select>
          </label>
        )}
        <label class="flex items-center gap-2 text-xs text-slate-600 dark:text-slate-300">
          Lines
          <select
            class={`${inputClass} !w-auto !py-1 text-xs`}
            value={String(tail)}
            onChange={(e) => setTail(Number((e.target as HTMLSelectElement).value))}
          >
            {TAILS.map((t) => (
              <option key={t} value={String(t)}>{t < 0 ? "all" : `last ${t}`}</option>
            ))}
          </select>
        </label>
        <label class={toggle}>
          <input
            type="checkbox"
            class="accent-indigo-600"
            checked={following}
            disabled={previous}
            onChange={(e) => setFollow((e.target as HTMLInputElement).checked)}
            data-testid="follow"
          />
          Follow
        </label>
        <label
          class={toggle}
          title={all
            ? "choose one container to read its previous instance"
            : restarted
            ? `the logs of ${container}'s instance before its last restart`
            : `${container} has not restarted: there is no previous instance`}
        >
          <input
            type="checkbox"
            class="accent-indigo-600"
            checked={previous}
            disabled={!restarted}
            onChange={(e) => setPrevious((e.target as HTMLInputElement).checked)}
            data-testid="previous"
          />
          Previous instance
          {restarted && (
            <span class="text-slate-400">
              ({restarts[container]} restart{restarts[container] === 1 ? "" : "s"})
            </span>
          )}
        </label>
        <label class={toggle}>
          <input
            type="checkbox"
            class="accent-indigo-600"
            checked={timestamps}
            onChange={(e) => setTimestamps((e.target as HTMLInputElement).checked)}
          />
          Timestamps
        </label>
        <label class={toggle}>
          <input
            type="checkbox"
            class="accent-indigo-600"
            checked={wrap}
            onChange={(e) => setWrap((e.target as HTMLInputElement).checked)}
          />
          Wrap lines
        </label>
        <span class="ml-auto flex items-center gap-2">
          <span
            class="flex items-center gap-1.5 text-xs text-slate-500 dark:text-slate-400"
            aria-live="polite"
            data-testid="log-state"
            data-state={state}
          >
            <span
              class={`size-2 rounded-full ${
                state === "streaming" && following
                  ? "animate-pulse bg-emerald-500"
                  : state === "error"
                  ? "bg-red-500"
                  : "bg-slate-400"
              }`}
              aria-hidden="true"
            />
            {state === "streaming"
              ? (following ? "Following" : "Loading")
              : state === "ended"
              ? "Stream ended"
              : state === "error"
              ? "Error"
              : "Ready"}
          </span>
          {state !== "streaming" && (
            <button
              type="button"
              class={`${btn.ghost} ${btn.small}`}
              onClick={() => setRun((r) => r + 1)}
            >
              <Icon name="refresh" class="size-3.5" />
              {following ? "Resume" : "Reload"}
            </button>
          )}
          <button
            type="button"
            class={`${btn.ghost} ${btn.small}`}
            onClick={download}
            disabled={lines.length === 0}
          >
            <Icon name="download" class="size-3.5" />
            Download
          </button>
        </span>
      </div>
      {error && <Alert title="Cannot read the logs">{error}</Alert>}
      <pre
        ref={box}
        role="log"
        aria-label={`Logs of ${pod}/${all ? "all containers" : container}${
          previous ? " (previous instance)" : ""
        }`}
        tabIndex={0}
        data-testid="log-output"
        onScroll={(e) => {
          const el = e.target as HTMLPreElement;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
        class={`h-[65vh] overflow-auto rounded-lg bg-slate-950 p-4 font-mono text-xs leading-5 text-slate-200 ring-1 ring-slate-800 ${
          wrap ? "whitespace-pre-wrap break-all" : "whitespace-pre"
        }`}
      >
        {output}
      </pre>
    </div>
  );
}
