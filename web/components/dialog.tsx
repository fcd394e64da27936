// Client-side building blocks used inside islands: a modal on the native <dialog> element
// (focus trap, Esc and inert background for free), a confirmation dialog for destructive
// actions, and a copy button that says "Copied!".
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { Icon } from "./icons.tsx";
import { Alert, btn, inputClass, labelClass } from "./ui.tsx";
import { displayCommand } from "../lib/agent.ts";

export function Modal(
  { open, onClose, title, description, children, footer, size = "md", labelId }: {
    open: boolean;
    onClose: () => void;
    title: ComponentChildren;
    description?: ComponentChildren;
    children: ComponentChildren;
    footer?: ComponentChildren;
    size?: "md" | "lg" | "xl";
    labelId: string;
  },
) {
  const ref = useRef<HTMLDialogElement>(null);
  // close() queues its close event, which may arrive after `open` became true again (Cancel,
  // then Add cluster at once). Those events are ours; the others (the browser closing the
  // dialog itself) are passed on to onClose unless the dialog is open again by then.
  const ownCloses = useRef(0);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) {
      ownCloses.current++;
      d.close();
    }
  }, [open]);
  const width = { md: "max-w-lg", lg: "max-w-2xl", xl: "max-w-4xl" }[size];
  return (
    <dialog
      ref={ref}
      aria-labelledby={labelId}
      onClose={() => {
        if (ownCloses.current > 0) ownCloses.current--;
        else if (!ref.current?.open) onClose();
      }}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === ref.current) onClose();
      }}
      class={`m-auto w-[calc(100%-2rem)] ${width} max-h-[calc(100vh-2rem)] overflow-hidden rounded-xl bg-white p-0 text-slate-900 shadow-2xl ring-1 ring-slate-900/10 backdrop:bg-slate-950/60 backdrop:backdrop-blur-[2px] dark:bg-slate-900 dark:text-slate-100 dark:ring-white/10`}
    >
      {open && (
        <div class="flex max-h-[calc(100vh-2rem)] flex-col">
          <header class="flex items-start justify-between gap-4 border-b border-slate-200 px-5 py-4 dark:border-slate-800">
            <div>
              <h2 id={labelId} class="text-base font-semibold">{title}</h2>
              {description && (
                <p class="mt-0.5 text-sm text-slate-500 dark:text-slate-400">{description}</p>
              )}
            </div>
            <button type="button" class={btn.icon} onClick={onClose} aria-label="Close">
              <Icon name="x" />
            </button>
          </header>
          <div class="min-h-0 flex-1 overflow-y-auto px-5 py-4">{children}</div>
          {footer && (
            <footer class="flex items-center justify-end gap-2 border-t border-slate-200 bg-slate-50 px-5 py-3 dark:border-slate-800 dark:bg-slate-900/60">
              {footer}
            </footer>
          )}
        </div>
      )}
    </dialog>
  );
}

/** Asks before a destructive action; optionally the user must type `requireText`. */
export function ConfirmDialog(
  { open, onClose, title, children, confirmLabel, requireText, onConfirm, labelId }: {
    open: boolean;
    onClose: () => void;
    title: string;
    children: ComponentChildren;
    confirmLabel: string;
    requireText?: string;
    onConfirm: () => Promise<void>;
    labelId: string;
  },
) {
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (open) {
      setTyped("");
      setError(null);
      setBusy(false);
    }
  }, [open]);
  const ready = !requireText || typed === requireText;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!ready || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} onClose={onClose} title={title} labelId={labelId}>
      <form onSubmit={submit} class="space-y-4">
        <div class="text-sm text-slate-600 dark:text-slate-300">{children}</div>
        {requireText && (
          <div>
            <label class={labelClass} for={`${labelId}-confirm`}>
              Type <span class="font-mono font-semibold">{requireText}</span> to confirm
            </label>
            <input
              id={`${labelId}-confirm`}
              class={`${inputClass} mt-1.5 font-mono`}
              value={typed}
              autoComplete="off"
              spellcheck={false}
              onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
            />
          </div>
        )}
        {error && <Alert>{error}</Alert>}
        <div class="flex justify-end gap-2 pt-1">
          <button type="button" class={btn.secondary} onClick={onClose}>Cancel</button>
          <button type="submit" class={btn.danger} disabled={!ready || busy}>
            <Icon name="trash" />
            {busy ? "Deleting…" : confirmLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && globalThis.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const ta = document.createElement("textarea");
  ta.value = text;
  ta.setAttribute("readonly", "");
  ta.className = "fixed -left-[9999px] top-0";
  document.body.appendChild(ta);
  ta.select();
  try {
    if (!document.execCommand("copy")) throw new Error("copy refused");
  } finally {
    ta.remove();
  }
}

export function CopyButton(
  { text, label = "Copy", class: cls = "" }: { text: string; label?: string; class?: string },
) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const t = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <button
      type="button"
      class={`${btn.secondary} ${btn.small} ${cls}`}
      onClick={() => copyText(text).then(() => setState("copied"), () => setState("failed"))}
      aria-live="polite"
    >
      <Icon
        name={state === "copied" ? "check" : "copy"}
        class={`size-3.5 ${state === "copied" ? "text-emerald-600 dark:text-emerald-400" : ""}`}
      />
      {state === "copied" ? "Copied!" : state === "failed" ? "Press Ctrl+C" : label}
    </button>
  );
}

/** A shell command, wrapped for reading, with a copy button (copies the one-line original). */
export function CommandBlock(
  { title, command, testId }: { title: string; command: string; testId: string },
) {
  return (
    <div>
      <div class="mb-1.5 flex items-center justify-between">
        <h4 class="text-sm font-medium text-slate-700 dark:text-slate-300">{title}</h4>
        <CopyButton text={command} />
      </div>
      <pre
        class="overflow-x-auto rounded-lg bg-slate-950 p-3 font-mono text-xs leading-5 text-slate-100 ring-1 ring-slate-800"
        data-testid={testId}
        tabIndex={0}
        aria-label={title}
      ><code>{displayCommand(command)}</code></pre>
    </div>
  );
}
