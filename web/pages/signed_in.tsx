// The page the single-sign-on callback answers once the session is set: the document moves the
// browser on to `next` at once (renderDocument's `refreshTo`); the link is there for a browser
// that does not follow it.
import { Icon } from "../components/icons.tsx";
import { btn } from "../components/ui.tsx";

export function SignedInPage({ next }: { next: string }) {
  return (
    <main id="main" class="px-6">
      <div class="mx-auto flex max-w-lg flex-col items-center py-20 text-center">
        <div class="flex size-12 items-center justify-center rounded-full bg-emerald-50 text-emerald-600 dark:bg-emerald-500/10 dark:text-emerald-400">
          <Icon name="check" class="size-6" />
        </div>
        <h1 class="mt-4 text-xl font-semibold text-slate-900 dark:text-white">You are signed in</h1>
        <p class="mt-2 text-sm text-slate-500 dark:text-slate-400" role="status">
          Taking you to the dashboard…
        </p>
        <a href={next} class={`${btn.primary} mt-6`} data-testid="sso-continue">
          Continue
          <Icon name="chevronRight" />
        </a>
      </div>
    </main>
  );
}
