// The error page's content (status, title, the message and a link back), in the app shell or
// on its own (web/routes/page.tsx).
import { Icon } from "../components/icons.tsx";
import { btn } from "../components/ui.tsx";

export function ErrorContent(
  { status, title, message, back = "/clusters", backLabel = "Go back" }: {
    status: number;
    title: string;
    message: string;
    back?: string;
    /** The back link's text. */
    backLabel?: string;
  },
) {
  return (
    <div class="mx-auto flex max-w-lg flex-col items-center py-20 text-center">
      <div class="flex size-12 items-center justify-center rounded-full bg-red-50 text-red-600 dark:bg-red-500/10 dark:text-red-400">
        <Icon name="alert" class="size-6" />
      </div>
      <p class="mt-4 text-sm font-semibold text-red-600 dark:text-red-400">{status}</p>
      <h1 class="mt-1 text-xl font-semibold text-slate-900 dark:text-white">{title}</h1>
      <p
        class="mt-2 break-words text-sm text-slate-500 dark:text-slate-400"
        data-testid="error-message"
      >
        {message}
      </p>
      <a href={back} class={`${btn.secondary} mt-6`}>
        <Icon name="arrowLeft" />
        {backLabel}
      </a>
    </div>
  );
}
