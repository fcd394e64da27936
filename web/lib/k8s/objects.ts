// Object helpers: the message of an error body (Kubernetes Status or dashboard error), and an
// object cleaned for showing or editing as YAML.

/** The message of a Kubernetes Status or dashboard error body, else the HTTP status. */
export function errorMessage(body: unknown, status: number): string {
  const b = body as { message?: string; error?: { message?: string }; kind?: string } | null;
  if (b && typeof b === "object") {
    if (typeof b.error?.message === "string") return b.error.message;
    if (typeof b.message === "string" && b.message) return b.message;
  }
  if (typeof body === "string" && body.trim()) return body.trim().slice(0, 500);
  return `HTTP ${status}`;
}

/** Strips noise before showing or editing YAML. */
export function cleanForEdit(
  obj: Record<string, unknown>,
  keepManagedFields = false,
): Record<string, unknown> {
  const copy = structuredClone(obj) as
    & { metadata?: Record<string, unknown> }
    & Record<string, unknown>;
  if (copy.metadata && !keepManagedFields) delete copy.metadata.managedFields;
  return copy;
}
