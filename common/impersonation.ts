// Kubernetes impersonation headers on the way to an API server. The dashboard names a person with
// Impersonate-User and one Impersonate-Group line per group; the API server reads each line as one
// group and never splits a value at commas. Fetch's Headers join repeated headers into one
// comma-separated value (and Deno's fetch sends it so), so requests that impersonate several
// groups go out through node:http(s), whose headers nodeHeaders() gives one line per group.
// Group and user names the dashboard sends never contain a comma (backend/auth validates them).

export const IMPERSONATE_USER = "impersonate-user";
export const IMPERSONATE_GROUP = "impersonate-group";

/** Whether a header name is one of Kubernetes' impersonation headers (Impersonate-*). */
export function isImpersonationHeader(name: string): boolean {
  return name.toLowerCase().startsWith("impersonate-");
}

/** The groups of a (possibly joined) Impersonate-Group value, in order. */
export function splitGroups(value: string | null): string[] {
  return (value ?? "").split(",").map((g) => g.trim()).filter((g) => g !== "");
}

/** Whether these headers need one header line per group (more than one group). */
export function needsSeparateGroupLines(headers: Headers): boolean {
  return headers.get(IMPERSONATE_GROUP)?.includes(",") ?? false;
}

/**
 * Headers as node:http(s) sends them: Impersonate-Group as one line per group, every other header
 * as it is. `keep` filters names (lowercase).
 */
export function nodeHeaders(
  headers: Headers,
  keep: (name: string) => boolean = () => true,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  headers.forEach((value, name) => {
    if (!keep(name)) return;
    out[name] = name === IMPERSONATE_GROUP ? splitGroups(value) : value;
  });
  return out;
}

/** Headers as name/value entries (the agent protocol's form): one Impersonate-Group per group. */
export function headerEntries(headers: Headers): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  headers.forEach((value, name) => {
    if (name === IMPERSONATE_GROUP) {
      for (const g of splitGroups(value)) out.push({ name, value: g });
    } else out.push({ name, value });
  });
  return out;
}
