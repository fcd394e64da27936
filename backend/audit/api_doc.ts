// The OpenAPI description of the audit routes (routes.ts): the query is the handlers' own
// filter schema (parseAuditQuery); the answers mirror AuditEvent and AuditPage (store.ts).
import { z } from "zod";
import { apiSchema, type JsonOf, type RouteDoc, sameShape } from "../http/openapi/route_doc.ts";
import type { AuditEvent as AuditEventType, AuditPage as AuditPageType } from "./store.ts";
import { id, timestamp } from "../http/openapi/common.ts";
import { auditQuery } from "./routes.ts";

const AuditEvent = apiSchema(
  "AuditEvent",
  z.strictObject({
    id: z.number().int(),
    at: timestamp,
    user_id: id.nullable(),
    username: z.string().nullable(),
    source: z.string().nullable().describe("the client's address"),
    cluster_id: id.nullable(),
    cluster_name: z.string().nullable(),
    verb: z.string(),
    path: z.string(),
    status: z.number().int(),
    outcome: z.string().nullable().describe("logins: success, failure, rate_limited, disabled"),
  }),
  "One recorded write, upgrade or login.",
);
const AuditPage = apiSchema(
  "AuditPage",
  z.strictObject({
    items: z.array(AuditEvent),
    next_before: z.number().int().nullable().describe("pass as before for the next page"),
  }),
  "One page of events, newest first.",
);

const tag = "Audit";
export const auditApi: RouteDoc[] = [
  {
    method: "get",
    path: "/api/audit",
    tag,
    summary: "One page of the audit trail, newest first",
    auth: "user",
    minRole: "admin",
    query: auditQuery,
    responses: { 200: { description: "the page", json: AuditPage } },
  },
  {
    method: "get",
    path: "/api/audit/export",
    tag,
    summary: "Every matching audit event as JSON lines",
    description: "The filters of GET /api/audit (limit ignored); one AuditEvent per line.",
    auth: "user",
    minRole: "admin",
    query: auditQuery,
    responses: {
      200: { description: "an attachment, audit-<day>.jsonl", mediaType: "application/x-ndjson" },
    },
  },
];

// The answers' schemas are the handlers' types as JSON (a drift is a type error).
sameShape<z.infer<typeof AuditEvent>, JsonOf<AuditEventType>>(true);
sameShape<z.infer<typeof AuditPage>, JsonOf<AuditPageType>>(true);
