// What acting as the person costs: small GETs through the proxy to the kubeconfig cluster (b) and
// the agent cluster (c) with impersonation off, on for a user with only the role group (one
// Impersonate-Group: fetch), and on for a user with three groups (one header line per group:
// node:https), in alternating rounds; then with impersonation off again after 1,000 per-cluster
// role bindings exist (the per-request access decision walks them).
import type { DashboardProcess } from "./dashboard_process.ts";
import { percentile } from "./stats.ts";
import { proxyTarget, type Target, timedGet } from "./targets.ts";

export interface IdentitySizes {
  rounds: number;
  getsPerRound: number;
  bindings: number;
}

export const fullIdentitySizes: IdentitySizes = { rounds: 5, getsPerRound: 200, bindings: 1000 };
export const smokeIdentitySizes: IdentitySizes = { rounds: 1, getsPerRound: 5, bindings: 10 };

const SMALL = "/api/v1/namespaces/bench-small/configmaps/cm-0";

type Variant = "off" | "on_role_group" | "on_three_groups";

async function ok(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A user with `groups` and an API token of theirs (made by the admin, then signed in). */
async function person(dash: DashboardProcess, username: string, groups: string[]) {
  const password = "bench-person-password";
  const u = await ok(
    await dash.api("POST", "/api/users", { username, password, role: "admin" }),
    `create ${username}`,
  ) as { id: string };
  if (groups.length) {
    await ok(await dash.api("PATCH", `/api/users/${u.id}`, { groups }), `groups of ${username}`);
  }
  const login = await fetch(`${dash.url}/api/auth/login`, {
    method: "POST",
    client: dash.http,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  } as RequestInit);
  return (await ok(login, `login ${username}`) as { token: string }).token;
}

/** p50 and p99 (ms) per cluster kind and variant. */
export async function runIdentityBench(
  dash: DashboardProcess,
  clusters: { b: string; c: string },
  sizes: IdentitySizes,
): Promise<Record<string, Record<string, number>>> {
  const roleOnly = await person(dash, "bench-role-only", []);
  const threeGroups = await person(dash, "bench-three-groups", ["team-a", "team-b"]);
  const targets = (token: string): Record<"b" | "c", Target> => ({
    b: proxyTarget("b", "proxy→kubeconfig", dash.url, dash.caPem, [token], clusters.b),
    c: proxyTarget("c", "proxy→agent", dash.url, dash.caPem, [token], clusters.c),
  });
  const byVariant: Record<Variant, Record<"b" | "c", Target>> = {
    off: targets(roleOnly),
    on_role_group: targets(roleOnly),
    on_three_groups: targets(threeGroups),
  };
  const setImpersonation = async (on: boolean) => {
    for (const id of Object.values(clusters)) {
      await ok(await dash.api("PATCH", `/api/clusters/${id}`, { impersonate: on }), "PATCH");
    }
  };
  const lat: Record<string, number[]> = {};
  const run = async (variant: string, t: Record<"b" | "c", Target>) => {
    for (const kind of ["b", "c"] as const) {
      await timedGet(t[kind], SMALL); // warm the connection
      for (let i = 0; i < sizes.getsPerRound; i++) {
        (lat[`${variant}.${kind}`] ??= []).push(await timedGet(t[kind], SMALL));
      }
    }
  };
  try {
    for (let round = 0; round < sizes.rounds; round++) {
      for (const variant of ["off", "on_role_group", "on_three_groups"] as const) {
        await setImpersonation(variant !== "off");
        await run(variant, byVariant[variant]);
      }
    }
    await setImpersonation(false);
    for (let i = 0; i < sizes.bindings; i++) {
      await ok(
        await dash.api("POST", "/api/role-bindings", {
          subject_kind: "user",
          subject: `someone-${i}`,
          role: "viewer",
          cluster_selector: { team: `t${i}` },
        }),
        "binding",
      );
    }
    for (let round = 0; round < sizes.rounds; round++) {
      await run(`off_with_${sizes.bindings}_bindings`, byVariant.off);
    }
  } finally {
    await setImpersonation(false).catch(() => {});
    for (const t of Object.values(byVariant)) for (const x of Object.values(t)) x.close();
  }
  const out: Record<string, Record<string, number>> = {};
  for (const [key, values] of Object.entries(lat)) {
    const [variant, kind] = key.split(".");
    (out[`${variant}_p50_ms`] ??= {})[kind] = percentile(values, 50);
    (out[`${variant}_p99_ms`] ??= {})[kind] = percentile(values, 99);
  }
  return out;
}
