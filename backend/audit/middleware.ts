// The audit middleware, mounted on the authenticated /api app right after authenticate(): every
// write (POST, PUT, PATCH, DELETE, …) and every upgrade (exec, attach, port-forward) is recorded
// once its response is decided, with the user, the connection's address, the cluster, the verb
// and path (target.ts) and the status. A handler's thrown HttpError has become its response by
// then (Hono hands it to app.onError where it is thrown), so a refusal is recorded with its own
// status. The record is awaited before the response leaves: a client never sees a write succeed
// whose record was not attempted. Nothing of the request's body or query is read.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/types.ts";
import { HttpError } from "../http/errors.ts";
import { clientAddress } from "../http/client_address.ts";
import { auditTarget } from "./target.ts";
import type { AuditLog } from "./store.ts";

const CLUSTER_ITSELF = /^\/api\/clusters\/[0-9a-f-]{36}$/i;

export function auditMutations(
  audit: Pick<AuditLog, "record" | "clusterName">,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const upgrade = c.req.header("upgrade") !== undefined;
    const target = auditTarget(c.req.method, url.pathname, url.searchParams, upgrade);
    if (!target) return await next();
    // A deleted cluster's name is gone once the handler has run: read it first.
    const clusterName = target.clusterId && c.req.method === "DELETE" &&
        CLUSTER_ITSELF.test(url.pathname)
      ? await audit.clusterName(target.clusterId)
      : null;
    const user = c.get("user");
    // Read before the handler runs: after a WebSocket upgrade the request is closed and Deno's
    // remoteAddr getter throws.
    const source = clientAddress(c);
    const record = (status: number, clusterId = target.clusterId) =>
      audit.record({
        userId: user.id,
        username: user.username,
        source,
        clusterId,
        clusterName,
        verb: target.verb,
        path: target.path,
        status,
      });
    try {
      await next();
    } catch (err) {
      // Only what app.onError did not turn into a response comes here.
      await record(err instanceof HttpError ? err.status : 500);
      throw err;
    }
    await record(c.res.status, target.clusterId ?? await createdCluster(c.req.method, url, c.res));
  };
}

/** The id of a cluster POST /api/clusters has just added (its answer is the cluster). */
async function createdCluster(method: string, url: URL, res: Response): Promise<string | null> {
  if (method !== "POST" || url.pathname !== "/api/clusters" || res.status !== 201) return null;
  try {
    const id = (await res.clone().json() as { id?: unknown }).id;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}
