// The signed-in user's menu: role, change password (not for single-sign-on users: the provider
// keeps their password), API tokens, log out (to the sign-in page's signed-out notice, which offers
// signing out of the provider too). Keyboard: Enter/Space/↓ opens, ↑/↓ move, Esc closes and
// returns focus to the button.
import { useEffect, useRef, useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { api } from "../client/api.ts";
import type { Role, UserSource } from "../lib/types.ts";

const ROLE_TEXT: Record<Role, string> = {
  admin: "Admin: manages clusters and users",
  editor: "Editor: may change cluster resources",
  viewer: "Viewer: read-only",
  none: "No global role: only clusters given to you",
};

export default function UserMenu(
  { username, role, source = "local" }: { username: string; role: Role; source?: UserSource },
) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  const items = () => [...(root.current?.querySelectorAll<HTMLElement>("[role=menuitem]") ?? [])];
  const close = (focusButton = true) => {
    setOpen(false);
    if (focusButton) button.current?.focus();
  };

  useEffect(() => {
    if (!open) return;
    items()[0]?.focus();
    const onDoc = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDoc);
    return () => document.removeEventListener("mousedown", onDoc);
  }, [open]);

  const onMenuKey = (e: KeyboardEvent) => {
    const list = items();
    const i = list.indexOf(document.activeElement as HTMLElement);
    if (e.key === "Escape") {
      e.preventDefault();
      close();
    } else if (e.key === "ArrowDown") {
      e.preventDefault();
      list[(i + 1) % list.length]?.focus();
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      list[(i - 1 + list.length) % list.length]?.focus();
    } else if (e.key === "Tab") {
      setOpen(false);
    }
  };

  const logout = async () => {
    try {
      await api("/api/auth/logout", { method: "POST", noRedirect: true });
    } finally {
      location.assign("/login?signed_out=1");
    }
  };

  const itemClass =
    "flex w-full items-center gap-2 rounded-md px-2.5 py-1.5 text-left text-sm text-slate-700 hover:bg-slate-100 focus:bg-slate-100 focus:outline-none dark:text-slate-200 dark:hover:bg-slate-800 dark:focus:bg-slate-800 cursor-pointer";

  return (
    <div class="relative" ref={root}>
      <button
        ref={button}
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls="user-menu"
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setOpen(true);
          }
        }}
        class="flex items-center gap-2 rounded-full py-1 pl-1 pr-2 text-sm font-medium text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-slate-200 dark:hover:bg-slate-800 cursor-pointer"
      >
        <span
          class="flex size-7 items-center justify-center rounded-full bg-indigo-600 text-xs font-semibold uppercase text-white"
          aria-hidden="true"
        >
          {username.slice(0, 1)}
        </span>
        {/* Only the initial shows on a phone; the name stays the button's accessible name. */}
        <span class="sr-only sm:not-sr-only" data-testid="current-user">{username}</span>
        <Icon name="chevronDown" class="size-3.5 text-slate-400" />
      </button>
      {open && (
        <div
          id="user-menu"
          role="menu"
          aria-label="Account"
          onKeyDown={onMenuKey}
          class="absolute right-0 z-40 mt-2 w-64 origin-top-right rounded-lg bg-white p-1.5 shadow-lg ring-1 ring-slate-900/10 dark:bg-slate-900 dark:ring-white/10"
        >
          <div class="px-2.5 py-2">
            <p class="text-sm font-semibold text-slate-900 dark:text-white">{username}</p>
            <p class="text-xs text-slate-500 dark:text-slate-400" data-role={role}>
              {ROLE_TEXT[role]}
            </p>
          </div>
          <div class="my-1 h-px bg-slate-200 dark:bg-slate-800" />
          {source !== "sso" && (
            <a role="menuitem" tabIndex={-1} href="/account/password" class={itemClass}>
              <Icon name="shield" class="size-4 text-slate-400" />
              Change password
            </a>
          )}
          <a role="menuitem" tabIndex={-1} href="/account/tokens" class={itemClass}>
            <Icon name="key" class="size-4 text-slate-400" />
            API tokens
          </a>
          <button role="menuitem" tabIndex={-1} type="button" class={itemClass} onClick={logout}>
            <Icon name="logout" class="size-4 text-slate-400" />
            Log out
          </button>
        </div>
      )}
    </div>
  );
}
