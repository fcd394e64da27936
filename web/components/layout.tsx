// The application shell (server-rendered): sidebar with the cluster's navigation (a drawer behind
// the top bar's menu button on narrow screens), top bar with breadcrumbs, search, theme toggle and
// user menu, and the main content area.
import type { ComponentChildren } from "preact";
import { Island } from "../islands.tsx";
import ThemeToggle from "../islands/ThemeToggle.tsx";
import SearchPalette from "../islands/SearchPalette.tsx";
import UserMenu from "../islands/UserMenu.tsx";
import MobileNav, { BACKDROP_ID, CLOSE_ID, SIDEBAR_ID } from "../islands/MobileNav.tsx";
import { Icon, type IconName, Logo } from "./icons.tsx";
import { btn } from "./ui.tsx";
import { listUrl } from "../lib/k8s/paths.ts";
import { NAV_SECTIONS } from "../lib/k8s/navigation.ts";
import { clusterStatus, toneClasses } from "../lib/status.ts";
import type { Cluster, UiUser } from "../lib/types.ts";

export interface Crumb {
  label: string;
  href?: string;
}

export interface ShellProps {
  user: UiUser;
  crumbs: Crumb[];
  /** The cluster being browsed (shows its navigation). */
  cluster?: Cluster;
  /**
   * Key of the active nav entry: "clusters", "tokens", "audit", "overview", "all", "events"
   * (the Events page), "apply" (the Create / apply page), or "group/resource".
   */
  active: string;
  now: number;
  children: ComponentChildren;
}

const SECTION_ICONS: Record<string, IconName> = {
  Workloads: "cube",
  Network: "network",
  "Config & Storage": "storage",
  Cluster: "server",
};

function NavLink(
  { href, active, children, icon }: {
    href: string;
    active: boolean;
    children: ComponentChildren;
    icon?: IconName;
  },
) {
  return (
    <a
      href={href}
      aria-current={active ? "page" : undefined}
      class={`flex items-center gap-2.5 rounded-md px-2.5 py-1.5 text-sm transition-colors focus-visible:outline-2 focus-visible:outline-indigo-500 ${
        active
          ? "bg-indigo-50 font-medium text-indigo-700 dark:bg-indigo-500/15 dark:text-indigo-300"
          : "text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-400 dark:hover:bg-slate-800/70 dark:hover:text-white"
      }`}
    >
      {icon && (
        <Icon name={icon} class={`size-4 ${active ? "" : "text-slate-400 dark:text-slate-500"}`} />
      )}
      {children}
    </a>
  );
}

/** The sidebar's Events entry leads to the Events page (live, newest first), not the generic list. */
const isEventsItem = (item: { group: string; resource: string }) =>
  item.group === "" && item.resource === "events";

function Sidebar(
  { cluster, active, now, admin }: {
    cluster?: Cluster;
    active: string;
    now: number;
    /** Shows the admin pages' links. */
    admin: boolean;
  },
) {
  return (
    // Below lg the sidebar is hidden; the header's MobileNav island opens it as a drawer
    // (data-open) over the backdrop that follows it.
    <aside
      id={SIDEBAR_ID}
      class="sticky top-0 hidden h-screen w-64 shrink-0 flex-col border-r border-slate-200 bg-white lg:flex dark:border-slate-800 dark:bg-slate-900 max-lg:data-open:fixed max-lg:data-open:inset-y-0 max-lg:data-open:left-0 max-lg:data-open:z-40 max-lg:data-open:flex max-lg:data-open:h-dvh max-lg:data-open:max-w-[85vw] max-lg:data-open:shadow-xl"
    >
      <div class="flex h-14 items-center justify-between border-b border-slate-200 pr-2 dark:border-slate-800">
        <a href="/clusters" class="flex h-full min-w-0 items-center gap-2.5 px-4">
          <Logo class="size-7" />
          <span class="text-[15px] font-semibold tracking-tight text-slate-900 dark:text-white">
            Kube Dashboard
          </span>
        </a>
        <button
          type="button"
          id={CLOSE_ID}
          aria-label="Close navigation"
          class={`${btn.icon} lg:hidden`}
        >
          <Icon name="x" class="size-5" />
        </button>
      </div>
      <nav aria-label="Main" class="flex-1 space-y-6 overflow-y-auto px-3 py-4">
        <div class="space-y-0.5">
          <NavLink href="/clusters" active={active === "clusters"} icon="grid">
            All clusters
          </NavLink>
        </div>
        {cluster && (
          <div>
            <div class="mb-2 flex items-center gap-2 px-2.5">
              <span
                class={`size-2 rounded-full ${toneClasses[clusterStatus(cluster, now).tone].dot}`}
                aria-hidden="true"
              />
              <span
                class="truncate text-xs font-semibold uppercase tracking-wider text-slate-900 dark:text-white"
                title={cluster.name}
              >
                {cluster.name}
              </span>
            </div>
            <div class="space-y-0.5">
              <NavLink
                href={`/clusters/${cluster.id}`}
                active={active === "overview"}
                icon="cluster"
              >
                Overview
              </NavLink>
              <NavLink href={`/clusters/${cluster.id}/r`} active={active === "all"} icon="layers">
                All resources
              </NavLink>
              <NavLink
                href={`/clusters/${cluster.id}/apply`}
                active={active === "apply"}
                icon="upload"
              >
                Create / apply
              </NavLink>
            </div>
            {NAV_SECTIONS.map((s) => (
              <div key={s.title} class="mt-5">
                <p class="mb-1 flex items-center gap-2 px-2.5 text-[11px] font-semibold uppercase tracking-wider text-slate-400 dark:text-slate-500">
                  <Icon name={SECTION_ICONS[s.title] ?? "cube"} class="size-3.5" />
                  {s.title}
                </p>
                <div class="space-y-0.5">
                  {s.items.map((item) => (
                    <NavLink
                      key={item.resource}
                      href={isEventsItem(item)
                        ? `/clusters/${cluster.id}/events`
                        : listUrl(cluster.id, item)}
                      active={isEventsItem(item)
                        ? active === "events" || active === "/events"
                        : active === `${item.group}/${item.resource}`}
                    >
                      <span class="pl-6">{item.label}</span>
                    </NavLink>
                  ))}
                </div>
              </div>
            ))}
          </div>
        )}
      </nav>
      <div class="space-y-0.5 border-t border-slate-200 px-3 py-3 dark:border-slate-800">
        {admin && (
          <NavLink href="/admin/users" active={active === "users"} icon="user">Users</NavLink>
        )}
        {admin && (
          <NavLink href="/admin/audit" active={active === "audit"} icon="shield">Audit</NavLink>
        )}
        <NavLink href="/account/tokens" active={active === "tokens"} icon="key">API tokens</NavLink>
      </div>
    </aside>
  );
}

