// Table-driven tests of the search query's validation (query.ts): what is accepted as what, and
// the 400 messages of what is not.
import assert from "node:assert/strict";
import { HttpError } from "../http/errors.ts";
import { parseSearchQuery, SEARCH_LIMIT_DEFAULT } from "./query.ts";

Deno.test("parseSearchQuery accepts and trims", () => {
  const cases: [query: Record<string, string>, text: string, limit: number][] = [
    [{ q: "web" }, "web", SEARCH_LIMIT_DEFAULT],
    [{ q: "  web  " }, "web", SEARCH_LIMIT_DEFAULT],
    [{ q: "a" }, "a", SEARCH_LIMIT_DEFAULT],
    [{ q: "x".repeat(100) }, "x".repeat(100), SEARCH_LIMIT_DEFAULT],
    [{ q: ` ${"x".repeat(100)} ` }, "x".repeat(100), SEARCH_LIMIT_DEFAULT],
    [{ q: "web", limit: "1" }, "web", 1],
    [{ q: "web", limit: "200" }, "web", 200],
    [{ q: "web", limit: "" }, "web", SEARCH_LIMIT_DEFAULT],
    [{ q: "Kube System" }, "Kube System", SEARCH_LIMIT_DEFAULT],
  ];
  for (const [query, text, limit] of cases) {
    assert.deepEqual(parseSearchQuery(query), { text, limit }, JSON.stringify(query));
  }
});

Deno.test("parseSearchQuery refuses with a 400 that says why", () => {
  const cases: [query: Record<string, string>, message: RegExp][] = [
    [{}, /^q: give the text to search for$/],
    [{ q: "" }, /^q: give the text to search for$/],
    [{ q: "   " }, /^q: give the text to search for$/],
    [{ q: "x".repeat(101) }, /^q: search for at most 100 characters$/],
    [{ q: "web", limit: "0" }, /^limit: must be from 1 to 200$/],
    [{ q: "web", limit: "201" }, /^limit: must be from 1 to 200$/],
    [{ q: "web", limit: "-1" }, /^limit: must be a number$/],
    [{ q: "web", limit: "ten" }, /^limit: must be a number$/],
    [{ q: "web", limit: "99999" }, /^limit: must be a number$/],
    [{ q: "web", kind: "Pod" }, /^unknown parameter kind; use q and limit$/],
  ];
  for (const [query, message] of cases) {
    assert.throws(
      () => parseSearchQuery(query),
      (err: unknown) => {
        assert.ok(err instanceof HttpError, String(err));
        assert.equal(err.status, 400);
        assert.equal(err.code, "bad_request");
        assert.match(err.message, message, JSON.stringify(query));
        return true;
      },
    );
  }
});
