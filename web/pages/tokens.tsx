import { Island } from "../islands.tsx";
import ApiTokens from "../islands/ApiTokens.tsx";
import { PageHeader, Shell } from "../components/layout.tsx";
import type { ApiToken, UiUser } from "../lib/types.ts";

export function TokensPage(
  { user, tokens, now }: { user: UiUser; tokens: ApiToken[]; now: number },
) {
  return (
    <Shell
      user={user}
      crumbs={[{ label: "Account" }, { label: "API tokens" }]}
      active="tokens"
      now={now}
    >
      <div class="mx-auto max-w-4xl">
        <PageHeader
          title="API tokens"
          description={`Personal tokens of ${user.username} (${user.role}).`}
        />
        <Island name="ApiTokens" component={ApiTokens} props={{ tokens, now }} />
      </div>
    </Shell>
  );
}
