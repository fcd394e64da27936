// The OpenAPI description of the agent routes (routes.ts: registration tokens, install commands,
// revocation, credential rotation, the cluster status stream) and of the public downloads
// (install/assets.ts). The request body is the handler's own schema; the answers mirror
// AgentTokenInfo (registry.ts) with the commands the handlers add.
import { z } from "zod";
import { apiSchema, type JsonOf, type RouteDoc, sameShape } from "../http/openapi/route_doc.ts";
import type { AgentTokenInfo } from "./registry.ts";
import type * as web from "../../web/lib/types.ts";
import { id, idParams, itemsOf, timestamp } from "../http/openapi/common.ts";
import { tokenBody } from "./routes.ts";
import { policyRule, presets } from "./install/permissions.ts";

const info = {
  id,
  cluster_name: z.string(),
  permissions: z.strictObject({ preset: z.enum(presets), rules: z.array(policyRule).optional() }),
  created_at: timestamp,
  expires_at: timestamp,
  used_at: timestamp.nullable(),
  revoked_at: timestamp.nullable(),
  cluster_id: id.nullable(),
  image: z.string().nullable().describe("the agent image its commands set; null: AGENT_IMAGE"),
  image_pull_secrets: z.array(z.string()),
  state: z.enum(["pending", "used", "expired", "revoked"]),
};
const AgentToken = apiSchema(
  "AgentToken",
  z.strictObject(info),
  "An agent registration token (never its secret).",
);
const commands = {
  install_command: z.string().describe("a shell command installing the agent with install.sh"),
  helm_command: z.string().describe("the same install with helm"),
};
const IssuedAgentToken = apiSchema(
  "IssuedAgentToken",
  z.strictObject({
    ...info,
    token: z.string().describe("the registration token (or, on rotation, the new credential)"),
    ...commands,
  }),
  "A registration token with its secret and install commands (the commands carry no token).",
);
const InstallCommand = apiSchema(
  "InstallCommand",
  z.strictObject({ id, expires_at: timestamp, token: z.string(), ...commands }),
  "A pending token's secret and install commands, again.",
);

const tag = "Agent clusters";
const admin = { auth: "user", minRole: "admin" } as const;
export const agentApi: RouteDoc[] = [
  {
    method: "post",
    path: "/api/clusters/agent-token",
    tag,
    summary: "Create an agent registration token with its install commands",
    ...admin,
    body: apiSchema("CreateAgentTokenRequest", tokenBody),
    responses: { 201: { description: "created", json: IssuedAgentToken } },
    errors: [409],
  },
  {
    method: "get",
    path: "/api/clusters/agent-token",
    tag,
    summary: "List agent registration tokens",
    ...admin,
    responses: { 200: { description: "every token", json: itemsOf(AgentToken) } },
  },
  {
    method: "get",
    path: "/api/clusters/agent-token/{id}/install-command",
    tag,
    summary: "The install commands of a pending token, again",
    description: "410 gone once the token is used, expired or revoked.",
    ...admin,
    params: idParams,
    responses: { 200: { description: "the commands", json: InstallCommand } },
    errors: [404, 410],
  },
  {
    method: "delete",
    path: "/api/clusters/agent-token/{id}",
    tag,
    summary: "Revoke an agent registration token",
    ...admin,
    params: idParams,
    responses: { 200: { description: "the token as revoked", json: AgentToken } },
    errors: [404],
  },
  {
    method: "post",
    path: "/api/clusters/{id}/agent/rotate",
    tag,
    summary: "Rotate an agent cluster's credential",
    description: "The connected agent is disconnected; reinstall it with the commands returned.",
    ...admin,
    params: idParams,
    responses: {
      200: { description: "a reinstall token and its commands", json: IssuedAgentToken },
    },
    errors: [404],
  },
  {
    method: "get",
    path: "/api/clusters/events",
    tag: "Clusters",
    summary: "Live cluster status (server-sent events)",
    description:
      'Event "cluster": a ClusterListItem as JSON, first one per visible cluster, then ' +
      'one per change; "deleted": {"id"} for a cluster the stream showed that is gone or no ' +
      'longer visible; "ping" every 15 s when idle.',
    auth: "user",
    responses: { 200: { description: "the event stream", mediaType: "text/event-stream" } },
  },
  {
    method: "get",
    path: "/api/agents/install.sh",
    tag: "Downloads",
    summary: "The agent's install script",
    auth: "none",
    responses: { 200: { description: "the script", mediaType: "text/x-shellscript" } },
  },
  {
    method: "get",
    path: "/api/agents/charts/{file}",
    tag: "Downloads",
    summary: "A Helm chart the dashboard serves",
    description: "dashboard-agent-<VERSION>.tgz or kube-dashboard-<VERSION>.tgz.",
    auth: "none",
    params: z.strictObject({ file: z.string().describe("the chart's file name") }),
    responses: { 200: { description: "the packed chart", mediaType: "application/gzip" } },
    errors: [404],
  },
];

// The answers' schemas are the handler's type as JSON and the types the web client and `deno task
// token` read (a drift is a type error).
sameShape<z.infer<typeof AgentToken>, JsonOf<AgentTokenInfo>>(true);
sameShape<z.infer<typeof AgentToken>, web.AgentTokenInfo>(true);
sameShape<z.infer<typeof IssuedAgentToken>, web.AgentTokenCreated>(true);
