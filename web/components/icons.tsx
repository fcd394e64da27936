// Stroke icons (24×24, currentColor). Decorative by default (aria-hidden); give `title` for a
// meaningful icon without visible text.
import type { JSX } from "preact";

const PATHS = {
  kubeconfig: "M7 3h7l5 5v13H7zM14 3v5h5M10 13h6M10 17h4",
  agent: "M12 12v9M8.5 8.5a5 5 0 0 1 7 0M5.6 5.6a9 9 0 0 1 12.8 0M12 12h.01",
  cluster: "M12 2.5l8.2 4.75v9.5L12 21.5l-8.2-4.75v-9.5zM12 8v8M8.5 10l7 4M15.5 10l-7 4",
  plus: "M12 5v14M5 12h14",
  trash: "M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
  copy: "M9 9h11v11H9zM5 15H4V4h11v1",
  check: "M5 13l4 4L19 7",
  x: "M6 6l12 12M18 6L6 18",
  chevronDown: "M6 9l6 6 6-6",
  chevronRight: "M9 6l6 6-6 6",
  refresh: "M4 4v5h5M20 20v-5h-5M5.6 15a7 7 0 0 0 12.9 1M18.4 9A7 7 0 0 0 5.5 8",
  sun:
    "M12 16a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4",
  moon: "M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z",
  monitor: "M3 4h18v12H3zM8 20h8M12 16v4",
  logout: "M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9",
  key: "M7.5 20a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9zM10.7 12.3L21 2M16 7l3 3M18.5 4.5l2 2",
  download: "M12 3v12M7 10l5 5 5-5M5 21h14",
  upload: "M12 21V9M7 14l5-5 5 5M5 3h14",
  search: "M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM21 21l-5-5",
  logs: "M4 17l6-6-6-6M12 19h8",
  terminal: "M3 4h18v16H3zM7 9l3 3-3 3M13 15h4",
  code: "M16 18l6-6-6-6M8 6l-6 6 6 6",
  cube: "M21 16V8l-9-5-9 5v8l9 5 9-5zM3.3 7L12 12l8.7-5M12 22V12",
  layers: "M12 2L2 7l10 5 10-5-10-5zM2 17l10 5 10-5M2 12l10 5 10-5",
  alert:
    "M10.3 3.9L1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0zM12 9v4M12 17h.01",
  info: "M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM12 16v-4M12 8h.01",
  pencil: "M17 3l4 4L7 21H3v-4L17 3z",
  user: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0",
  pause: "M8 5v14M16 5v14",
  play: "M6 4l14 8-14 8z",
  arrowLeft: "M19 12H5M12 19l-7-7 7-7",
  external: "M14 4h6v6M20 4l-9 9M18 14v6H4V6h6",
  server: "M3 4h18v6H3zM3 14h18v6H3zM7 7h.01M7 17h.01",
  network: "M12 3v6M5 15v-2h14v2M12 9a3 3 0 1 0 0-.01M5 18a3 3 0 1 0 0-.01M19 18a3 3 0 1 0 0-.01",
  settings:
    "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z",
  storage:
    "M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3zM4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3",
  grid: "M3 3h7v7H3zM14 3h7v7h-7zM14 14h7v7h-7zM3 14h7v7H3z",
  shield: "M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z",
  bolt: "M13 2L3 14h9l-1 8 10-12h-9l1-8z",
  undo: "M9 14L4 9l5-5M4 9h11a5 5 0 0 1 0 10h-4",
  scale: "M4 9V4h5M20 15v5h-5M4 4l6 6M20 20l-6-6M14 4h6v6M10 20H4v-6",
  menu: "M4 6h16M4 12h16M4 18h16",
} as const;

export type IconName = keyof typeof PATHS;

export function Icon(
  { name, class: cls = "size-4", title, strokeWidth = 1.75 }: {
    name: IconName;
    class?: string;
    title?: string;
    strokeWidth?: number;
  },
): JSX.Element {
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width={strokeWidth}
      stroke-linecap="round"
      stroke-linejoin="round"
      class={`shrink-0 ${cls}`}
      aria-hidden={title ? undefined : "true"}
      role={title ? "img" : undefined}
      aria-label={title}
      focusable="false"
    >
      {title && <title>{title}</title>}
      <path d={PATHS[name]} />
    </svg>
  );
}

/** The dashboard's mark: a hexagon with a helm-like hub. */
export function Logo({ class: cls = "size-7" }: { class?: string }): JSX.Element {
  return (
    <svg viewBox="0 0 32 32" class={cls} aria-hidden="true" focusable="false">
      <path
        d="M16 2l12.1 7v14L16 30 3.9 23V9z"
        fill="currentColor"
        class="text-indigo-600 dark:text-indigo-500"
      />
      <path
        d="M16 9.5v13M10.4 12.75l11.2 6.5M21.6 12.75l-11.2 6.5"
        stroke="white"
        stroke-width="2"
        stroke-linecap="round"
        fill="none"
      />
      <circle cx="16" cy="16" r="3" fill="white" />
    </svg>
  );
}
