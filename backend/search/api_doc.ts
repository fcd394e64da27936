// The OpenAPI description of the search route (routes.ts): the query is the handler's own schema
// (query.ts); the answer mirrors SearchAnswer (service.ts).
import { z } from "zod";
import { apiSchema, type JsonOf, type RouteDoc, sameShape } from "../http/openapi/route_doc.ts";
import { id } from "../http/openapi/common.ts";
import { HIT_KINDS } from "./kinds.ts";
import { searchQuery } from "./query.ts";
import type { SearchAnswer as SearchAnswerType } from "./service.ts";

const SearchHit = apiSchema(
  "SearchHit",
  z.strictObject({
    cluster_id: id,
    cluster_name: z.string(),
    kind: z.string().describe(`one of ${HIT_KINDS.join(", ")}`),
    namespace: z.string().nullable().describe("null for clusters and cluster-wide objects"),
    name: z.string(),
    url: z.string().describe("the object's page in the dashboard"),
  }),
  "An object (or a cluster) whose name contains the text.",
);
const SearchPartial = apiSchema(
  "SearchPartial",
  z.strictObject({
    cluster_id: id,
    cluster_name: z.string(),
    reason: z.enum(["timeout", "unavailable", "error"]),
    message: z.string(),
  }),
  "A cluster whose results are missing or incomplete.",
);
const SearchAnswer = apiSchema(
  "SearchAnswer",
  z.strictObject({
    items: z.array(SearchHit).describe("best first"),
    partial: z.array(SearchPartial).describe("clusters that did not answer in full in time"),
    truncated: z.boolean().describe("more objects matched than limit"),
  }),
  "Objects and clusters by name across every cluster the caller holds a role on.",
);

export const searchApi: RouteDoc[] = [
  {
    method: "get",
    path: "/api/search",
    tag: "Search",
    summary: "Find clusters, namespaces and objects by name across clusters",
    description: "Clusters by name, and namespaces, workloads, pods, services, ingresses, " +
      "ConfigMaps, Secrets (names only), nodes, jobs and cron jobs whose name contains q (any " +
      "case), in every cluster the caller holds a role on, read as the caller (the cluster's " +
      "RBAC decides; kinds it refuses are left out). Answers within about 800 ms: clusters that " +
      "did not answer by then are listed in partial.",
    auth: "user",
    query: searchQuery,
    responses: { 200: { description: "the best matches", json: SearchAnswer } },
  },
];

// The answer's schema is the handler's type as JSON (a drift is a type error).
sameShape<z.infer<typeof SearchAnswer>, JsonOf<SearchAnswerType>>(true);
