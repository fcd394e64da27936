// REST endpoints for clusters: add by kubeconfig, list, show, edit, delete, and the kubeconfig
// that points kubectl/helm at the dashboard's Kubernetes-compatible proxy.
import { Hono } from "hono";
import { z } from "zod";
import { stringify } from "yaml";
import type { AppEnv } from "../http/types.ts";
import { assertRole, type AuthService } from "../auth/service.ts";
import { badRequest, HttpError, parseJson, uuidParam } from "../http/errors.ts";
import type { ClusterManager } from "./manager.ts";
import type { SecretBox } from "../crypto/secretbox.ts";
import { KubeconfigError, listContexts, parseKubeconfig } from "./kubeconfig.ts";
import { kubeconfigClient } from "./connectors/kubeconfig.ts";
import { type ClusterSummary, clusterSummary, ClusterUnavailableError } from "./client.ts";

export const clusterName = z.string().regex(
  /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
  "use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit",
);
const kubeconfigText = z.string().min(1, "paste a kubeconfig").max(
  512 * 1024,
  "the kubeconfig is larger than 512 KiB",
);
/** Kubernetes-style label keys and values (prefix/name, 63-character names), at most 32. */
export const clusterLabels = z.record(
  z.string().regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    "label keys are [prefix/]name, the name 1-63 letters, digits, '-', '_' or '.'",
  ).max(253),
  z.string().regex(
    /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/,
    "label values are at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
  ),
).refine((l) => Object.keys(l).length <= 32, "at most 32 labels");
export const createBody = z.strictObject({
  name: clusterName,
  kubeconfig: kubeconfigText,
  context: z.string().max(253).optional(),
  labels: clusterLabels.optional(),
  /** Act on the cluster as each person (the kubeconfig's credential must be allowed to impersonate). */
  impersonate: z.boolean().optional(),
});
export const patchBody = z.strictObject({
  name: clusterName.optional(),
  kubeconfig: kubeconfigText.optional(),
  context: z.string().max(253).optional(),
  labels: clusterLabels.optional(),
  impersonate: z.boolean().optional(),
});
export const contextsBody = z.strictObject({ kubeconfig: kubeconfigText });

function parseOr400(text: string, context?: string) {
  try {
    return parseKubeconfig(text, context);
  } catch (err) {
    if (err instanceof KubeconfigError) throw badRequest(err.message);
    throw err;
  }
}

/** Reaches the cluster once with the given kubeconfig before anything is stored. */
async function probe(target: ReturnType<typeof parseKubeconfig>): Promise<ClusterSummary> {
  const client = kubeconfigClient(target);
  try {
    return await clusterSummary(client, AbortSignal.timeout(10_000));
  } catch (err) {
    throw new HttpError(
      422,
      "cluster_unreachable",
      `cannot reach the cluster at ${target.server}: ${
        err instanceof ClusterUnavailableError ? err.detail : (err as Error).message
      }. Check the server address, CA and credentials`,
    );
  } finally {
    client.close();
  }
}

/** Lifetime of the API token a downloaded kubeconfig carries (listed under API tokens). */
const KUBECONFIG_TOKEN_DAYS = 90;

export function clusterRoutes(
  deps: {
    manager: ClusterManager;
    box: SecretBox;
    auth: AuthService;
    publicUrl: string;
    caPem: string | null;
  },
) {
  const { manager, box } = deps;
  const store = manager.store;
  const app = new Hono<AppEnv>();

  app.get("/clusters", async (c) => c.json({ items: await manager.listFor(c.get("user")) }));

  app.post("/clusters/kubeconfig-contexts", async (c) => {
    // Admin only, like the uploads it serves: the kubeconfig reader is attack surface.
    assertRole(c.get("user"), "admin");
    const { kubeconfig } = await parseJson(c, contextsBody);
    try {
      return c.json(listContexts(kubeconfig));
    } catch (err) {
      if (err instanceof KubeconfigError) throw badRequest(err.message);
      throw err;
    }
  });

  app.post("/clusters", async (c) => {
    assertRole(c.get("user"), "admin");
    const body = await parseJson(c, createBody);
    const target = parseOr400(body.kubeconfig, body.context);
    const summary = await probe(target);
    const id = crypto.randomUUID();
    const cluster = await store.createKubeconfigCluster({
      id,
      name: body.name,
      sealed: await box.seal(body.kubeconfig, id),
      context: target.context,
      server: target.server,
      status: "connected",
      kubernetes_version: summary.kubernetesVersion,
      platform: summary.platform,
      node_count: summary.nodeCount,
      labels: body.labels,
      impersonate: body.impersonate,
    });
    manager.notifyStatus(id);
    // As GET /clusters/{id} answers (an admin's role on every cluster is admin).
    return c.json({ ...cluster, my_role: "admin" as const }, 201);
  });

  app.get(
    "/clusters/:id",
    async (c) => c.json(await manager.getFor(uuidParam(c, "id"), c.get("user"))),
  );

  app.patch("/clusters/:id", async (c) => {
    assertRole(c.get("user"), "admin");
    const id = uuidParam(c, "id");
    const body = await parseJson(c, patchBody);
    const current = await store.get(id);
    let sealed: Uint8Array | undefined, server: string | undefined, context: string | undefined;
    if (body.kubeconfig !== undefined || body.context !== undefined) {
      if (current.connection_type !== "kubeconfig") {
        throw badRequest("an agent cluster has no kubeconfig to change");
      }
      const text = body.kubeconfig ?? await box.open((await store.kubeconfigOf(id)).sealed, id);
      const target = parseOr400(
        text,
        body.context ?? (body.kubeconfig ? undefined : current.context ?? undefined),
      );
      await probe(target);
      sealed = await box.seal(text, id);
      server = target.server;
      context = target.context;
    }
    const updated = await store.update(id, {
      name: body.name,
      sealed,
      server,
      context,
      labels: body.labels,
      impersonate: body.impersonate,
    });
    manager.changed(id);
    return c.json({ ...updated, my_role: "admin" as const });
  });

  app.delete("/clusters/:id", async (c) => {
    assertRole(c.get("user"), "admin");
    const id = uuidParam(c, "id");
    await store.delete(id);
    manager.removed(id);
    return c.body(null, 204);
  });

  app.get("/clusters/:id/kubeconfig", async (c) => {
    const id = uuidParam(c, "id");
    const user = c.get("user");
    const cluster = await manager.getFor(id, user);
    const presented = c.get("token");
    const token = c.get("authKind") === "bearer" && presented.startsWith("kdt_")
      ? presented
      : (await deps.auth
        .createApiToken(
          user.id,
          // To the millisecond: two downloads in one second get two tokens, not a conflict.
          `kubeconfig ${cluster.name} ${
            new Date().toISOString().replace(/[:T]/g, "-").slice(0, 23)
          }`,
          KUBECONFIG_TOKEN_DAYS,
        ))
        .token;
    const name = `dashboard-${cluster.name}`;
    const doc = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{
        name,
        cluster: {
          server: `${deps.publicUrl}/api/clusters/${id}/k8s`,
          ...(deps.caPem ? { "certificate-authority-data": btoa(deps.caPem) } : {}),
        },
      }],
      users: [{ name: `${name}-${user.username}`, user: { token } }],
      contexts: [{ name, context: { cluster: name, user: `${name}-${user.username}` } }],
      "current-context": name,
    };
    c.header("content-disposition", `attachment; filename="${name}.kubeconfig"`);
    c.header("cache-control", "no-store");
    return c.body(stringify(doc), 200, { "content-type": "application/yaml" });
  });

  return app;
}
