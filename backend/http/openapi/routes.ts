// The public reference routes (mounted under /api before authentication): GET /openapi.json,
// the OpenAPI 3.1 document generated from the route descriptions, and GET /docs, the same as a
// readable HTML page. Both are built once per process.
import { Hono } from "hono";
import { VERSION } from "../../../common/version.ts";
import { type JsonObject, openApiDocument } from "./document.ts";
import { renderApiReference } from "./html.ts";
import { API_ROUTES } from "./registry.ts";

let built: JsonObject | undefined;
/** The dashboard's OpenAPI document. */
export function apiDocument(): JsonObject {
  return built ??= openApiDocument(API_ROUTES, VERSION);
}

export function referenceRoutes(): Hono {
  const app = new Hono();
  app.get("/openapi.json", (c) => c.json(apiDocument(), 200, { "cache-control": "no-cache" }));
  app.get(
    "/docs",
    (c) =>
      c.html(renderApiReference(apiDocument(), c.get("secureHeadersNonce") ?? ""), 200, {
        "cache-control": "no-cache",
      }),
  );
  return app;
}
