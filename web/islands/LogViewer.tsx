// A pod's container logs: one container or all of them interleaved by time (each line prefixed
// with its container in a colour), tail, follow (streamed through the proxy), timestamps, wrap,
// search and download, and the previous instance of a container that restarted (previous=true:
// why did it crash?). Sticks to the bottom while following unless the user scrolls up. The
// toolbar's pieces and the output are components/log_view.tsx (shared with WorkloadLogs.tsx).
import { useEffect, useState } from "preact/hooks";
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
import { isAbort } from "../client/api.ts";
import { logUrl, readLogLines } from "../client/log_stream.ts";
import { insertByTime, type LogLine, parseLine, trimTo } from "../lib/k8s/log_lines.ts";

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

/** The container select's value for every container of the pod at once. */

export default function LogViewer(
  { clusterId, namespace, pod, containers, restarts = {}, initial, initialError }: Props,
) {
  const [container, setContainer] = useState(containers[0] ?? "");
  const all = container === ALL_CONTAINERS;
  const [follow, setFollow] = useState(true);
  const [previousWanted, setPrevious] = useState(false);
  const restarted = !all && (restarts[container] ?? 0) > 0;
  // Only a container that restarted has a previous instance; its logs have ended (no follow).
  const previous = previousWanted && restarted;
  const following = follow && !previous;
  const [timestamps, setTimestamps] = useState(false);
  const [wrap, setWrap] = useState(true);
  const [tail, setTail] = useState(500);
  const [search, setSearch] = useState("");
  const [lines, setLines] = useState<LogLine[]>(
    initial ? initial.replace(/\n$/, "").split("\n").map((l) => parseLine(0, l)) : [],
  );
  const [state, setState] = useState<LogState>("idle");
  const [error, setError] = useState<string | null>(initialError ?? null);
  const [run, setRun] = useState(0);
  // What is read: one container, or every container of the pod (lines then carry a prefix).
  const sources = all ? containers : [container];

  useEffect(() => {
    const ctl = new AbortController();
    const urlOf = (name: string) =>
      logUrl(clusterId, namespace, pod, {
        container: name,
        previous,
        follow,
        // Several containers interleave by the kubelet's timestamps (shown only when asked for).
        timestamps: timestamps || all,
        tail,
      });
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
      try {
        await readLogLines(urlOf(name), ctl.signal, (got) => {
          started();
          for (const part of got) buf.push(parseLine(src, part));
          if (!frame) frame = requestAnimationFrame(flush);
        });
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

  const download = () =>
    downloadText(
      `${pod}-${all ? "all" : container}${previous ? "-previous" : ""}.log`,
      lines.map((l) => `${all ? `[${sources[l.src]}] ` : ""}${shown(l)}`).join("\n"),
    );

  return (
    <div class="space-y-3">
      <div class="flex flex-wrap items-center gap-x-4 gap-y-2">
        <ContainerSelect containers={containers} value={container} onChange={setContainer} />
        <TailSelect tail={tail} onChange={setTail} />
        <LogToggle
          label="Follow"
          checked={following}
          disabled={previous}
          onChange={setFollow}
          testId="follow"
        />
        <LogToggle
          label="Previous instance"
          checked={previous}
          disabled={!restarted}
          onChange={setPrevious}
          testId="previous"
          title={all
            ? "choose one container to read its previous instance"
            : restarted
            ? `the logs of ${container}'s instance before its last restart`
            : `${container} has not restarted: there is no previous instance`}
        >
          {restarted && (
            <span class="text-slate-400">
              ({restarts[container]} restart{restarts[container] === 1 ? "" : "s"})
            </span>
          )}
        </LogToggle>
        <LogViewOptions
          timestamps={timestamps}
          onTimestamps={setTimestamps}
          wrap={wrap}
          onWrap={setWrap}
          search={search}
          onSearch={setSearch}
          state={state}
          following={following}
          onReload={() => setRun((r) => r + 1)}
          onDownload={download}
          canDownload={lines.length > 0}
        />
      </div>
      {error && <Alert title="Cannot read the logs">{error}</Alert>}
      <LogOutput
        lines={lines}
        prefixOf={all ? (l) => sources[l.src] : null}
        shown={shown}
        search={search}
        wrap={wrap}
        waiting={state === "streaming"}
        label={`Logs of ${pod}/${all ? "all containers" : container}${
          previous ? " (previous instance)" : ""
        }`}
      />
    </div>
  );
}
