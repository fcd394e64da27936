// Builds the OpenAPI 3.1 document from the route descriptions: zod 4's own JSON Schema output
// (draft 2020-12, OpenAPI 3.1's dialect) for every parameter, body and answer, the named schemas
// as components, and the authentication and least role of each operation. Nothing here is
// written by hand per route: a route's entry in its module's api_doc.ts is all there is.
import { z } from "zod";
import { apiSchemas, type Method, type RouteDoc } from "./route_doc.ts";
import { ErrorBody } from "./common.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The methods an "all" route (the Kubernetes proxy) is described with. */
export const ALL_METHODS: readonly Method[] = ["get", "put", "post", "patch", "delete", "head"];

const STATUS_TEXT: Record<number, string> = {
  400: "the request is malformed (a bad parameter or body)",
  401: "no valid credentials",
  403: "the caller's role (or kind of credential) does not allow this",
  404: "not found (or not visible to the caller)",
  409: "conflicts with the current state",
  410: "gone",
  413: "the request body is too large",
  415: "the body is not application/json",
  422: "the cluster could not be reached with what was given",
  429: "too many attempts; see Retry-After",
  500: "an internal error (see the dashboard's logs)",
  502: "the cluster could not be reached",
  503: "the cluster (or its agent) is unavailable",
  504: "the cluster did not answer in time",
};

const ref = (id: string) => `#/components/schemas/${id}`;

/** `#/$defs/X` (zod's name for a named schema inside another) as the component X. */
function toComponentRefs(node: Json): Json {
  if (Array.isArray(node)) return node.map(toComponentRefs);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === "$ref" && typeof v === "string"
        ? v.replace(/^#\/\$defs\//, ref(""))
        : toComponentRefs(v),
    ]),
  );
}

/** A zod schema as JSON Schema: a $ref to its component when named, else inline. */
function schemaOf(schema: z.ZodType): JsonObject {
  const named = apiSchemas.get(schema)?.id;
  if (named) return { $ref: ref(named) };
  // Named schemas inside come out as $defs: each is a component already.
  const { $schema: _, $defs: _defs, ...inline } = z.toJSONSchema(schema, {
    io: "input",
    metadata: apiSchemas,
  }) as JsonObject;
  return toComponentRefs(inline) as JsonObject;
}

/** The named schemas as components/schemas (each one's own $schema and $id dropped). */
function components(): JsonObject {
  const { schemas } = z.toJSONSchema(apiSchemas, { io: "input", uri: ref }) as {
    schemas: Record<string, JsonObject>;
  };
  return Object.fromEntries(
    Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)).map((
      [name, { $schema: _s, $id: _i, ...rest }],
    ) => [name, rest]),
  );
}

/** The error statuses a route may give besides its own list. */
export function commonErrors(route: RouteDoc): number[] {
  const out = new Set(route.errors ?? []);
  if (route.auth !== "none") out.add(401);
  if (route.minRole || route.auth === "session") out.add(403);
  if (route.body) [400, 413, 415].forEach((s) => out.add(s));
  // An id that is not a UUID (uuidParam), a bad query filter.
  if ((route.params && "id" in route.params.shape) || route.query) out.add(400);
  out.add(500);
  return [...out].sort();
}

function parameters(route: RouteDoc): JsonObject[] {
  const out: JsonObject[] = [];
  for (const [where, obj] of [["path", route.params], ["query", route.query]] as const) {
    if (!obj) continue;
    const shape = schemaOf(obj) as { properties?: Record<string, JsonObject>; required?: string[] };
    for (const [name, schema] of Object.entries(shape.properties ?? {})) {
      const { description, ...rest } = schema;
      out.push({
        name,
        in: where,
        required: where === "path" || (shape.required ?? []).includes(name),
        ...(typeof description === "string" ? { description } : {}),
        schema: rest,
      });
    }
  }
  return out;
}

function operation(route: RouteDoc, method: Method): JsonObject {
  const responses: JsonObject = {};
  for (const [status, r] of Object.entries(route.responses)) {
    responses[status] = {
      description: r.description,
      ...(r.headers
        ? {
          headers: Object.fromEntries(
            Object.entries(r.headers).map((
              [name, description],
            ) => [name, { description, schema: { type: "string" } }]),
          ),
        }
        : {}),
      ...(r.json
        ? { content: { "application/json": { schema: schemaOf(r.json) } } }
        : r.mediaType
        ? { content: { [r.mediaType]: { schema: { type: "string" } } } }
        : {}),
    };
  }
  const errorSchema = schemaOf(route.errorBody ?? ErrorBody);
  for (const status of commonErrors(route)) {
    responses[String(status)] = {
      description: STATUS_TEXT[status] ?? "an error",
      content: { "application/json": { schema: errorSchema } },
    };
  }
  const auth = route.auth === "none"
    ? "None."
    : route.auth === "session"
    ? "A session (cookie or bearer); API tokens are refused."
    : "A session cookie, or a session or API token as the bearer.";
  const role = route.minRole ? ` Least role: ${route.minRole}.` : "";
  const words = route.path.replace(/[{}]/g, "").split(/[/.-]/).filter((w) => w && w !== "api");
  const params = parameters(route);
  return {
    operationId: [method, ...words].map((w, i) => i ? w[0].toUpperCase() + w.slice(1) : w)
      .join(""),
    tags: [route.tag],
    summary: route.summary,
    description: `${
      route.description ? route.description + "\n\n" : ""
    }Authentication: ${auth}${role}`,
    security: route.auth === "none" ? [] : [{ sessionCookie: [] }, { bearerToken: [] }],
    ...(route.minRole ? { "x-min-role": route.minRole } : {}),
    ...(params.length ? { parameters: params } : {}),
    ...(route.body
      ? {
        requestBody: {
          required: true,
          content: { "application/json": { schema: schemaOf(route.body) } },
        },
      }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of `routes`. */
export function openApiDocument(routes: readonly RouteDoc[], version: string): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    const item = paths[route.path] ??= {};
    for (const method of route.method === "all" ? ALL_METHODS : [route.method]) {
      if (item[method]) throw new Error(`${method.toUpperCase()} ${route.path} is described twice`);
      item[method] = operation(route, method);
    }
  }
  const tags = [...new Set(routes.map((r) => r.tag))].map((name) => ({ name }));
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "Kubernetes dashboard REST API",
      version,
      description: "The dashboard's REST API, generated from the zod schemas its handlers " +
        'validate with. Errors are {"error": {"code", "message"}} (ErrorBody); under ' +
        "/api/clusters/{id}/k8s/ every error is a Kubernetes Status. Writes with the session " +
        "cookie must come from the dashboard's own pages (Sec-Fetch-Site: same-origin).",
    },
    tags,
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: components(),
      securitySchemes: {
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: "kd_session",
          description: "The browser session, set by POST /api/auth/login.",
        },
        bearerToken: {
          type: "http",
          scheme: "bearer",
          description: "A session token (kds_…, from login) or a personal API token (kdt_…).",
        },
      },
    },
  };
}
