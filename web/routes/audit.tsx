// GET /admin/audit: the audit trail for admins (others get the 403 page). The URL's query is the
// filter, validated by the backend (WebDeps.audit); a bad filter is a 400 page.
import type { Hono } from "hono";
import type { WebDeps, WebEnv } from "../deps.ts";
import {
  AUDIT_FILTER_NAMES,
  type AuditFilters,
  AuditPage,
  type AuditRow,
} from "../pages/audit.tsx";
import { toJson } from "../lib/types.ts";
import { errorPage, page, uiUser } from "./page.tsx";
import { PageError } from "./page_error.ts";

export function auditRoutes(pages: Hono<WebEnv>, deps: WebDeps): void {
  pages.get("/admin/audit", async (c) => {
    const user = c.get("user");
    try {
      if (user.role !== "admin") {
        throw new PageError(403, "Forbidden", "The audit trail is for admins only.");
      }
      const query = c.req.query();
      const filters = Object.fromEntries(
        AUDIT_FILTER_NAMES.map((n) => [n, (query[n] ?? "").trim()]),
      ) as unknown as AuditFilters;
      let result;
      try {
        result = await deps.audit.list(query);
      } catch (err) {
        if ((err as { status?: number }).status === 400) {
          throw new PageError(400, "Bad filter", (err as Error).message);
        }
        throw err;
      }
      const clusters = toJson<{ id: string; name: string }[]>(await deps.clusters.list(user))
        .map(({ id, name }) => ({ id, name }));
      return page(
        "Audit trail",
        <AuditPage
          user={uiUser(user)}
          now={Date.now()}
          rows={toJson<AuditRow[]>(result.items)}
          nextBefore={result.next_before}
          filters={filters}
          clusters={clusters}
          paged={!!query.before}
        />,
      )(c);
    } catch (err) {
      return errorPage(c, user, err);
    }
  });
}
