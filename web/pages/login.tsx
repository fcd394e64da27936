import { Island } from "../islands.tsx";
import LoginForm from "../islands/LoginForm.tsx";
import { Logo } from "../components/icons.tsx";

export function LoginPage({ next, notice }: { next: string; notice?: string }) {
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
          <p class="mt-1.5 text-sm text-slate-500 dark:text-slate-400">
            Use your dashboard account.
          </p>
          <div class="mt-8">
            <Island
              name="LoginForm"
              component={LoginForm}
              props={{ next, ...(notice ? { notice } : {}) }}
            />
          </div>
        </div>
      </main>
    </div>
  );
}
