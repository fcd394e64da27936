// The OpenAPI description of the auth routes (handlers.ts): login, logout, the current user,
// changing one's password, user administration and personal API tokens. Request bodies are the
// handlers' own schemas; the answers' schemas mirror User, UserRecord and ApiTokenInfo.
import { z } from "zod";
import { apiSchema, type JsonOf, type RouteDoc, sameShape } from "../http/openapi/route_doc.ts";
import { id, idParams, itemsOf, timestamp } from "../http/openapi/common.ts";
import {
  changePasswordBody,
  createUserBody,
  loginBody,
  tokenBody,
  updateUserBody,
} from "./handlers.ts";
import {
  type ApiTokenInfo as ApiTokenInfoType,
  roles,
  type User as UserType,
  type UserRecord as UserRecordType,
} from "./service.ts";

const user = {
  id,
  username: z.string(),
  role: z.enum(roles),
  groups: z.array(z.string()),
  source: z.enum(["local", "sso"]).describe("local: a password here; sso: single sign-on"),
  created_at: timestamp,
};
export const User = apiSchema("User", z.strictObject(user), "A signed-in user.");
export const UserRecord = apiSchema(
  "UserRecord",
  z.strictObject({
    ...user,
    updated_at: timestamp,
    disabled_at: timestamp.nullable(),
    last_login_at: timestamp.nullable(),
  }),
  "A user as admins see it: the user and its lifecycle.",
);
const Session = apiSchema(
  "Session",
  z.strictObject({ token: z.string(), expires_at: timestamp, user: User }),
  "A new session: its token (also set as the kd_session cookie) and the user.",
);
export const ApiTokenInfo = apiSchema(
  "ApiTokenInfo",
  z.strictObject({
    id,
    name: z.string(),
    created_at: timestamp,
    expires_at: timestamp.nullable(),
    last_used_at: timestamp.nullable(),
    can_create_tokens: z.boolean(),
  }),
  "A personal API token (never its secret).",
);
const CreatedApiToken = apiSchema(
  "CreatedApiToken",
  z.strictObject({
    id,
    name: z.string(),
    token: z.string().describe("the secret, shown only this once"),
    expires_at: timestamp.nullable(),
    can_create_tokens: z.boolean(),
  }),
);

const tag = "Auth and users";
export const authApi: RouteDoc[] = [
  {
    method: "post",
    path: "/api/auth/login",
    tag,
    summary: "Sign in with a username and password",
    description: "Rate-limited per client and username (429 with Retry-After). Sets the session " +
      "cookie. 403 local_login_disabled with OIDC_LOCAL_LOGIN=false, or user_disabled.",
    auth: "none",
    body: apiSchema("LoginRequest", loginBody),
    responses: { 200: { description: "signed in", json: Session } },
    errors: [401, 403, 429],
  },
  {
    method: "post",
    path: "/api/auth/logout",
    tag,
    summary: "End the current session or token",
    auth: "user",
    responses: { 204: { description: "signed out" } },
  },
  {
    method: "get",
    path: "/api/auth/me",
    tag,
    summary: "The signed-in user",
    auth: "user",
    responses: { 200: { description: "the user", json: User } },
  },
  {
    method: "post",
    path: "/api/auth/password",
    tag,
    summary: "Change one's own password",
    description: "Ends every session and API token of the user and answers a fresh session. " +
      "A session only (an API token gets 403); wrong current passwords slow down (429).",
    auth: "session",
    body: apiSchema("ChangePasswordRequest", changePasswordBody),
    responses: { 200: { description: "changed; a new session", json: Session } },
    errors: [403, 409, 429],
  },
  {
    method: "get",
    path: "/api/users",
    tag,
    summary: "List users",
    auth: "user",
    minRole: "admin",
    responses: { 200: { description: "every user", json: itemsOf(UserRecord) } },
  },
  {
    method: "post",
    path: "/api/users",
    tag,
    summary: "Create a local user",
    auth: "user",
    minRole: "admin",
    body: apiSchema("CreateUserRequest", createUserBody),
    responses: { 201: { description: "created", json: UserRecord } },
    errors: [409],
  },
  {
    method: "patch",
    path: "/api/users/{id}",
    tag,
    summary: "Change a user's role, groups, password or disabled state",
    description: "The last enabled admin cannot be disabled or demoted (409); a single-sign-on " +
      "user's role, groups and password follow the provider (409 managed_by_provider).",
    auth: "user",
    minRole: "admin",
    params: idParams,
    body: apiSchema("UpdateUserRequest", updateUserBody),
    responses: { 200: { description: "the user as changed", json: UserRecord } },
    errors: [404, 409],
  },
  {
    method: "delete",
    path: "/api/users/{id}",
    tag,
    summary: "Delete a user",
    auth: "user",
    minRole: "admin",
    params: idParams,
    responses: { 204: { description: "deleted" } },
    errors: [404, 409],
  },
  {
    method: "get",
    path: "/api/tokens",
    tag,
    summary: "List one's own API tokens",
    auth: "user",
    responses: { 200: { description: "the tokens", json: itemsOf(ApiTokenInfo) } },
  },
  {
    method: "post",
    path: "/api/tokens",
    tag,
    summary: "Create a personal API token",
    description: "An API token may create tokens only if it was created with can_create_tokens.",
    auth: "user",
    body: apiSchema("CreateApiTokenRequest", tokenBody),
    responses: { 201: { description: "created; the secret is in token", json: CreatedApiToken } },
    errors: [403, 409],
  },
  {
    method: "delete",
    path: "/api/tokens/{id}",
    tag,
    summary: "Revoke one of one's own API tokens",
    auth: "user",
    params: idParams,
    responses: { 204: { description: "revoked" } },
    errors: [404],
  },
];

// The answers' schemas are the handlers' types as JSON (a drift is a type error).
sameShape<z.infer<typeof User>, JsonOf<UserType>>(true);
sameShape<z.infer<typeof UserRecord>, JsonOf<UserRecordType>>(true);
sameShape<z.infer<typeof ApiTokenInfo>, JsonOf<ApiTokenInfoType>>(true);
