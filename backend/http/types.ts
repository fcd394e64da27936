// The Hono environment every dashboard route shares: the authenticated user and how they
// authenticated (cookie sessions need CSRF checks, bearer tokens do not).
import type { User } from "../auth/service.ts";

export interface AppEnv {
  Variables: {
    user: User;
    authKind: "cookie" | "bearer";
    token: string;
  };
}
