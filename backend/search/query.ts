// The search's query string: `q`, the text to find in names (trimmed, 1 to 100 characters), and
// `limit`, how many results at most (1 to 200, default 50). parseSearchQuery is the one reading
// of it; a bad one is the API's 400 error body.
import { z } from "zod";
import { badRequest } from "../http/errors.ts";

export const SEARCH_TEXT_MAX = 100;
export const SEARCH_LIMIT_DEFAULT = 50;
export const SEARCH_LIMIT_MAX = 200;

export const searchQuery = z.strictObject({
  q: z.string().trim()
    .min(1, "give the text to search for")
    .max(SEARCH_TEXT_MAX, `search for at most ${SEARCH_TEXT_MAX} characters`)
    .describe("the text to find in names, any case (trimmed)"),
  limit: z.string().regex(/^[0-9]{1,4}$/, "must be a number").transform(Number)
    .refine((n) => n >= 1 && n <= SEARCH_LIMIT_MAX, `must be from 1 to ${SEARCH_LIMIT_MAX}`)
    .describe(
      `the most results to answer, 1 to ${SEARCH_LIMIT_MAX} (default ${SEARCH_LIMIT_DEFAULT})`,
    )
    .optional(),
});

export interface SearchRequest {
  /** Trimmed, 1 to 100 characters. */
  text: string;
  limit: number;
}

/** The query of a search request; a missing, empty or too long q, or a bad limit, is a 400. */
export function parseSearchQuery(query: Record<string, string | undefined>): SearchRequest {
  const present = Object.fromEntries(
    Object.entries(query).filter(([k, v]) => v !== undefined && (k === "q" || v.trim() !== "")),
  );
  const parsed = searchQuery.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join(".") : "query";
    throw badRequest(
      issue.code === "unrecognized_keys"
        ? `unknown parameter ${issue.keys.join(", ")}; use q and limit`
        : issue.code === "invalid_type" && where === "q"
        ? "q: give the text to search for"
        : `${where}: ${issue.message}`,
    );
  }
  return { text: parsed.data.q, limit: parsed.data.limit ?? SEARCH_LIMIT_DEFAULT };
}
