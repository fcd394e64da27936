// REST endpoints for agent clusters (admin only): registration tokens with their install
// commands, revocation, credential rotation; plus the live cluster status stream (SSE) for
// every signed-in user.
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { AppEnv } from "../http/types.ts";
import { assertRole } from "../auth/service.ts";
import { badRequest, HttpError, parseJson, uuidParam } from "../http/errors.ts";
import type { AgentRegistry, AgentTokenInfo } from "./registry.ts";
import type { AgentHub } from "./hub.ts";
import type { ClusterManager } from "../cluster/manager.ts";
import { clusterName } from "../cluster/handlers.ts";
import { checkPermissions, policyRule, presets } from "./install/permissions.ts";
import { helmCommand, installCommand } from "./install/command.ts";
import { chartSha256 } from "./install/assets.ts";
import { imageRefError, MAX_PULL_SECRETS, pullSecretError } from "../../common/agent_image.ts";

/** An image reference (docs/agent.md, "Image"), with the checker's own message. */
const imageRef = z.string().superRefine((v, ctx) => {
  const e = imageRefError(v);
  if (e) ctx.addIssue({ code: "custom", message: e });
});
const pullSecretName = z.string().superRefine((v, ctx) => {
  const e = pullSecretError(v);
  if (e) ctx.addIssue({ code: "custom", message: e });
});

export const tokenBody = z.strictObject({
  cluster_name: clusterName,
  permissions: z.enum(presets),
  rules: z.array(policyRule).max(64).optional(),
  /** The agent image for this token's commands, instead of the dashboard's AGENT_IMAGE. */
  image: imageRef.optional(),
  /** Secrets in the agent's namespace to pull the image with. */
  image_pull_secrets: z.array(pullSecretName)
    .max(MAX_PULL_SECRETS, `at most ${MAX_PULL_SECRETS} image pull Secrets`)
    .refine((a) => new Set(a).size === a.length, "an image pull Secret is named twice")
    .optional(),
});

export interface AgentHandlerDeps {
  registry: AgentRegistry;
  hub: AgentHub;
  manager: ClusterManager;
  publicUrl: string;
  agentUrl: string;
  caHash: string | null;
  chartVersion: string;
  /** The image install commands set unless the token names its own (AGENT_IMAGE). */
  agentImage: string;
}

export function agentRoutes(deps: AgentHandlerDeps) {
  const app = new Hono<AppEnv>();
  // The commands carry no token (it is returned beside them): docs/agent.md.
  const commands = async (t: AgentTokenInfo) => {
    const params = {
      publicUrl: deps.publicUrl,
      agentUrl: deps.agentUrl,
      caHash: deps.caHash,
      clusterName: t.cluster_name,
      permissions: t.permissions,
      chartVersion: deps.chartVersion,
      chartSha256: await chartSha256(),
      image: t.image ?? deps.agentImage,
      imagePullSecrets: t.image_pull_secrets ?? [],
      // The agent must impersonate under the dashboard's own prefix.
      impersonationPrefix: deps.manager.identity?.impersonationPrefix,
    };
    return { install_command: installCommand(params), helm_command: helmCommand(params) };
  };
  app.post("/clusters/agent-token", async (c) => {
    assertRole(c.get("user"), "admin");
    const body = await parseJson(c, tokenBody);
    let permissions;
    try {
      permissions = checkPermissions(body.permissions, body.rules);
    } catch (err) {
      throw badRequest((err as Error).message);
    }
    const { info, token } = await deps.registry.createToken(
      body.cluster_name,
      permissions,
      c.get("user").id,
      undefined,
      { image: body.image, imagePullSecrets: body.image_pull_secrets },
    );
    return c.json({ ...info, token, ...await commands(info) }, 201);
  });

  app.get("/clusters/agent-token", async (c) => {
    assertRole(c.get("user"), "admin");
    return c.json({ items: await deps.registry.list() });
  });

  app.get("/clusters/agent-token/:id/install-command", async (c) => {
    assertRole(c.get("user"), "admin");
    // The token's text comes from the database (sealed), so any dashboard on it can answer.
    const { info: t, token } = await deps.registry.issued(uuidParam(c, "id"));
    if (!token) {
      throw new HttpError(
        410,
        "gone",
        t.state === "pending"
          ? "the token's secret is not stored (it was issued before this dashboard version); generate a new token"
          : `the token is ${t.state}; generate a new one`,
      );
    }
    return c.json({ id: t.id, expires_at: t.expires_at, token, ...await commands(t) });
  });

  app.delete("/clusters/agent-token/:id", async (c) => {
    assertRole(c.get("user"), "admin");
    return c.json(await deps.registry.revoke(uuidParam(c, "id")));
  });

  app.post("/clusters/:id/agent/rotate", async (c) => {
    assertRole(c.get("user"), "admin");
    const id = uuidParam(c, "id");
    const { info, token } = await deps.registry.rotateCredential(id, c.get("user").id);
    // On whichever replica holds the agent's stream.
    deps.hub.disconnect(id, "the agent credential was rotated; reinstall the agent", true);
    return c.json({ ...info, token, ...await commands(info) });
  });

  app.get("/clusters/events", (c) =>
    streamSSE(c, async (stream) => {
      // Insertion-ordered and without repeats (a resync after a gap between replicas names every
      // cluster at once).
      const queue = new Set<string>();
      let wake: (() => void) | undefined;
      const listener = (id: string) => {
        if (queue.size < 10_000) queue.add(id);
        wake?.();
      };
      deps.manager.statusListeners.add(listener);
      stream.onAbort(() => {
        deps.manager.statusListeners.delete(listener);
        wake?.();
      });
      try {
        const person = c.get("user");
        // Clusters this stream has shown: only those are ever reported deleted (a cluster the
        // person never saw stays unknown to them, even by id).
        const shown = new Set<string>();
        for (const cl of await deps.manager.listFor(person)) {
          shown.add(cl.id);
          await stream.writeSSE({ event: "cluster", data: JSON.stringify(cl) });
        }
        while (!stream.aborted) {
          const id = queue.values().next().value;
          if (id !== undefined) queue.delete(id);
          if (!id) {
            await new Promise<void>((r) => {
              wake = r;
              setTimeout(r, 15_000);
            });
            wake = undefined;
            if (!queue.size && !stream.aborted) {
              await stream.writeSSE({ event: "ping", data: "" });
            }
            continue;
          }
          // The list's small shape: every status change goes to every open page.
          // A cluster the person holds no role on (or no longer) is gone as far as they know.
          const found = await deps.manager.store.listItem(id).catch(() => null);
          const role = found && await deps.manager.roleOf(person, found);
          const cl = found && role ? { ...found, my_role: role } : null;
          if (!cl && !shown.delete(id)) continue;
          if (cl) shown.add(id);
          await stream.writeSSE(
            cl
              ? { event: "cluster", data: JSON.stringify(cl) }
              : { event: "deleted", data: JSON.stringify({ id }) },
          );
        }
      } finally {
        deps.manager.statusListeners.delete(listener);
      }
    }));

  return app;
}
