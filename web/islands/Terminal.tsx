// The Shell tab of a pod: a terminal (xterm.js v6 with the fit addon) connected to a container
// by the Kubernetes remotecommand WebSocket protocol (web/lib/k8s/remotecommand.ts) through the
// dashboard's proxy: exec of a command (default /bin/sh, retried once with `sh` when it is
// missing) or attach to the container's main process; resize follows the terminal's size.
//
// xterm.js is loaded on demand in the browser (its own bundle chunk; the server renders only the
// controls and an empty frame). Its CSS is in the app stylesheet (web/styles.css imports
// @xterm/xterm/css/xterm.css). The CSP (style-src: the page's nonce only) is kept whole: the
// <style> elements xterm creates get the page's nonce and its setAttribute("style", …) calls
// become CSSOM writes (web/lib/xterm_csp.ts).
import { useEffect, useRef, useState } from "preact/hooks";
import type { ITerminalOptions, Terminal as XTerm } from "@xterm/xterm";
import { Icon } from "../components/icons.tsx";
import { Alert, btn, inputClass } from "../components/ui.tsx";
import { pageNonce } from "../islands.tsx";
import { xtermDocument } from "../lib/xterm_csp.ts";
import { errorMessage } from "../lib/k8s/objects.ts";
import {
  attachPath,
  decodeMessage,
  encodeBinaryStdin,
  encodeClose,
  encodeResize,
  encodeStdin,
  execPath,
  hasCloseChannel,
  type KubeStatus,
  parseStatus,
  sessionOutcome,
  shouldRetryWithSh,
  splitCommand,
  SUBPROTOCOLS,
  webSocketUrl,
} from "../lib/k8s/remotecommand.ts";
import type { Role } from "../lib/types.ts";
import { type Access, controlProps } from "../lib/k8s/access_review.ts";

interface Props {
  clusterId: string;
  namespace: string;
  pod: string;
  /** The pod's containers (spec.containers, then ephemeral containers). */
  containers: string[];
  /** The first container, or the one the kubectl.kubernetes.io/default-container annotation names. */
  defaultContainer: string;
  /** The person's role on the cluster: viewers may not exec or attach (the proxy answers 403). */
  role: Role;
  /**
   * Whether the cluster lets the person exec and attach here (web/routes/permissions.ts): a
   * denied one's button is disabled, its reason the hover text.
   */
  exec: Access;
  attach: Access;
  /** The pod's phase, to warn when no container is running. */
  phase?: string;
}

type Mode = "exec" | "attach";
type State = "loading" | "idle" | "connecting" | "connected" | "ended" | "disconnected";

const DEFAULT_COMMAND = "/bin/sh";

const THEME: ITerminalOptions["theme"] = {
  background: "#020617", // slate-950, as the log viewer
  foreground: "#e2e8f0",
  cursor: "#a5b4fc",
  cursorAccent: "#020617",
  selectionBackground: "#6366f166",
};

const FONT =
  '"JetBrains Mono", ui-monospace, SFMono-Regular, Menlo, Monaco, Consolas, "Liberation Mono", monospace';

const isMac = () => /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

/** Copies text: the async clipboard API when the page may use it, else the copy command. */
async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Not a secure context, or no permission: the copy event carries xterm's selection.
    document.execCommand("copy");
  }
}

