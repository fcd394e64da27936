// REST for the search across clusters: GET /api/search?q=<text>&limit=<n>, for any signed-in
// user, over the clusters they hold a role on (service.ts).
import { Hono } from "hono";
import type { AppEnv } from "../http/types.ts";
import { parseSearchQuery } from "./query.ts";
import type { SearchService } from "./service.ts";

export function searchRoutes(search: SearchService) {
  const app = new Hono<AppEnv>();
  app.get("/search", async (c) => {
    const req = parseSearchQuery(c.req.query());
    c.header("cache-control", "no-store");
    return c.json(await search.search(c.get("user"), req));
  });
  return app;
}
