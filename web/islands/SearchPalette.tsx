// The command palette: a search across every cluster the person can see, opened with Ctrl+K /
// Cmd+K or the header's Search button. Typing asks GET /api/search (debounced; an older request
// is cancelled), results come grouped by cluster with kind and namespace, ↑/↓ move, Enter opens
// the result's page, Esc closes; clusters that did not answer in time are counted below.
import { useEffect, useRef, useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { api, isAbort } from "../client/api.ts";
import {
  groupByCluster,
  isPageLink,
  moveActive,
  opensPalette,
  partialNotices,
  type SearchAnswer,
  type SearchHit,
  shownOrder,
} from "../lib/search.ts";

const DEBOUNCE_MS = 150;
const MAX_TEXT = 100;

const optionId = (i: number) => `search-option-${i}`;

export default function SearchPalette() {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const [answer, setAnswer] = useState<SearchAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [active, setActive] = useState(-1);
  const [mac, setMac] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const opener = useRef<Element | null>(null);

  const show = () => {
    opener.current = document.activeElement;
    setOpen(true);
  };

  useEffect(() => {
    setMac(/Mac|iPhone|iPad/.test(navigator.platform));
    const onKey = (e: KeyboardEvent) => {
      // A terminal keeps its keys (Ctrl+K erases to the end of the line in a shell).
      const inTerminal = e.target instanceof Element && e.target.closest(".xterm") !== null;
      if (!opensPalette(e) || e.defaultPrevented || inTerminal) return;
      e.preventDefault();
      show();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      input.current?.focus();
      input.current?.select();
    }
    if (!open && d.open) {
      d.close();
      (opener.current as HTMLElement | null)?.focus?.();
    }
  }, [open]);

  // Debounced: each keystroke cancels the request before it.
  useEffect(() => {
    const q = text.trim().slice(0, MAX_TEXT);
    if (!open || !q) {
      setAnswer(null);
      setError(null);
      setBusy(false);
      return;
    }
    const ctl = new AbortController();
    setBusy(true);
    const timer = setTimeout(async () => {
      try {
        const a = await api<SearchAnswer>(`/api/search?q=${encodeURIComponent(q)}`, {
          signal: ctl.signal,
        });
        if (ctl.signal.aborted) return;
        setAnswer(a);
        setActive(a.items.length ? 0 : -1);
        setError(null);
      } catch (err) {
        if (!isAbort(err) && !ctl.signal.aborted) setError((err as Error).message);
      } finally {
        if (!ctl.signal.aborted) setBusy(false);
      }
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [text, open]);

  const groups = groupByCluster(answer?.items ?? []);
  const shown = shownOrder(groups);

  useEffect(() => {
    if (active >= 0) {
      document.getElementById(optionId(active))?.scrollIntoView({ block: "nearest" });
    }
  }, [active]);

  const go = (hit: SearchHit | undefined) => {
    if (hit && isPageLink(hit.url)) location.assign(hit.url);
  };

  const onInputKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      setActive(moveActive(active, shown.length, e.key));
    } else if (e.key === "Enter") {
      e.preventDefault();
      go(shown[active]);
    }
  };

  const notices = partialNotices(answer?.partial ?? []);

  return (
    <>
      <button
        type="button"
        data-testid="search-button"
        onClick={show}
        aria-label={`Search clusters (${mac ? "⌘K" : "Ctrl+K"})`}
        title={`Search clusters (${mac ? "⌘K" : "Ctrl+K"})`}
        class="inline-flex h-8 items-center gap-2 rounded-md px-2 text-sm text-slate-500 ring-1 ring-inset ring-slate-200 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-500 sm:w-56 sm:px-2.5 dark:text-slate-400 dark:ring-slate-700 dark:hover:bg-slate-800 dark:hover:text-white cursor-pointer"
      >
        <Icon name="search" class="size-4" />
        <span class="hidden flex-1 text-left sm:inline">Search…</span>
        <kbd class="hidden rounded border border-slate-200 px-1.5 font-sans text-[11px] text-slate-400 sm:inline dark:border-slate-700">
          {mac ? "⌘K" : "Ctrl K"}
        </kbd>
      </button>
      <dialog
        ref={dialog}
        data-testid="search-palette"
        aria-label="Search clusters"
        onCancel={(e) => {
          e.preventDefault();
          setOpen(false);
        }}
        onClose={() => setOpen(false)}
        onClick={(e) => {
          if (e.target === dialog.current) setOpen(false);
        }}
        class="mx-auto mt-[12vh] w-[calc(100%-2rem)] max-w-2xl overflow-hidden rounded-xl bg-white p-0 text-slate-900 shadow-2xl ring-1 ring-slate-900/10 backdrop:bg-slate-950/60 backdrop:backdrop-blur-[2px] dark:bg-slate-900 dark:text-slate-100 dark:ring-white/10"
      >
        <div class="flex items-center gap-3 border-b border-slate-200 px-4 dark:border-slate-800">
          <Icon name="search" class="size-4 shrink-0 text-slate-400" />
          <input
            ref={input}
            type="text"
            data-testid="search-input"
            role="combobox"
            aria-expanded={shown.length > 0}
            aria-controls="search-results"
            aria-autocomplete="list"
            aria-activedescendant={active >= 0 ? optionId(active) : undefined}
            aria-label="Search clusters, namespaces and objects by name"
            placeholder="Search clusters, namespaces, pods, deployments…"
            maxLength={MAX_TEXT}
            autocomplete="off"
            spellcheck={false}
            value={text}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
            onKeyDown={onInputKey}
            class="h-12 min-w-0 flex-1 bg-transparent text-sm outline-none placeholder:text-slate-400"
          />
          {busy && (
            <span
              class="size-4 shrink-0 animate-spin rounded-full border-2 border-slate-300 border-t-indigo-500"
              role="status"
              aria-label="Searching"
            />
          )}
        </div>
        <div id="search-results" role="listbox" class="max-h-[60vh] overflow-y-auto py-2">
          {error && <p class="px-4 py-3 text-sm text-red-600 dark:text-red-400">{error}</p>}
          {answer && !shown.length && !busy && !error && (
            <p class="px-4 py-6 text-center text-sm text-slate-500" data-testid="search-empty">
              No matches for “{text.trim()}”
            </p>
          )}
          {groups.map((g) => (
            <div key={g.cluster_id} role="group" aria-label={g.cluster_name} class="pb-1">
              <p class="px-4 pb-1 pt-2 text-[11px] font-semibold uppercase tracking-wider text-slate-400 dark:text-slate-500">
                {g.cluster_name}
              </p>
              {g.items.map(({ hit, index }) => (
                <a
                  key={index}
                  id={optionId(index)}
                  role="option"
                  aria-selected={index === active}
                  href={isPageLink(hit.url) ? hit.url : undefined}
                  data-testid="search-result"
                  data-cluster={hit.cluster_id}
                  data-kind={hit.kind}
                  data-name={hit.name}
                  onMouseMove={() => index !== active && setActive(index)}
                  class={`mx-2 flex items-center gap-3 rounded-md px-2.5 py-1.5 text-sm ${
                    index === active
                      ? "bg-indigo-50 text-indigo-900 dark:bg-indigo-500/15 dark:text-white"
                      : "text-slate-700 dark:text-slate-200"
                  }`}
                >
                  <span class="w-24 shrink-0 truncate text-xs text-slate-500 dark:text-slate-400">
                    {hit.kind}
                  </span>
                  <span class="min-w-0 flex-1 truncate font-medium">{hit.name}</span>
                  {hit.namespace && (
                    <span class="max-w-[40%] shrink-0 truncate text-xs text-slate-400">
                      {hit.namespace}
                    </span>
                  )}
                </a>
              ))}
            </div>
          ))}
        </div>
        {(notices.length > 0 || answer?.truncated) && (
          <div
            class="border-t border-slate-200 bg-amber-50 px-4 py-2 text-xs text-amber-800 dark:border-slate-800 dark:bg-amber-500/10 dark:text-amber-300"
            data-testid="search-partial"
            title={answer?.partial.map((p) => `${p.cluster_name}: ${p.message}`).join("\n")}
          >
            {[
              ...notices,
              ...(answer?.truncated
                ? ["only the best matches are shown; type more to narrow"]
                : []),
            ].join(" · ")}
          </div>
        )}
        <div class="flex gap-4 border-t border-slate-200 px-4 py-2 text-[11px] text-slate-400 dark:border-slate-800">
          <span>↑↓ to move</span>
          <span>Enter to open</span>
          <span>Esc to close</span>
        </div>
      </dialog>
    </>
  );
}