export function Shell({ user, crumbs, cluster, active, now, children }: ShellProps) {
  return (
    <div class="flex min-h-screen">
      <a
        href="#main"
        class="sr-only z-50 rounded-md bg-indigo-600 px-3 py-2 text-white focus:not-sr-only focus:fixed focus:left-3 focus:top-3"
      >
        Skip to content
      </a>
      <Sidebar cluster={cluster} active={active} now={now} admin={user.role === "admin"} />
      <div id={BACKDROP_ID} hidden class="fixed inset-0 z-30 bg-slate-950/50 lg:hidden" />
      <div class="flex min-w-0 flex-1 flex-col">
        <header class="sticky top-0 z-20 flex h-14 items-center justify-between gap-4 border-b border-slate-200 bg-white/90 px-4 backdrop-blur sm:px-6 dark:border-slate-800 dark:bg-slate-900/90">
          <Island name="MobileNav" component={MobileNav} props={{}} />
          <nav aria-label="Breadcrumb" class="min-w-0 flex-1">
            <ol class="flex items-center gap-1.5 text-sm">
              <li class="lg:hidden">
                <a href="/clusters" aria-label="All clusters">
                  <Logo class="size-6" />
                </a>
              </li>
              {crumbs.map((c, i) => (
                <li key={i} class="flex min-w-0 items-center gap-1.5">
                  {i > 0 && (
                    <Icon name="chevronRight" class="size-3.5 text-slate-300 dark:text-slate-600" />
                  )}
                  {c.href && i < crumbs.length - 1
                    ? (
                      <a
                        href={c.href}
                        class="truncate text-slate-500 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white"
                      >
                        {c.label}
                      </a>
                    )
                    : (
                      <span
                        class="truncate font-medium text-slate-900 dark:text-white"
                        aria-current="page"
                      >
                        {c.label}
                      </span>
                    )}
                </li>
              ))}
            </ol>
          </nav>
          <div class="flex items-center gap-1">
            <Island name="SearchPalette" component={SearchPalette} props={{}} />
            <Island name="ThemeToggle" component={ThemeToggle} props={{}} />
            <Island
              name="UserMenu"
              component={UserMenu}
              props={{ username: user.username, role: user.role, source: user.source }}
            />
          </div>
        </header>
        <main id="main" tabIndex={-1} class="flex-1 px-4 py-6 focus:outline-none sm:px-6 lg:px-8">
          {children}
        </main>
      </div>
    </div>
  );
}

export function PageHeader(
  { title, description, actions }: {
    title: ComponentChildren;
    description?: ComponentChildren;
    actions?: ComponentChildren;
  },
) {
  return (
    <div class="mb-6 flex flex-wrap items-end justify-between gap-4">
      <div class="min-w-0">
        <h1 class="text-xl font-semibold tracking-tight text-slate-900 dark:text-white">{title}</h1>
        {description && <p class="mt-1 text-sm text-slate-500 dark:text-slate-400">{description}
        </p>}
      </div>
      {actions && <div class="flex flex-wrap items-center gap-2">{actions}</div>}
    </div>
  );
}
