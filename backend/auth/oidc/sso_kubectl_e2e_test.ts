// End-to-end: a person who signs in with single sign-on uses kubectl through the dashboard as
// themselves. A REAL OpenID provider gives dana the groups developers and team-x; the dashboard maps
// developers to editor. On a kubeconfig cluster set to impersonate and on an agent cluster, RBAC
// bound to the provider's group `team-x` (as dashboard:team-x) decides what her downloaded
// kubeconfig may do, with the REAL kube-apiserver and kubectl; a dashboard per-cluster role bound
// to a provider group (erin's, whose groups map to no role) gives that cluster alone; disabling dana
// in the dashboard ends her kubeconfig at once.
import assert from "node:assert/strict";
import { ensureNamespace, kubeRequest, sharedControlPlane } from "../../../tools/testenv/mod.ts";
import { startTestDashboard } from "../../../testing/harness.ts";
import {
  connectCluster,
  type ConnectionKind,
  downloadKubeconfig,
} from "../../../testing/clusters.ts";
import { signInThroughDashboard, startOidcProvider } from "../../../testing/oidc_provider.ts";
import { freePorts } from "../../../tools/ports.ts";

const dana = {
  id: "u-dana",
  username: "dana",
  password: "dana-pw-12345",
  email: "dana@example.com",
  groups: ["developers", "team-x"],
};
/** In no mapped group: the default role none, so only per-cluster roles of her groups apply. */
const erin = {
  id: "u-erin",
  username: "erin",
  password: "erin-pw-12345",
  email: "erin@example.com",
  groups: ["Auditors"],
};

Deno.test({
  name: "single sign-on: kubectl through the dashboard as the provider's person and groups",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cp = await sharedControlPlane();
    const [port] = await freePorts(1);
    const publicUrl = `https://127.0.0.1:${port}`;
    const idp = await startOidcProvider({
      users: [dana, erin],
      clients: [{
        id: "dashboard",
        secret: "dashboard-secret",
        redirect_uris: [`${publicUrl}/auth/oidc/callback`],
      }],
    });
    const dash = await startTestDashboard({
      httpPort: port,
      env: {
        PUBLIC_URL: publicUrl,
        OIDC_ISSUER_URL: idp.issuer,
        OIDC_CLIENT_ID: "dashboard",
        OIDC_CLIENT_SECRET: "dashboard-secret",
        OIDC_ROLE_MAPPING: "developers=editor",
      },
    });
    try {
      const signedIn = await signInThroughDashboard(dash.fetch, idp, dana);
      assert.equal(signedIn.callback.status, 200, signedIn.page.slice(0, 300));
      const session = signedIn.session;
      for (const kind of ["kubeconfig", "agent"] as ConnectionKind[]) {
        await t.step(kind, async () => {
          const cluster = await connectCluster(dash, cp, kind, `sso-${kind}`, {
            bindRoles: false,
            impersonate: true,
          });
          try {
            const ns = `sso-${kind}`;
            await ensureNamespace(cp, ns);
            for (
              const [path, body] of [
                [`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
                  metadata: { name: "team-x-cms" },
                  rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
                }],
                [`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
                  metadata: { name: "team-x-cms" },
                  roleRef: {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "Role",
                    name: "team-x-cms",
                  },
                  subjects: [{
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "Group",
                    name: "dashboard:team-x",
                  }],
                }],
              ] as const
            ) {
              const r = await kubeRequest(cp, "POST", path, body);
              assert.ok(r.status === 201 || r.status === 409, `${path}: ${r.status}`);
            }
            const kc = await downloadKubeconfig(dash, cluster.id, session);
            const kubectl = (args: string[]) => cp.kubectl(args, { kubeconfig: kc });
            const cms = await kubectl(["get", "configmaps", "-n", ns]);
            assert.equal(cms.code, 0, `the provider's group team-x is bound: ${cms.stderr}`);
            const pods = await kubectl(["get", "pods", "-n", ns]);
            assert.notEqual(pods.code, 0);
            assert.match(pods.stderr, /User "dashboard:dana" cannot list resource "pods"/);
          } finally {
            await cluster.close();
          }
        });
      }
      await t.step(
        "a per-cluster role of the provider's group gives exactly that cluster",
        async () => {
          const auditor = await signInThroughDashboard(dash.fetch, idp, erin);
          assert.equal(auditor.callback.status, 200, auditor.page.slice(0, 300));
          const names = async () =>
            ((await dash.api("GET", "/api/clusters", undefined, auditor.session)).json as {
              items: { id: string; name: string; my_role: string }[];
            }).items;
          assert.deepEqual(await names(), [], "role none: no cluster");
          const all = await dash.api("GET", "/api/clusters", undefined, dash.adminToken);
          const target = (all.json as { items: { id: string; name: string }[] }).items
            .find((c) => c.name === "sso-kubeconfig")!;
          const bound = await dash.api("POST", "/api/role-bindings", {
            subject_kind: "group",
            subject: "auditors",
            role: "viewer",
            cluster_id: target.id,
          }, dash.adminToken);
          assert.equal(bound.status, 201, bound.text);
          assert.deepEqual(
            (await names()).map((c) => [c.name, c.my_role]),
            [["sso-kubeconfig", "viewer"]],
          );
        },
      );

      await t.step("disabled in the dashboard: her kubeconfigs stop at once", async () => {
        const me = await dash.api("GET", "/api/auth/me", undefined, session);
        const id = (me.json as { id: string }).id;
        const list = await dash.api("GET", "/api/clusters", undefined, dash.adminToken);
        const cluster = (list.json as { items: { id: string; name: string }[] }).items
          .find((c) => c.name === "sso-kubeconfig")!;
        const kc = await downloadKubeconfig(dash, cluster.id, session);
        const off = await dash.api(
          "PATCH",
          `/api/users/${id}`,
          { disabled: true },
          dash.adminToken,
        );
        assert.equal(off.status, 200, off.text);
        const r = await cp.kubectl(["get", "configmaps", "-n", "sso-kubeconfig"], {
          kubeconfig: kc,
        });
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /\(unauthorized\): the session or token is invalid/);
      });
    } finally {
      await dash.stop();
      await idp.stop();
    }
  },
});
