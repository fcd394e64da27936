// Who an ID token's claims make a person: username, groups, whether they may come in, their role.
import assert from "node:assert/strict";
import { identityFromClaims, MAX_SSO_GROUPS, NotAllowed } from "./identity.ts";
import type { GlobalRole } from "../roles.ts";

const config = {
  usernameClaim: "preferred_username",
  groupsClaim: "groups",
  allowedGroups: [] as string[],
  roleMapping: new Map<string, GlobalRole>([
    ["platform-admins", "admin"],
    ["developers", "editor"],
    ["auditors", "viewer"],
  ]),
  defaultRole: "none" as GlobalRole,
};
const base = { iss: "https://idp.example", sub: "s-1" };

Deno.test("identityFromClaims: username, groups and role", () => {
  const cases: {
    name: string;
    claims: Record<string, unknown>;
    conf?: Partial<typeof config>;
    want: { username: string; groups: string[]; role: GlobalRole; droppedGroups?: number };
  }[] = [
    {
      name: "highest mapped role wins",
      claims: { preferred_username: "Alice", groups: ["auditors", "Developers"] },
      want: { username: "alice", groups: ["auditors", "developers"], role: "editor" },
    },
    {
      name: "admin group",
      claims: { preferred_username: "bob", groups: ["developers", "platform-admins"] },
      want: { username: "bob", groups: ["developers", "platform-admins"], role: "admin" },
    },
    {
      name: "no mapped group: default role",
      claims: { preferred_username: "carol", groups: ["sales"] },
      conf: { defaultRole: "viewer" },
      want: { username: "carol", groups: ["sales"], role: "viewer" },
    },
    {
      name: "email when the username claim is absent; one group as a string",
      claims: { email: "Dave@Example.com", groups: "auditors" },
      want: { username: "dave@example.com", groups: ["auditors"], role: "viewer" },
    },
    {
      name: "invalid and duplicate groups are left out and counted",
      claims: { preferred_username: "erin", groups: ["ok", "OK", "has space", 7, "x".repeat(80)] },
      want: { username: "erin", groups: ["ok"], role: "none", droppedGroups: 2 },
    },
    {
      name: "no groups claim",
      claims: { preferred_username: "frank" },
      want: { username: "frank", groups: [], role: "none" },
    },
    {
      name: "a custom groups claim",
      claims: { preferred_username: "gina", "https://example.com/roles": ["developers"] },
      conf: { groupsClaim: "https://example.com/roles" },
      want: { username: "gina", groups: ["developers"], role: "editor" },
    },
  ];
  for (const c of cases) {
    const got = identityFromClaims({ ...base, ...c.claims }, { ...config, ...c.conf });
    assert.deepEqual(
      {
        issuer: got.issuer,
        subject: got.subject,
        username: got.username,
        groups: got.groups,
        role: got.role,
        droppedGroups: got.droppedGroups,
      },
      { issuer: base.iss, subject: base.sub, droppedGroups: 0, ...c.want },
      c.name,
    );
  }
});

Deno.test("identityFromClaims: at most MAX_SSO_GROUPS groups", () => {
  const groups = Array.from(
    { length: MAX_SSO_GROUPS + 10 },
    (_, i) => `g${String(i).padStart(4, "0")}`,
  );
  const got = identityFromClaims({ ...base, preferred_username: "h", groups }, config);
  assert.equal(got.groups.length, MAX_SSO_GROUPS);
  assert.equal(got.droppedGroups, 10);
});

Deno.test("identityFromClaims: who is not let in", () => {
  const cases: {
    claims: Record<string, unknown>;
    conf?: Partial<typeof config>;
    message: RegExp;
  }[] = [
    { claims: {}, message: /no preferred_username \(or email\) claim/ },
    { claims: { preferred_username: "" }, message: /no preferred_username/ },
    { claims: { preferred_username: 42 }, message: /no preferred_username/ },
    { claims: { preferred_username: "has space" }, message: /cannot be a dashboard username/ },
    {
      claims: { preferred_username: "ivan", groups: ["sales"] },
      conf: { allowedGroups: ["developers", "platform-admins"] },
      message: /^ivan is not in a group allowed to use this dashboard; ask your administrator/,
    },
    {
      claims: { preferred_username: "judy" },
      conf: { allowedGroups: ["developers"] },
      message: /not in a group allowed/,
    },
  ];
  for (const c of cases) {
    assert.throws(
      () => identityFromClaims({ ...base, ...c.claims }, { ...config, ...c.conf }),
      (err: unknown) => err instanceof NotAllowed && c.message.test(err.message),
      JSON.stringify(c.claims),
    );
  }
  // Allowed: a member of an allowed group.
  const ok = identityFromClaims(
    { ...base, preferred_username: "kim", groups: ["developers"] },
    { ...config, allowedGroups: ["developers"] },
  );
  assert.equal(ok.role, "editor");
});
