// The header's menu button below the sidebar's breakpoint (Tailwind's lg): it opens the
// server-rendered sidebar (#sidebar in web/components/layout.tsx) as an off-canvas drawer over a
// backdrop (#sidebar-backdrop). While it is open, focus is in the drawer (its current page's link,
// else its first link), the rest of the page is inert and does not scroll; Esc, a backdrop click,
// the drawer's close button or choosing a link closes it, and focus returns to the button; the
// search palette's Ctrl+K / Cmd+K closes it too.
// Widening the window to the desktop layout closes it (the sidebar is always shown there).
import { useEffect, useRef, useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { btn } from "../components/ui.tsx";
import { opensPalette } from "../lib/search.ts";

/** The ids layout.tsx gives the sidebar, its backdrop and the drawer's close button. */
export const SIDEBAR_ID = "sidebar";
export const BACKDROP_ID = "sidebar-backdrop";
export const CLOSE_ID = "sidebar-close";
/** Tailwind's lg breakpoint, from which the sidebar is part of the page. */
const DESKTOP_QUERY = "(min-width: 64rem)";

export default function MobileNav() {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  /** Whether closing should give focus back to the button (not when a link was chosen). */
  const refocus = useRef(true);

  const close = (focusButton: boolean) => {
    refocus.current = focusButton;
    setOpen(false);
  };

  useEffect(() => {
    const drawer = document.getElementById(SIDEBAR_ID);
    const backdrop = document.getElementById(BACKDROP_ID);
    if (!drawer || !open) return;
    // Everything beside the drawer and its backdrop (the skip link, the header and main content).
    const behind = [...(drawer.parentElement?.children ?? [])].filter(
      (el): el is HTMLElement => el instanceof HTMLElement && el !== drawer && el !== backdrop,
    );
    drawer.setAttribute("data-open", "");
    drawer.setAttribute("role", "dialog");
    drawer.setAttribute("aria-modal", "true");
    drawer.setAttribute("aria-label", "Navigation");
    backdrop?.removeAttribute("hidden");
    for (const el of behind) el.inert = true;
    document.documentElement.classList.add("overflow-hidden");

    const target = drawer.querySelector<HTMLElement>("nav a[aria-current=page]") ??
      drawer.querySelector<HTMLElement>("nav a[href]");
    target?.focus();

    const onKey = (e: KeyboardEvent) => {
      if (opensPalette(e)) {
        // The search palette (in the header) opens now: the page must not be inert any more
        // when it takes focus.
        for (const el of behind) el.inert = false;
        close(false);
      } else if (e.key === "Escape") {
        e.preventDefault();
        close(true);
      }
    };
    const onBackdrop = () => close(true);
    const onDrawerClick = (e: MouseEvent) => {
      const t = e.target instanceof Element ? e.target : null;
      if (t?.closest(`#${CLOSE_ID}`)) close(true);
      else if (t?.closest("a[href]")) close(false);
    };
    const desktop = matchMedia(DESKTOP_QUERY);
    const onWiden = () => {
      if (desktop.matches) close(false);
    };
    document.addEventListener("keydown", onKey);
    backdrop?.addEventListener("click", onBackdrop);
    drawer.addEventListener("click", onDrawerClick);
    desktop.addEventListener("change", onWiden);
    return () => {
      document.removeEventListener("keydown", onKey);
      backdrop?.removeEventListener("click", onBackdrop);
      drawer.removeEventListener("click", onDrawerClick);
      desktop.removeEventListener("change", onWiden);
      drawer.removeAttribute("data-open");
      drawer.removeAttribute("role");
      drawer.removeAttribute("aria-modal");
      drawer.removeAttribute("aria-label");
      backdrop?.setAttribute("hidden", "");
      for (const el of behind) el.inert = false;
      document.documentElement.classList.remove("overflow-hidden");
      if (refocus.current) button.current?.focus();
    };
  }, [open]);

  return (
    <button
      ref={button}
      type="button"
      data-testid="nav-button"
      aria-label="Open navigation"
      aria-expanded={open}
      aria-controls={SIDEBAR_ID}
      onClick={() => {
        refocus.current = true;
        setOpen(!open);
      }}
      class={`${btn.icon} -ml-1.5 shrink-0 lg:hidden`}
    >
      <Icon name="menu" class="size-5" />
    </button>
  );
}
