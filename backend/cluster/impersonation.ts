// Acting on a cluster as the person: for clusters set to "impersonate users", every request the
// dashboard makes for someone (proxy, pages, watches, logs, streams) carries
// Impersonate-User: <prefix><username> and Impersonate-Group: <prefix>role:<cluster role> plus
// <prefix><group> per dashboard group, so the cluster's RBAC and audit log see the person. Any
// Impersonate-* header already on a request is replaced, never passed on.
import type { ClusterClient } from "./client.ts";
import type { ClusterRole } from "../auth/roles.ts";
import type { Person } from "./access.ts";
import {
  IMPERSONATE_GROUP,
  IMPERSONATE_USER,
  isImpersonationHeader,
} from "../../common/impersonation.ts";

/** The prefix of impersonated users and groups unless IMPERSONATION_PREFIX says otherwise. */
export const DEFAULT_IMPERSONATION_PREFIX = "dashboard:";

/** Who a cluster sees: the impersonated user and groups. */
export interface ImpersonatedIdentity {
  user: string;
  groups: string[];
}

export function impersonatedIdentity(
  person: Pick<Person, "username" | "groups">,
  role: ClusterRole,
  prefix: string,
): ImpersonatedIdentity {
  return {
    user: prefix + person.username,
    groups: [`${prefix}role:${role}`, ...person.groups.map((g) => prefix + g)],
  };
}

/** Replaces every Impersonate-* header with the identity's (one Impersonate-Group per group). */
export function setImpersonation(headers: Headers, who: ImpersonatedIdentity): void {
  for (const name of [...headers.keys()]) if (isImpersonationHeader(name)) headers.delete(name);
  headers.set(IMPERSONATE_USER, who.user);
  for (const g of who.groups) headers.append(IMPERSONATE_GROUP, g);
}

/** The client as the person: each request and stream carries the identity's headers. */
export function impersonating(client: ClusterClient, who: ImpersonatedIdentity): ClusterClient {
  return {
    fetch(req) {
      setImpersonation(req.headers, who);
      return client.fetch(req);
    },
    stream(req) {
      const headers = new Headers(req.headers);
      setImpersonation(headers, who);
      return client.stream({ ...req, headers });
    },
    // The connections are the cluster's, shared by everyone; the manager closes them.
    close: () => {},
  };
}
