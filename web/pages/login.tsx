// The sign-in page: "Sign in with <provider>" (a plain link to single sign-on's start, working
// without script) when single sign-on is set up, the password form (LoginForm) unless local
// sign-in is turned off, and after signing out a notice with the provider's end-session link.
import { Island } from "../islands.tsx";
import LoginForm from "../islands/LoginForm.tsx";
import { Icon, Logo } from "../components/icons.tsx";
import { Alert, btn, linkClass } from "../components/ui.tsx";

export interface LoginPageProps {
  /** Where to go once signed in (a safe local path). */
  next: string;
  /** Shown above the password form (the form was sent before its script ran). */
  notice?: string;
  /** Single sign-on: the provider's name on the button. */
  sso?: { name: string } | null;
  /** Whether the password form is offered (OIDC_LOCAL_LOGIN). */
  localLogin?: boolean;
  /**
   * The person just signed out (`?signed_out=1`): the notice, with the provider's end-session
   * link when it has one.
   */
  signedOut?: { provider?: { name: string; url: string } } | null;
}

export function LoginPage(
  { next, notice, sso = null, localLogin = true, signedOut = null }: LoginPageProps,
) {
  const subtitle = !sso
    ? "Use your dashboard account."
    : localLogin
    ? `Use your ${sso.name} account, or a dashboard account.`
    : `Use your ${sso.name} account.`;
  return (
    <div class="flex min-h-screen">
      <div class="relative hidden flex-1 overflow-hidden bg-slate-900 lg:block">
        <div class="absolute inset-0 bg-[radial-gradient(ellipse_at_top_left,_var(--color-indigo-500)_0%,_transparent_55%)] opacity-40" />
        <div class="absolute inset-0 bg-[radial-gradient(ellipse_at_bottom_right,_var(--color-violet-600)_0%,_transparent_50%)] opacity-30" />
        <div class="relative flex h-full flex-col justify-between p-12 text-white">
          <div class="flex items-center gap-3">
            <Logo class="size-9" />
            <span class="text-lg font-semibold tracking-tight">Kube Dashboard</span>
          </div>
          <div class="max-w-md">
            <p class="text-3xl font-semibold leading-tight tracking-tight">
              Every cluster, one place.
            </p>
            <p class="mt-4 text-slate-300">
              Connect clusters with a kubeconfig or an agent that dials out. Browse workloads,
              follow logs and edit resources live, with the permissions you choose.
            </p>
          </div>
          <p class="text-sm text-slate-400">
            Self-hosted · your credentials stay encrypted on your server
          </p>
        </div>
      </div>
      <main class="flex flex-1 items-center justify-center px-6 py-12 lg:max-w-xl">
        <div class="w-full max-w-sm">
          <div class="mb-8 flex items-center gap-3 lg:hidden">
            <Logo class="size-9" />
            <span class="text-lg font-semibold tracking-tight">Kube Dashboard</span>
          </div>
          <h1 class="text-2xl font-semibold tracking-tight text-slate-900 dark:text-white">
            Sign in
          </h1>
          <p class="mt-1.5 text-sm text-slate-500 dark:text-slate-400" data-testid="login-subtitle">
            {subtitle}
          </p>
          {signedOut && (
            <div class="mt-6" data-testid="signed-out">
              <Alert tone="green">
                You are signed out of the dashboard.
                {signedOut.provider && (
                  <>
                    {" "}
                    <a
                      href={signedOut.provider.url}
                      class={linkClass}
                      data-testid="sso-end-session"
                    >
                      Also sign out of {signedOut.provider.name}
                    </a>
                  </>
                )}
              </Alert>
            </div>
          )}
          {sso && (
            <div class="mt-8">
              <a
                href={`/auth/oidc/start?next=${encodeURIComponent(next)}`}
                class={`${btn.primary} w-full !py-2`}
                data-testid="sso-sign-in"
              >
                <Icon name="shield" />
                Sign in with {sso.name}
              </a>
            </div>
          )}
          {sso && localLogin && (
            <div class="my-6 flex items-center gap-3" aria-hidden="true">
              <div class="h-px flex-1 bg-slate-200 dark:bg-slate-800" />
              <span class="text-xs uppercase tracking-wide text-slate-400 dark:text-slate-500">
                or
              </span>
              <div class="h-px flex-1 bg-slate-200 dark:bg-slate-800" />
            </div>
          )}
          {localLogin && (
            <div class={sso ? "" : "mt-8"}>
              <Island
                name="LoginForm"
                component={LoginForm}
                props={{
                  next,
                  ...(notice ? { notice } : {}),
                  ...(sso ? { secondary: true } : {}),
                }}
              />
            </div>
          )}
        </div>
      </main>
    </div>
  );
}
