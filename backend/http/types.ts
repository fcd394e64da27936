// The Hono environment every dashboard route shares: the authenticated user and how they
// authenticated (cookie sessions need CSRF checks, bearer tokens do not).
import type { User } from "../auth/service.ts";
import type { ReadGate } from "./tls_front.ts";

export interface AppEnv {
  Variables: {
    user: User;
    authKind: "cookie" | "bearer";
    token: string;
  };
}

/**
 * What Deno.serve says about a request, as the dashboard's handler passes it on (Hono's c.env):
 * behind the HTTPS front, remoteAddr is the client's and readGate can push back on its
 * connection (tls_front.ts). In-process requests (tests' app.request) have none of it.
 */
export type ServeInfo = Deno.ServeHandlerInfo<Deno.NetAddr> & { readGate?: ReadGate };
