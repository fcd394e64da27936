// Schemas the route descriptions share: times as JSON gives them, the id path parameter (the
// one uuidParam checks), lists, and the REST error body registered under its component name.
import { z } from "zod";
import { errorBodySchema, uuidString } from "../errors.ts";
import { apiSchema, sameShape } from "./route_doc.ts";
import type { ErrorBody as WebErrorBody, ItemsOf } from "../../../web/lib/types.ts";

/** A time as the API writes it (a JavaScript Date in JSON: ISO 8601, UTC). */
export const timestamp = z.iso.datetime();

/** An id in an answer (a UUID). */
export const id = uuidString;

/** The `{id}` path parameter of every route that has one. */
export const idParams = z.strictObject({ id: uuidString });

/** A list answer: `{"items": [...]}`. */
export const itemsOf = <S extends z.ZodType>(item: S) => z.strictObject({ items: z.array(item) });

export const ErrorBody = apiSchema(
  "ErrorBody",
  errorBodySchema,
  'Every REST error: {"error": {"code", "message"}}, with a status that says whose fault it was.',
);

// The shapes the web client and `deno task token` read are these (a drift is a type error).
sameShape<z.infer<typeof errorBodySchema>, WebErrorBody>(true);
sameShape<z.infer<ReturnType<typeof itemsOf<z.ZodString>>>, ItemsOf<string>>(true);
