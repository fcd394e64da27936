// The shapes of usernames and dashboard group names, shared by the REST validators. Neither may
// contain a comma or a space: both travel in Impersonate-* headers (common/impersonation.ts).
import { z } from "zod";

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,62}$/;
export const GROUP_PATTERN = /^[a-z0-9][a-z0-9._:@-]{0,62}$/;

export const username = z.string().regex(
  USERNAME_PATTERN,
  "use 1-63 lowercase letters, digits, '.', '_', '@' or '-'",
);

export const groupName = z.string().regex(
  GROUP_PATTERN,
  "group names are 1-63 lowercase letters, digits, '.', '_', ':', '@' or '-'",
);
