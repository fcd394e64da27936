// The registration token shown beside the agent install commands (Add cluster → Deploy agent,
// and the credential-rotation dialog): the commands carry no token, so the page shows it here
// with a copy button and how to pass it (the same words as `deno task token create`).
import { TOKEN_HINT, TOKEN_TITLE } from "../../common/registration_token.ts";
import { CommandBlock } from "./dialog.tsx";

export function AgentTokenBlock({ token, testId }: { token: string; testId: string }) {
  return (
    <div>
      <CommandBlock title={TOKEN_TITLE} command={token} testId={testId} />
      <p class="mt-1.5 text-xs text-slate-500 dark:text-slate-400" data-testid={`${testId}-hint`}>
        {TOKEN_HINT}
      </p>
    </div>
  );
}
