// REST for the audit trail (admins only): GET /api/audit, one page newest first with filters and
// keyset pagination, and GET /api/audit/export, every matching event as JSON lines, streamed
// page by page from the database. parseAuditQuery is the one reading of the filters (the admin
// page passes its URL's query through it too).
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../http/types.ts";
import { assertRole } from "../auth/service.ts";
import { badRequest } from "../http/errors.ts";
import { log } from "../../common/log.ts";
import { AUDIT_PAGE_MAX, type AuditFilter, type AuditLog } from "./store.ts";

// YYYY-MM-DD, or a date and time (seconds optional); without a zone it is UTC (what the admin
// page's datetime-local fields send).
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const timestamp = z.string().regex(TIMESTAMP, "use an ISO time such as 2025-01-31T12:00Z")
  .transform((s, ctx) => {
    const zoned = s.length === 10 || /(Z|[+-]\d{2}:\d{2})$/.test(s) ? s : `${s}Z`;
    const d = new Date(zoned);
    if (Number.isNaN(d.getTime())) {
      ctx.addIssue({ code: "custom", message: "not a valid time" });
      return z.NEVER;
    }
    return d;
  });

export const auditQuery = z.strictObject({
  user: z.string().max(64).optional(),
  cluster: z.string().regex(
    /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    "must be a cluster id (UUID)",
  ).transform((s) => s.toLowerCase()).optional(),
  verb: z.string().regex(/^[a-z]{1,32}$/, "use a verb such as create or delete").optional(),
  status: z.string().regex(/^[1-5]([0-9][0-9]|[xX][xX])$/, "use a status (403) or a class (4xx)")
    .transform((s) => {
      const c = s.toLowerCase();
      return c.endsWith("xx")
        ? { from: Number(c[0]) * 100, to: Number(c[0]) * 100 + 99 }
        : { from: Number(c), to: Number(c) };
    }).optional(),
  since: timestamp.optional(),
  until: timestamp.optional(),
  before: z.string().regex(/^[1-9][0-9]{0,15}$/, "must be an event id").transform(Number)
    .optional(),
  limit: z.string().regex(/^[0-9]{1,4}$/, "must be a number").transform(Number)
    .refine((n) => n >= 1 && n <= AUDIT_PAGE_MAX, `must be from 1 to ${AUDIT_PAGE_MAX}`)
    .optional(),
});

/** The filters of a query (empty values count as absent); a bad one is a 400. */
export function parseAuditQuery(query: Record<string, string | undefined>): AuditFilter {
  const present = Object.fromEntries(
    Object.entries(query).filter(([, v]) => v !== undefined && v.trim() !== "")
      .map(([k, v]) => [k, v!.trim()]),
  );
  const parsed = auditQuery.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join(".") : "query";
    throw badRequest(
      issue.code === "unrecognized_keys"
        ? `unknown filter ${
          issue.keys.join(", ")
        }; use user, cluster, verb, status, since, until, before, limit`
        : `${where}: ${issue.message}`,
    );
  }
  return parsed.data;
}

const encoder = new TextEncoder();
/** Lines per chunk of an export. */
const EXPORT_CHUNK_LINES = 100;

export function auditRoutes(audit: AuditLog) {
  const app = new Hono<AppEnv>();

  app.get("/audit", async (c) => {
    assertRole(c.get("user"), "admin");
    return c.json(await audit.list(parseAuditQuery(c.req.query())), 200, {
      "cache-control": "no-store",
    });
  });

  app.get("/audit/export", (c) => {
    assertRole(c.get("user"), "admin");
    const { limit: _, ...filter } = parseAuditQuery(c.req.query());
    const rows = audit.export(filter);
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        try {
          let text = "";
          for (let i = 0; i < EXPORT_CHUNK_LINES; i++) {
            const next = await rows.next();
            if (next.done) {
              if (text) ctrl.enqueue(encoder.encode(text));
              ctrl.close();
              return;
            }
            text += JSON.stringify(next.value) + "\n";
          }
          ctrl.enqueue(encoder.encode(text));
        } catch (err) {
          log.error("audit export failed", { err });
          ctrl.error(err);
        }
      },
      async cancel() {
        await rows.return(undefined);
      },
    });
    const day = new Date().toISOString().slice(0, 10);
    return new Response(body, {
      headers: {
        "content-type": "application/x-ndjson",
        "content-disposition": `attachment; filename="audit-${day}.jsonl"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  });

  return app;
}
