// The route description registry: every REST route's description, gathered from the api_doc.ts
// beside each handler module. A route the app registers but that is missing here fails
// openapi_test.ts (and so does a description of a route that does not exist).
import type { RouteDoc } from "./route_doc.ts";
import { authApi } from "../../auth/api_doc.ts";
import { clusterApi } from "../../cluster/api_doc.ts";
import { roleBindingApi } from "../../cluster/role_binding_api_doc.ts";
import { agentApi } from "../../agents/api_doc.ts";
import { auditApi } from "../../audit/api_doc.ts";
import { searchApi } from "../../search/api_doc.ts";

/** The reference's own routes (routes.ts). */
const referenceApi: RouteDoc[] = [
  {
    method: "get",
    path: "/api/openapi.json",
    tag: "Reference",
    summary: "This API as an OpenAPI 3.1 document",
    auth: "none",
    responses: { 200: { description: "the document", mediaType: "application/json" } },
  },
  {
    method: "get",
    path: "/api/docs",
    tag: "Reference",
    summary: "This API as a readable HTML page",
    auth: "none",
    responses: { 200: { description: "the page", mediaType: "text/html" } },
  },
];

export const API_ROUTES: readonly RouteDoc[] = [
  ...authApi,
  ...clusterApi,
  ...agentApi,
  ...roleBindingApi,
  ...auditApi,
  ...searchApi,
  ...referenceApi,
];
