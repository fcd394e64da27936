// The routes a real app registers, as the tests that must cover every one of them read them
// (authz_test.ts classifies each; openapi_test.ts finds each in the OpenAPI document).
import { inspectRoutes } from "hono/dev";
import type { Hono } from "hono";
import type { AppEnv } from "../backend/http/types.ts";

/** Every registered endpoint (middleware left out) as "METHOD /path", sorted, unique. */
export function registeredRoutes(app: Hono<AppEnv>): string[] {
  return [
    ...new Set(
      inspectRoutes(app).filter((r) => !r.isMiddleware).map((r) => `${r.method} ${r.path}`),
    ),
  ].sort();
}