/** What a session that could not be opened says: the proxy's answer to a plain request. */
async function refusalReason(path: string): Promise<string> {
  const generic = "the server did not accept the WebSocket connection";
  try {
    const res = await fetch(path, {
      headers: { accept: "application/json" },
      credentials: "same-origin",
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // plain text
    }
    if (res.status === 401) return "your session has ended; log in again";
    if (res.status === 403 || res.status === 404) return errorMessage(body, res.status);
    return generic;
  } catch {
    return `${generic} (the dashboard cannot be reached)`;
  }
}

/** One WebSocket session and what the terminal learns about it. */
interface Session {
  ws: WebSocket;
  mode: Mode;
  argv: string[];
  retried: boolean;
  openedAt: number;
  typed: boolean;
  closedByUser: boolean;
  errorText: string;
  status: KubeStatus | null;
}

export default function Terminal(props: Props) {
  const { clusterId, namespace, pod, containers, role, phase, exec, attach } = props;
  const canExec = role !== "viewer";
  const [container, setContainer] = useState(props.defaultContainer || containers[0] || "");
  const [command, setCommand] = useState(DEFAULT_COMMAND);
  const [commandError, setCommandError] = useState<string | null>(null);
  const [state, setState] = useState<State>("loading");
  const [detail, setDetail] = useState("");
  const [note, setNote] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [size, setSize] = useState<{ cols: number; rows: number } | null>(null);
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<XTerm | null>(null);
  const session = useRef<Session | null>(null);
  const last = useRef<{ mode: Mode; argv: string[]; container: string } | null>(null);

  /** Writes a dim status line into the terminal (not the program's output). */
  const say = (text: string) => term.current?.write(`\r\n\x1b[2m[${text}]\x1b[0m\r\n`);

  const send = (data: Uint8Array<ArrayBuffer>) => {
    const s = session.current;
    if (s && s.ws.readyState === WebSocket.OPEN) s.ws.send(data);
  };

  const disconnect = () => {
    const s = session.current;
    if (!s) return;
    s.closedByUser = true;
    if (s.ws.readyState === WebSocket.OPEN && hasCloseChannel(s.ws.protocol)) {
      s.ws.send(encodeClose()); // v5: end of input for the process
    }
    s.ws.close(1000, "closed by the user");
  };

  const connect = (mode: Mode, argv: string[], target: string, retried = false) => {
    const t = term.current;
    if (!t || !target) return;
    const previous = session.current;
    if (previous) {
      previous.closedByUser = true;
      previous.ws.close(1000, "replaced by a new session");
    }
    const st = { clusterId, namespace, pod, container: target };
    const path = mode === "exec" ? execPath(st, argv) : attachPath(st);
    last.current = { mode, argv, container: target };
    setState("connecting");
    setDetail("");
    if (!retried) setNote(null);
    say(
      mode === "exec"
        ? `connecting to ${pod}/${target}: ${argv.join(" ")}`
        : `attaching to ${pod}/${target}`,
    );
    const ws = new WebSocket(webSocketUrl(path, location), [...SUBPROTOCOLS]);
    ws.binaryType = "arraybuffer";
    const s: Session = {
      ws,
      mode,
      argv,
      retried,
      openedAt: 0,
      typed: false,
      closedByUser: false,
      errorText: "",
      status: null,
    };
    session.current = s;
    const errors = new TextDecoder();
    ws.onopen = () => {
      if (session.current !== s) return;
      s.openedAt = performance.now();
      setState("connected");
      send(encodeResize(t.cols, t.rows));
      if (mode === "attach") say("attached; if you see no prompt, press Enter");
      t.focus();
    };
    ws.onmessage = (ev) => {
      if (session.current !== s) return; // a replaced session's last words
      const f = decodeMessage(ev.data);
      if (f.kind === "stdout" || f.kind === "stderr") {
        t.write(f.data);
      } else if (f.kind === "error") {
        s.errorText += errors.decode(f.data, { stream: true });
        s.status = parseStatus(s.errorText) ?? s.status;
      }
    };
    ws.onclose = async (ev) => {
      if (session.current !== s) return; // replaced: the new session owns the status
      session.current = null;
      if (!s.status && s.errorText) s.status = parseStatus(s.errorText, true);
      if (!s.openedAt) {
        // Refused before the upgrade (the browser learns no status): ask the proxy why.
        const reason = s.closedByUser ? "you disconnected" : await refusalReason(path);
        if (session.current) return; // a new session started meanwhile
        say(`could not connect: ${reason}`);
        setState("disconnected");
        setDetail(reason);
        return;
      }
      const elapsedMs = performance.now() - s.openedAt;
      if (
        s.mode === "exec" &&
        shouldRetryWithSh({ argv: s.argv, status: s.status, elapsedMs, typed: s.typed, retried })
      ) {
        const text = `${s.argv[0]} could not be started in the container; retried with sh`;
        setNote(text);
        say(text);
        connect("exec", ["sh"], target, true);
        return;
      }
      if (s.status) {
        // A refusal (missing pod, a viewer) arrives the same way, as a Status without exit code.
        const { state, text } = sessionOutcome(s.status);
        setState(state);
        setDetail(text);
        say(state === "ended" ? text : `disconnected: ${text}`);
      } else {
        const reason = s.closedByUser
          ? "you disconnected"
          : ev.reason || (ev.code === 1006
            ? "the connection was lost"
            : `the connection closed (code ${ev.code})`);
        setState("disconnected");
        setDetail(reason);
        say(`disconnected: ${reason}`);
      }
    };
  };

  const start = (mode: Mode) => {
    if (!(mode === "attach" ? attach : exec).allowed) return;
    if (mode === "attach") {
      connect("attach", [], container);
      return;
    }
    let argv: string[];
    try {
      argv = splitCommand(command);
    } catch (err) {
      setCommandError((err as Error).message);
      return;
    }
    if (argv.length === 0) {
      setCommandError("Enter a command to run, e.g. /bin/sh");
      return;
    }
    setCommandError(null);
    connect("exec", argv, container);
  };

  const reconnect = () => {
    const l = last.current;
    if (l) connect(l.mode, l.argv, l.container);
  };

  // Load xterm.js, open the terminal in the frame, keep it fitted; close the session on unmount.
  useEffect(() => {
    if (!canExec) return;
    let disposed = false;
    const cleanups: (() => void)[] = [];
    (async () => {
      try {
        const [{ Terminal: XTermClass }, { FitAddon: Fit }] = await Promise.all([
          import("@xterm/xterm"),
          import("@xterm/addon-fit"),
        ]);
        if (disposed || !host.current) return;
        const xdoc = xtermDocument(document, pageNonce());
        const t = new XTermClass({
          documentOverride: xdoc.proxy,
          theme: THEME,
          fontFamily: FONT,
          fontSize: 13,
          cursorBlink: true,
          scrollback: 5000,
        });
        const f = new Fit();
        t.loadAddon(f);
        const el = host.current;
        xdoc.during(() => t.open(el));
        if (!xdoc.patchRowFactory(t)) console.warn("xterm: 24-bit colours may break the CSP");
        term.current = t;
        // Copy: Ctrl+Shift+C (⌘C on macOS) copies the selection; paste: Ctrl+Shift+V (⌘V) is
        // left to the browser, whose paste event xterm turns into input. Plain Ctrl+C and Ctrl+V
        // stay terminal keys (interrupt, literal next).
        t.attachCustomKeyEventHandler((ev) => {
          const combo = isMac() ? ev.metaKey && !ev.ctrlKey : ev.ctrlKey && ev.shiftKey;
          if (!combo) return true;
          const key = ev.key.toLowerCase();
          if (key === "c") {
            if (ev.type === "keydown") {
              ev.preventDefault(); // not the browser's Ctrl+Shift+C (its element inspector)
              if (t.hasSelection()) copyText(t.getSelection());
            }
            return false;
          }
          return key !== "v";
        });
        const input = t.onData((data) => {
          const s = session.current;
          if (!s) return;
          s.typed = true;
          send(encodeStdin(data));
        });
        const binary = t.onBinary((data) => send(encodeBinaryStdin(data)));
        const resized = t.onResize(({ cols, rows }) => {
          setSize({ cols, rows });
          send(encodeResize(cols, rows));
        });
        let frame = 0;
        const refit = () => {
          cancelAnimationFrame(frame);
          frame = requestAnimationFrame(() => {
            try {
              f.fit();
            } catch {
              // not laid out (hidden): the next resize fits
            }
          });
        };
        const observer = new ResizeObserver(refit);
        observer.observe(host.current);
        addEventListener("resize", refit);
        f.fit();
        setSize({ cols: t.cols, rows: t.rows });
        t.write("\x1b[2m[not connected: pick a container, then Connect (exec) or Attach]\x1b[0m");
        setState("idle");
        cleanups.push(() => {
          cancelAnimationFrame(frame);
          observer.disconnect();
          removeEventListener("resize", refit);
          input.dispose();
          binary.dispose();
          resized.dispose();
          t.dispose();
        });
      } catch (err) {
        setLoadError((err as Error).message);
      }
    })();
    return () => {
      disposed = true;
      const s = session.current;
      session.current = null;
      if (s) {
        s.closedByUser = true;
        s.ws.close(1000, "the page closed the terminal");
      }
      for (const c of cleanups) c();
      term.current = null;
    };
  }, []);

  if (!canExec) {
    return (
      <div data-testid="terminal-forbidden">
        <Alert tone="amber" title="A shell needs the editor role">
          Your role on this cluster is viewer, and viewers may only read. Running a command in a
          container (exec) or attaching to its process needs the editor or admin role; ask an admin
          for it.
        </Alert>
      </div>
    );
  }

  const busy = state === "connecting" || state === "connected";
  const ready = state !== "loading";
  const finished = phase === "Succeeded" || phase === "Failed";
  const dot = state === "connected"
    ? "bg-emerald-500"
    : state === "connecting"
    ? "animate-pulse bg-amber-400"
    : state === "disconnected"
    ? "bg-red-500"
    : "bg-slate-400";
  const statusText = state === "loading"
    ? "loading the terminal…"
    : state === "idle"
    ? "not connected"
    : state === "connecting"
    ? "connecting…"
    : state === "connected"
    ? "connected"
    : state === "ended"
    ? detail
    : `disconnected: ${detail}`;
  const label = "flex items-center gap-2 text-xs text-slate-600 dark:text-slate-300";
  return (
    <div class="space-y-3">
      {(finished || (phase && phase !== "Running")) && (
        <Alert tone="amber" title={`The pod is ${phase}`}>
          {finished
            ? "Its containers have stopped: there is no process to run a command in or attach to."
            : "Its containers may not be running yet; exec and attach need a running container."}
        </Alert>
      )}
      <form
        class="flex flex-wrap items-end gap-x-4 gap-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          start("exec");
        }}
      >
        <label class={label}>
          Container
          <select
            class={`${inputClass} !w-auto !py-1 text-xs`}
            value={container}
            disabled={busy}
            onChange={(e) => setContainer((e.target as HTMLSelectElement).value)}
            data-testid="terminal-container"
          >
            {containers.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </label>
        <label class={label}>
          Command
          <input
            type="text"
            class={`${inputClass} !w-56 !py-1 font-mono text-xs`}
            value={command}
            disabled={busy}
            spellcheck={false}
            autocomplete="off"
            aria-invalid={commandError ? "true" : undefined}
            aria-describedby={commandError ? "terminal-command-error" : undefined}
            onInput={(e) => setCommand((e.target as HTMLInputElement).value)}
            data-testid="terminal-command"
          />
        </label>
        <span class="flex items-center gap-2">
          <button
            type="submit"
            class={`${btn.primary} ${btn.small}`}
            disabled={!ready || busy || !container || !exec.allowed}
            aria-disabled={exec.allowed ? undefined : "true"}
            title={controlProps(exec).title ?? "Run the command in the container (exec)"}
            data-testid="terminal-connect"
          >
            <Icon name="play" class="size-3.5" />
            Connect
          </button>
          <button
            type="button"
            class={`${btn.secondary} ${btn.small}`}
            disabled={!ready || busy || !container || !attach.allowed}
            aria-disabled={attach.allowed ? undefined : "true"}
            onClick={() => start("attach")}
            title={controlProps(attach).title ??
              "Attach to the container's main process (its stdin and output)"}
            data-testid="terminal-attach"
          >
            <Icon name="logs" class="size-3.5" />
            Attach
          </button>
          {busy && (
            <button
              type="button"
              class={`${btn.dangerGhost} ${btn.small}`}
              onClick={disconnect}
            >
              <Icon name="x" class="size-3.5" />
              Disconnect
            </button>
          )}
        </span>
        <span class="ml-auto flex items-center gap-2">
          <span
            class="flex items-center gap-1.5 text-xs text-slate-500 dark:text-slate-400"
            aria-live="polite"
            data-testid="terminal-status"
            data-state={state}
          >
            <span class={`size-2 rounded-full ${dot}`} aria-hidden="true" />
            {statusText}
          </span>
          {(state === "ended" || state === "disconnected") && last.current && (
            <button type="button" class={`${btn.ghost} ${btn.small}`} onClick={reconnect}>
              <Icon name="refresh" class="size-3.5" />
              Reconnect
            </button>
          )}
        </span>
      </form>
      {!exec.allowed && !attach.allowed && (
        <p class="text-xs text-amber-700 dark:text-amber-300" data-testid="terminal-denied">
          No shell here: {exec.reason}
        </p>
      )}
      {commandError && (
        <p id="terminal-command-error" class="text-xs text-red-600 dark:text-red-400">
          {commandError}
        </p>
      )}
      {note && <p class="text-xs text-amber-700 dark:text-amber-300" role="status">{note}</p>}
      {loadError && <Alert title="The terminal could not be loaded">{loadError}</Alert>}
      <div class="rounded-lg bg-slate-950 p-2 ring-1 ring-slate-800">
        <div
          ref={host}
          class="h-[65vh] min-h-48 w-full"
          role="group"
          aria-label={`Terminal of ${pod}`}
          data-testid="terminal"
          data-state={state}
          data-cols={size ? String(size.cols) : undefined}
          data-rows={size ? String(size.rows) : undefined}
        />
      </div>
      <p class="text-xs text-slate-500 dark:text-slate-400">
        Copy: select with the mouse, then Ctrl+Shift+C (⌘C on macOS). Paste: Ctrl+Shift+V (⌘V on
        macOS). The right-click menu's Copy and Paste work too. Ctrl+C goes to the program.
      </p>
    </div>
  );
}
