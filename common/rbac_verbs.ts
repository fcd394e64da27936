// The RBAC verbs a custom agent rule may name (plus "*"), shared by the API's validation and the
// web UI's rules editor. No dependencies, so the browser bundle can import it.
export const RBAC_VERBS = [
  "get",
  "list",
  "watch",
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
] as const;
