// The log viewers' shared pieces (islands/LogViewer.tsx: one pod; WorkloadLogs.tsx: all pods of
// a workload): the toolbar's controls (a checkbox toggle, the tail select, the search box, the
// stream's state, Reload/Resume and Download) and the output: the lines in a dark <pre>, each
// with its stream's coloured prefix when there are several, the search's non-matching lines
// hidden, stuck to the bottom while following unless the person scrolled up. No streaming here.
import { type ComponentChildren, Fragment } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { Icon } from "./icons.tsx";
import { btn, inputClass } from "./ui.tsx";
import { lineFilter, type LogLine, prefixColour } from "../lib/k8s/log_lines.ts";

/** The container choice that reads every container at once. */
export const ALL_CONTAINERS = "*";

/** The container picker (only with more than one): each container, then "All containers". */
export function ContainerSelect(
  { containers, value, onChange }: {
    containers: string[];
    value: string;
    onChange: (container: string) => void;
  },
) {
  if (containers.length < 2) return null;
  return (
    <label class="flex items-center gap-2 text-xs text-slate-600 dark:text-slate-300">
      Container
      <select
        class={`${inputClass} !w-auto !py-1 text-xs`}
        value={value}
        onChange={(e) => onChange((e.target as HTMLSelectElement).value)}
        data-testid="log-container"
      >
        {containers.map((c) => <option key={c} value={c}>{c}</option>)}
        <option value={ALL_CONTAINERS}>All containers</option>
      </select>
    </label>
  );
}

/** The toolbar's end both viewers share: Timestamps, Wrap lines, the search and the state. */
export function LogViewOptions(
  p: {
    timestamps: boolean;
    onTimestamps: (on: boolean) => void;
    wrap: boolean;
    onWrap: (on: boolean) => void;
    search: string;
    onSearch: (q: string) => void;
    state: LogState;
    following: boolean;
    onReload: () => void;
    onDownload: () => void;
    canDownload: boolean;
  },
) {
  return (
    <>
      <LogToggle label="Timestamps" checked={p.timestamps} onChange={p.onTimestamps} />
      <LogToggle label="Wrap lines" checked={p.wrap} onChange={p.onWrap} />
      <LogSearch value={p.search} onInput={p.onSearch} />
      <LogStatus
        state={p.state}
        following={p.following}
        onReload={p.onReload}
        onDownload={p.onDownload}
        canDownload={p.canDownload}
      />
    </>
  );
}

/** The tail choices: the last n lines, or all (-1). */
export const TAILS = [100, 500, 2000, -1];

export type LogState = "idle" | "streaming" | "ended" | "error";

const toggle = "flex items-center gap-1.5 text-xs text-slate-600 dark:text-slate-300";

export function LogToggle(
  { label, checked, onChange, disabled, title, testId, children }: {
    label: string;
    checked: boolean;
    onChange: (on: boolean) => void;
    disabled?: boolean;
    title?: string;
    testId?: string;
    children?: ComponentChildren;
  },
) {
  return (
    <label class={toggle} title={title}>
      <input
        type="checkbox"
        class="accent-indigo-600"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange((e.target as HTMLInputElement).checked)}
        data-testid={testId}
      />
      {label}
      {children}
    </label>
  );
}

export function TailSelect({ tail, onChange }: { tail: number; onChange: (t: number) => void }) {
  return (
    <label class="flex items-center gap-2 text-xs text-slate-600 dark:text-slate-300">
      Lines
      <select
        class={`${inputClass} !w-auto !py-1 text-xs`}
        value={String(tail)}
        onChange={(e) => onChange(Number((e.target as HTMLSelectElement).value))}
      >
        {TAILS.map((t) => <option key={t} value={String(t)}>{t < 0 ? "all" : `last ${t}`}</option>)}
      </select>
    </label>
  );
}

export function LogSearch({ value, onInput }: { value: string; onInput: (q: string) => void }) {
  return (
    <label class="relative flex items-center">
      <span class="sr-only">Search the logs</span>
      <Icon name="search" class="pointer-events-none absolute left-2 size-3.5 text-slate-400" />
      <input
        type="search"
        class={`${inputClass} !w-48 !py-1 !pl-7 text-xs`}
        placeholder="Search"
        value={value}
        onInput={(e) => onInput((e.target as HTMLInputElement).value)}
        data-testid="log-search"
      />
    </label>
  );
}

/** The state dot and words, the Reload/Resume button once the stream stopped, and Download. */
export function LogStatus(
  { state, following, onReload, onDownload, canDownload }: {
    state: LogState;
    following: boolean;
    onReload: () => void;
    onDownload: () => void;
    canDownload: boolean;
  },
) {
  return (
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
        <button type="button" class={`${btn.ghost} ${btn.small}`} onClick={onReload}>
          <Icon name="refresh" class="size-3.5" />
          {following ? "Resume" : "Reload"}
        </button>
      )}
      <button
        type="button"
        class={`${btn.ghost} ${btn.small}`}
        onClick={onDownload}
        disabled={!canDownload}
      >
        <Icon name="download" class="size-3.5" />
        Download
      </button>
    </span>
  );
}

/** Saves `text` as a file named `name`. */
export function downloadText(name: string, text: string): void {
  const blob = new Blob([text + "\n"], { type: "text/plain" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/**
 * The lines. `prefixOf` names a line's stream (null: one stream, no prefix); `shown` is a line's
 * text as shown (its stamp when asked for); `search` hides the lines whose prefix and text lack it.
 */
export function LogOutput(
  { lines, prefixOf, shown, search = "", wrap, waiting, label }: {
    lines: LogLine[];
    prefixOf: ((l: LogLine) => string) | null;
    shown: (l: LogLine) => string;
    search?: string;
    wrap: boolean;
    /** Still reading: "Waiting for output…" rather than "No output.". */
    waiting: boolean;
    label: string;
  },
) {
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines, search]);
  const keep = lineFilter(search);
  const visible = search.trim()
    ? lines.filter((l) => keep(`${prefixOf ? `[${prefixOf(l)}] ` : ""}${shown(l)}`))
    : lines;
  const empty = (
    <span class="text-slate-500">
      {lines.length
        ? "No line matches the search."
        : waiting
        ? "Waiting for output…"
        : "No output."}
    </span>
  );
  // One stream: one text. Several: each line with its stream, in that stream's colour.
  const prefixed = (of: (l: LogLine) => string) =>
    visible.map((l, i) => (
      <Fragment key={i}>
        <span class={prefixColour(l.src)} data-container={of(l)}>{`[${of(l)}] `}</span>
        {shown(l)}
        {i < visible.length - 1 ? "\n" : ""}
      </Fragment>
    ));
  return (
    <pre
      ref={box}
      role="log"
      aria-label={label}
      tabIndex={0}
      data-testid="log-output"
      data-lines={visible.length}
      onScroll={(e) => {
        const el = e.target as HTMLPreElement;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
      class={`h-[65vh] overflow-auto rounded-lg bg-slate-950 p-4 font-mono text-xs leading-5 text-slate-200 ring-1 ring-slate-800 ${
        wrap ? "whitespace-pre-wrap break-all" : "whitespace-pre"
      }`}
    >
      {!visible.length ? empty : prefixOf ? prefixed(prefixOf) : visible.map(shown).join("\n")}
    </pre>
  );
}
