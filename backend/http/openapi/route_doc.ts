// The route description registry's types: what the OpenAPI document says about one REST route
// (method, path, summary, authentication, least role, the zod schemas of its parameters, body
// and answers). Each handler module lists its routes in an api_doc.ts beside it, with the very
// schemas its handlers validate with; document.ts turns the lists into OpenAPI 3.1, and the
// tests check every registered route is listed and every answer a test gets matches its schema.
import { z } from "zod";
import type { GlobalRole } from "../../auth/roles.ts";

/** Named schemas: the document's components/schemas (apiSchema adds one). */
export const apiSchemas = z.registry<{ id: string; description?: string }>();

/** Registers `schema` as components/schemas/`id` (request bodies and answers use names). */
export function apiSchema<S extends z.ZodType>(id: string, schema: S, description?: string): S {
  apiSchemas.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
}

export type Method = "get" | "post" | "put" | "patch" | "delete" | "head";

/**
 * How a route authenticates: "none" (public), "user" (a session cookie, or a session or API
 * token as the bearer), "session" (a session only: an API token is refused with 403).
 */
export type RouteAuth = "none" | "user" | "session";

/** One successful answer. */
export interface ResponseDoc {
  description: string;
  /** A JSON body of this shape (checked against every answer in the REST tests). */
  json?: z.ZodType;
  /** A body that is not JSON: its media type (its schema is a string). */
  mediaType?: string;
  /** Response headers worth knowing: name -> description. */
  headers?: Record<string, string>;
}

export interface RouteDoc {
  /** "all": every method, the Kubernetes proxy's pass-through (described once). */
  method: Method | "all";
  /** The full path in OpenAPI form: /api/users/{id} (a trailing {path} is the rest, slashes too). */
  path: string;
  summary: string;
  description?: string;
  /** The group it is listed under (OpenAPI tag). */
  tag: string;
  auth: RouteAuth;
  /** The least global role; absent: any signed-in user (or anyone, with auth "none"). */
  minRole?: GlobalRole;
  /** Path parameters, each a property (required). */
  params?: z.ZodObject;
  /** Query parameters, each a property (optional ones may be left out). */
  query?: z.ZodObject;
  /** The JSON request body: the schema the handler's parseJson validates with. */
  body?: z.ZodType;
  /** Successful answers by status. */
  responses: Record<number, ResponseDoc>;
  /**
   * Statuses answered with the error body besides those every such route may give (document.ts,
   * commonErrors: 401 with authentication, 403 with a role, 400/413/415 with a body, 500).
   */
  errors?: number[];
  /** The schema of error answers (default: the REST error body). */
  errorBody?: z.ZodType;
}

/** A value of type T as JSON carries it (a Date becomes its ISO string). */
export type JsonOf<T> = T extends Date ? string
  : T extends readonly (infer U)[] ? JsonOf<U>[]
  : T extends object ? { [K in keyof T]: JsonOf<T[K]> }
  : T;

/** Whether A and B are assignable both ways. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * A compile-time check that an answer schema describes what the handler's type turns into as
 * JSON: `sameShape<z.infer<typeof Schema>, JsonOf<Type>>(true)` fails to type-check otherwise.
 */
export const sameShape = <A, B>(ok: Same<A, B>): Same<A, B> => ok;
