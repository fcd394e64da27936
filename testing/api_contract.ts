// Checks a REST answer against the route description registry (the OpenAPI document's source):
// the route of the method and path, the status among its described answers or errors, and the
// JSON body parsed with that answer's zod schema. testing/harness.ts's apiCall runs it on every
// answer, so a handler whose answer drifts from its description fails the test that called it.
import { z } from "zod";
import { API_ROUTES } from "../backend/http/openapi/registry.ts";
import { commonErrors } from "../backend/http/openapi/document.ts";
import { ErrorBody } from "../backend/http/openapi/common.ts";
import type { RouteDoc } from "../backend/http/openapi/route_doc.ts";

interface Matcher {
  route: RouteDoc;
  pattern: RegExp;
  /** Fixed segments: /api/clusters/events wins over /api/clusters/{id}. */
  fixed: number;
}

const MATCHERS: Matcher[] = API_ROUTES.map((route) => {
  const segments = route.path.split("/");
  const pattern = segments.map((s, i) =>
    /^\{.+\}$/.test(s)
      ? (i === segments.length - 1 && s === "{path}" ? ".+" : "[^/]+")
      : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  ).join("/");
  return {
    route,
    pattern: new RegExp(`^${pattern}$`),
    fixed: segments.filter((s) => !s.startsWith("{")).length,
  };
}).sort((a, b) => b.fixed - a.fixed);

/** The description of the route that answers `method` on `path` (no query), if any. */
export function describedRoute(method: string, path: string): RouteDoc | undefined {
  const m = method.toLowerCase();
  return MATCHERS.find((x) =>
    (x.route.method === m || x.route.method === "all") && x.pattern.test(path)
  )?.route;
}

export interface Answer {
  method: string;
  /** The request's path, query allowed. */
  path: string;
  status: number;
  contentType: string | null;
  text: string;
  json: unknown;
}

const isJson = (type: string | null) => /^application\/([a-z.+-]+\+)?json\b/i.test(type ?? "");

function checkJson(schema: z.ZodType, a: Answer, what: string): string | null {
  if (!isJson(a.contentType)) {
    return `${what}: expected a JSON body, got ${a.contentType ?? "no content-type"}: ${
      a.text.slice(0, 200)
    }`;
  }
  const parsed = schema.safeParse(a.json);
  return parsed.success
    ? null
    : `${what}: the body does not match its schema:\n${z.prettifyError(parsed.error)}\nbody: ${
      a.text.slice(0, 500)
    }`;
}

/** Why the answer does not match the route's description (null: it does). */
export function contractViolation(a: Answer): string | null {
  const path = a.path.split("?")[0];
  if (!path.startsWith("/api/")) return null;
  const what = `${a.method} ${path} answered ${a.status}`;
  const route = describedRoute(a.method, path);
  if (!route) {
    // The JSON 404 for an unknown endpoint; a success here means a route is not described.
    return a.status >= 400
      ? checkJson(ErrorBody, a, what)
      : `${what}, but no route description (backend/http/openapi/registry.ts) matches it`;
  }
  // The Kubernetes proxy passes the cluster's answers through as they are.
  if (route.method === "all") return null;
  const ok = route.responses[a.status];
  if (ok) {
    if (ok.json) return checkJson(ok.json, a, what);
    if (ok.mediaType && !(a.contentType ?? "").startsWith(ok.mediaType)) {
      return `${what} with ${a.contentType}, described as ${ok.mediaType}`;
    }
    if (!ok.mediaType && a.text !== "") return `${what} with a body, described as none`;
    return null;
  }
  if (commonErrors(route).includes(a.status)) {
    return checkJson(route.errorBody ?? ErrorBody, a, what);
  }
  return `${what}: the status is not among those described for ${route.method.toUpperCase()} ${route.path} (${
    [...Object.keys(route.responses), ...commonErrors(route)].join(", ")
  })`;
}
