// HTTP error type and JSON body parsing shared by every REST handler: errors leave as
// {"error": {"code", "message"}} with a status that says whose fault it was.
import type { Context } from "hono";
import { z } from "zod";

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export const badRequest = (msg: string) => new HttpError(400, "bad_request", msg);
export const notFound = (what: string) => new HttpError(404, "not_found", `${what} not found`);
export const forbidden = (msg = "your role does not allow this") =>
  new HttpError(403, "forbidden", msg);
export const conflict = (msg: string) => new HttpError(409, "conflict", msg);

/** The one error body of the REST API (the OpenAPI document's ErrorBody). */
export const errorBodySchema = z.strictObject({
  error: z.strictObject({
    code: z.string().describe("a stable, machine-readable reason such as not_found"),
    message: z.string().describe("what went wrong, for a person"),
  }),
});

export function errorBody(
  code: string,
  message: string,
): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/** Reads a JSON body and validates it against a strict zod schema (unknown fields rejected). */
export async function parseJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, "unsupported_media_type", "send the body as application/json");
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw badRequest("the body is not valid JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join(".") : "body";
    // A record key's own rule is nested inside zod's "Invalid key in record".
    const inner = issue.code === "invalid_key" ? issue.issues[0]?.message : undefined;
    throw badRequest(`${where}: ${inner ?? issue.message}`);
  }
  return parsed.data;
}

/**
 * An id path parameter: a UUID, any case (the OpenAPI document describes ids with it; spelled
 * without the i flag, which a JSON Schema pattern cannot carry).
 */
export const uuidString = z.string().regex(
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  "must be a UUID",
);

/** A path parameter that must be a UUID (ids of users, clusters, tokens). */
export function uuidParam(c: Context, name: string): string {
  const v = c.req.param(name) ?? "";
  if (!uuidString.safeParse(v).success) throw badRequest(`${name} must be a UUID`);
  return v.toLowerCase();
}
