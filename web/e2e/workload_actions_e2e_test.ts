// End-to-end test of the workload actions on the object page (islands ScaleWorkload,
// RestartWorkload, PauseDeployment, RollbackDeployment) in headless Chromium, against a real
// dashboard and a real control plane with kube-controller-manager (tools/testenv): the Deployment
// controller makes ReplicaSets, the ReplicaSet controller pods, and a loop here plays scheduler
// and kubelet (reconcilePods: binds pods to the test node, marks them Running and Ready, removes
// deleted ones), so rollouts finish and the live progress settles.
//
//  1. scale a Deployment 1 → 3 in the dialog (screenshot): the API has spec.replicas 3 and the
//     ReplicaSet desires 3; the progress settles at 3 available.
//  2. restart: the pod template gets kubectl.kubernetes.io/restartedAt and a new ReplicaSet.
//  3. the image changed through the API, then a rollback in the UI to the previous revision
//     restores the old image (the template without pod-template-hash).
//  4. pause and resume toggle spec.paused; a paused Deployment's Restart and Roll back are
//     disabled with the reason.
//  5. an API refusal (a ValidatingAdmissionPolicy) is shown as the API words it.
//  6. a viewer sees every action disabled with the dashboard's reason; an editor on a cluster
//     added with a read-only credential sees them disabled with the cluster's RBAC reason.
//  7. on a cluster that impersonates, an editor whose RBAC allows only `update` on
//     deployments/scale: Restart, Pause and Roll back disabled "for you", Scale enabled and done by
//     PUT of the Scale, which the apiserver's audit log shows made as the impersonated editor.
//  8. through the real agent (admin preset: it impersonates), the editor restarts the Deployment;
//     the audit log shows the agent's ServiceAccount acting as the editor.
//
// Needs: /usr/bin/chromium and the kube tools (tools/kube/build.sh).
import assert from "node:assert/strict";
import type { ConsoleMessage, Locator, Page } from "playwright-core";
import {
  type ControlPlane,
  createNode,
  ensureNamespace,
  kubeRequest,
  reconcilePods,
} from "../../tools/testenv/mod.ts";
import {
  type BrowserSession,
  createUsers,
  hydrated,
  loginToken,
  restCall,
  signInSession,
  webSceneTest,
} from "./harness.ts";
import { connectImpersonatingAgent } from "./agent_cluster.ts";
import { serviceAccountKubeconfig } from "../../testing/clusters.ts";
import type { RunningAgent } from "../../testing/harness.ts";
import { eventually } from "../../testing/eventually.ts";

const ADMIN_PASSWORD = "workload-e2e-admin-password";
const VIEWER_PASSWORD = "workload-e2e-viewer-password";
const EDITOR_PASSWORD = "workload-e2e-editor-password";
const NS = "workload-e2e";
const NAME = "web";
const TIMEOUT = 30_000;
const IMAGE_1 = "registry.example/workload-e2e/web:1.0";
const IMAGE_2 = "registry.example/workload-e2e/web:2.0";
const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";
const VIEWER_REASON = "your role on this cluster is viewer: read only";
const SHOTS = decodeURIComponent(new URL("./screenshots/", import.meta.url).pathname);
const DEPLOYMENT = `/apis/apps/v1/namespaces/${NS}/deployments/${NAME}`;
/** The refusal of step 5 is asserted on its own (the browser logs the failed request). */
const refused = (msg: ConsoleMessage) => /status of (403|422)/.test(msg.text());

interface Deployment {
  metadata: { uid: string; generation: number; annotations?: Record<string, string> };
  spec: {
    replicas: number;
    paused?: boolean;
    template: {
      metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: { containers: { name: string; image: string }[] };
    };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
}

interface ReplicaSet {
  metadata: {
    name: string;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string }[];
  };
  spec: { replicas: number; template: Deployment["spec"]["template"] };
}

async function getDeployment(cp: ControlPlane): Promise<Deployment> {
  const r = await kubeRequest(cp, "GET", DEPLOYMENT);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as Deployment;
}

/** The Deployment's ReplicaSets, by revision. */
async function replicaSets(cp: ControlPlane): Promise<ReplicaSet[]> {
  const uid = (await getDeployment(cp)).metadata.uid;
  const r = await kubeRequest(cp, "GET", `/apis/apps/v1/namespaces/${NS}/replicasets`);
  assert.equal(r.status, 200);
  return (r.body as { items: ReplicaSet[] }).items
    .filter((rs) => rs.metadata.ownerReferences?.some((o) => o.uid === uid))
    .sort((a, b) =>
      Number(a.metadata.annotations?.["deployment.kubernetes.io/revision"]) -
      Number(b.metadata.annotations?.["deployment.kubernetes.io/revision"])
    );
}

/** Waits until the Deployment has rolled out: observed, every replica updated and available. */
function rolledOut(cp: ControlPlane, replicas: number): Promise<Deployment> {
  return eventually(`the Deployment rolled out at ${replicas} replicas`, async () => {
    const d = await getDeployment(cp);
    const s = d.status ?? {};
    return (s.observedGeneration ?? 0) >= d.metadata.generation && d.spec.replicas === replicas &&
      s.replicas === replicas && s.updatedReplicas === replicas &&
      s.availableReplicas === replicas && d;
  }, { timeoutMs: TIMEOUT, intervalMs: 200 });
}

/** A control that is disabled, aria-disabled, and whose hover text (title) is `reason`. */
async function assertDisabled(control: Locator, reason: string, what: string) {
  await control.waitFor();
  assert.equal(await control.isDisabled(), true, `${what}: disabled`);
  assert.equal(await control.getAttribute("aria-disabled"), "true", `${what}: aria-disabled`);
  assert.equal(await control.getAttribute("title"), reason, `${what}: title`);
}

/** Waits until the element's text (trimmed) is `text`. */
async function hasText(locator: Locator, text: string) {
  await eventually(
    `text ${JSON.stringify(text)}`,
    async () => (await locator.innerText()).trim() === text,
    { timeoutMs: TIMEOUT },
  );
}

/** Waits for the dialog's live progress to settle (not failed); returns its message. */
async function settled(dialog: Locator): Promise<string> {
  const progress = dialog.locator("[data-testid=rollout-progress][data-settled=true]");
  await progress.waitFor({ timeout: TIMEOUT });
  assert.equal(await progress.getAttribute("data-failed"), "false");
  return await progress.getByTestId("rollout-message").innerText();
}

/** Closes an action's dialog (the page reloads) and waits for the fresh page. */
async function closeAndReload(page: Page, dialog: Locator) {
  await Promise.all([
    page.waitForEvent("load"),
    dialog.getByRole("button", { name: "Close", exact: true }).last().click(),
  ]);
  await hydrated(page);
}

Deno.test({
  name: "workload actions: scale, restart, rollback, pause/resume, refusals, viewers",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: webSceneTest(ADMIN_PASSWORD, async (t, { cp, dash, base, session, defer }) => {
    assert(cp.controllerManager, "the control plane runs kube-controller-manager");
    let agent: RunningAgent | undefined;
    /** The editor's session, which later steps go on with. */
    let editorSession: BrowserSession | undefined;
    // The scheduler and kubelet of this test: pods bound to the node, Running and Ready.
    let reconciling = true;
    const reconciler = (async () => {
      while (reconciling) {
        await reconcilePods(cp).catch(() => {});
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    defer(async () => {
      await agent?.stop().catch(() => {});
      reconciling = false;
      await reconciler;
    });
    await Promise.all([ensureNamespace(cp, NS), createNode(cp, "workload-e2e-node")]);
    const created = await kubeRequest(cp, "POST", `/apis/apps/v1/namespaces/${NS}/deployments`, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: NAME },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: NAME } },
        template: {
          metadata: { labels: { app: NAME } },
          spec: {
            terminationGracePeriodSeconds: 0,
            containers: [{ name: "main", image: IMAGE_1 }],
          },
        },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await rolledOut(cp, 1);

    const admin = await loginToken(base, "admin", ADMIN_PASSWORD);
    const addCluster = async (name: string, kubeconfig: string) => {
      const r = await restCall(base, "POST", "/api/clusters", admin, { name, kubeconfig });
      assert.equal(r.status, 201, r.text);
      return (r.json as { id: string }).id;
    };
    const fullId = await addCluster("full", await Deno.readTextFile(cp.kubeconfigPath));
    const objectUrl = (cluster: string) =>
      `${base}/clusters/${cluster}/r/apps/v1/deployments/${NS}/${NAME}`;

    const s = await session({ timeoutMs: TIMEOUT, expected: refused });
    const { page } = s;
    await signInSession(s, base, "admin", ADMIN_PASSWORD);
    await page.goto(objectUrl(fullId));
    await hydrated(page);

    await t.step("1. scale 1 → 3", async () => {
      await page.getByTestId("workload-scale").click();
      const dialog = page.getByRole("dialog", { name: `Scale Deployment ${NAME}` });
      await hasText(dialog.getByTestId("scale-current"), "1");
      assert.equal(await dialog.getByTestId("scale-desired").inputValue(), "1");
      await dialog.getByTestId("scale-desired").fill("3");
      await dialog.getByText("1 → 3 replicas").waitFor();
      await Deno.mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: `${SHOTS}workload-scale-dialog.png` });
      await dialog.getByRole("button", { name: "Scale", exact: true }).click();
      await dialog.getByText("Scaled to 3 replicas.").waitFor();
      assert.equal(await settled(dialog), "rolled out");
      assert.equal(await dialog.getByTestId("count-available").innerText(), "3");
      await page.screenshot({ path: `${SHOTS}workload-scale-progress.png` });

      const d = await getDeployment(cp);
      assert.equal(d.spec.replicas, 3);
      const sets = await replicaSets(cp);
      assert.equal(sets.length, 1);
      assert.equal(sets[0].spec.replicas, 3, "the ReplicaSet desires 3");
      await closeAndReload(page, dialog);
      assert.equal(await page.getByTestId("count-desired").innerText(), "3");
      assert.deepEqual(s.problems, []);
    });

    await t.step("2. restart: restartedAt on the template, a new ReplicaSet", async () => {
      const before = Date.now();
      await page.getByTestId("workload-restart").click();
      const dialog = page.getByRole("dialog", { name: `Restart Deployment ${NAME}?` });
      await dialog.getByRole("button", { name: "Restart", exact: true }).click();
      assert.equal(await settled(dialog), "rolled out");
      const d = await rolledOut(cp, 3);
      const at = d.spec.template.metadata.annotations?.[RESTARTED_AT] ?? "";
      assert.match(at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "RFC 3339, as kubectl writes it");
      assert(Date.parse(at) >= Math.floor(before / 1000) * 1000 - 1000, `restartedAt ${at}`);
      const sets = await replicaSets(cp);
      assert.equal(sets.length, 2, "a new ReplicaSet");
      assert.deepEqual(sets.map((rs) => rs.spec.replicas), [0, 3]);
      assert.equal(sets[1].spec.template.metadata.annotations?.[RESTARTED_AT], at);
      await closeAndReload(page, dialog);
      assert.deepEqual(s.problems, []);
    });

    await t.step("3. the image changed through the API; rollback restores it", async () => {
      const patched = await kubeRequest(cp, "PATCH", DEPLOYMENT, {
        spec: { template: { spec: { containers: [{ name: "main", image: IMAGE_2 }] } } },
      }, "application/strategic-merge-patch+json");
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      await rolledOut(cp, 3);
      assert.equal((await replicaSets(cp)).length, 3);
      await page.reload();
      await hydrated(page);
      await page.getByTestId("template-images").getByText(IMAGE_2).waitFor();

      await page.getByTestId("workload-rollback").click();
      const dialog = page.getByRole("dialog", { name: `Roll back Deployment ${NAME}` });
      const list = dialog.getByTestId("rollback-revisions");
      await list.waitFor();
      const revision = (n: number) => list.locator(`li[data-revision="${n}"]`);
      assert.equal(await list.locator("li").count(), 3);
      assert.equal(await revision(3).getByTestId("images").innerText(), IMAGE_2);
      await revision(3).getByText("current", { exact: true }).waitFor();
      assert.equal(
        await revision(3).getByRole("radio").isDisabled(),
        true,
        "current: not a choice",
      );
      assert.equal(await revision(2).getByTestId("images").innerText(), IMAGE_1);
      assert.equal(await revision(1).getByTestId("images").innerText(), IMAGE_1);
      // The previous revision is chosen (kubectl rollout undo's default).
      assert.equal(await revision(2).getByRole("radio").isChecked(), true);
      await page.screenshot({ path: `${SHOTS}workload-rollback-dialog.png` });
      await dialog.getByRole("button", { name: "Roll back to revision 2" }).click();
      assert.equal(await settled(dialog), "rolled out");

      const d = await rolledOut(cp, 3);
      assert.equal(d.spec.template.spec.containers[0].image, IMAGE_1, "the old image is back");
      assert.equal(d.spec.template.metadata.labels?.["pod-template-hash"], undefined);
      assert.equal(d.spec.template.metadata.labels?.app, NAME);
      // Revision 2's template had the restart's annotation: it is back too.
      assert.match(d.spec.template.metadata.annotations?.[RESTARTED_AT] ?? "", /Z$/);
      // The controller takes revision 2's ReplicaSet back as revision 4: no new ReplicaSet.
      const sets = await replicaSets(cp);
      assert.equal(sets.length, 3);
      assert.equal(sets.at(-1)!.spec.template.spec.containers[0].image, IMAGE_1);
      assert.equal(sets.at(-1)!.spec.replicas, 3);
      await closeAndReload(page, dialog);
      await page.getByTestId("template-images").getByText(IMAGE_1).waitFor();
      assert.deepEqual(s.problems, []);
    });

    await t.step("4. pause and resume toggle spec.paused", async () => {
      await page.getByTestId("workload-pause").click();
      const pause = page.getByRole("dialog", { name: `Pause the rollout of ${NAME}?` });
      await Promise.all([
        page.waitForEvent("load"),
        pause.getByRole("button", { name: "Pause", exact: true }).click(),
      ]);
      await hydrated(page);
      assert.equal((await getDeployment(cp)).spec.paused, true);
      await page.getByText("Rollout paused").waitFor();
      await assertDisabled(
        page.getByTestId("workload-restart"),
        "the Deployment is paused: resume it before restarting",
        "Restart (paused)",
      );
      await assertDisabled(
        page.getByTestId("workload-rollback"),
        "the Deployment is paused: resume it before rolling back",
        "Roll back (paused)",
      );
      assert.equal(await page.getByTestId("workload-scale").isEnabled(), true, "scale still");

      await page.getByTestId("workload-resume").click();
      const resume = page.getByRole("dialog", { name: `Resume the rollout of ${NAME}?` });
      await Promise.all([
        page.waitForEvent("load"),
        resume.getByRole("button", { name: "Resume", exact: true }).click(),
      ]);
      await hydrated(page);
      assert.equal((await getDeployment(cp)).spec.paused ?? false, false);
      await page.getByTestId("workload-pause").waitFor();
      assert.equal(await page.getByTestId("workload-restart").isEnabled(), true);
      assert.deepEqual(s.problems, []);
    });

    await t.step("5. the API's refusal is shown in its own words", async () => {
      // At most 5 replicas in this namespace, enforced by the apiserver's admission.
      const message = "workload-e2e allows at most 5 replicas";
      const policy = await kubeRequest(
        cp,
        "POST",
        "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies",
        {
          apiVersion: "admissionregistration.k8s.io/v1",
          kind: "ValidatingAdmissionPolicy",
          metadata: { name: "workload-e2e-max-replicas" },
          spec: {
            failurePolicy: "Fail",
            matchConstraints: {
              resourceRules: [{
                apiGroups: ["apps"],
                apiVersions: ["v1"],
                operations: ["UPDATE"],
                resources: ["deployments/scale"],
              }],
            },
            validations: [{ expression: "object.spec.replicas <= 5", message }],
          },
        },
      );
      assert([201, 409].includes(policy.status), JSON.stringify(policy.body));
      const binding = await kubeRequest(
        cp,
        "POST",
        "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings",
        {
          apiVersion: "admissionregistration.k8s.io/v1",
          kind: "ValidatingAdmissionPolicyBinding",
          metadata: { name: "workload-e2e-max-replicas" },
          spec: {
            policyName: "workload-e2e-max-replicas",
            validationActions: ["Deny"],
            matchResources: {
              namespaceSelector: {
                matchLabels: { "kubernetes.io/metadata.name": NS },
              },
            },
          },
        },
      );
      assert([201, 409].includes(binding.status), JSON.stringify(binding.body));
      // The policy takes effect once the apiserver has loaded it: probe with a dry run.
      await eventually("the policy refuses 9 replicas", async () => {
        const r = await kubeRequest(
          cp,
          "PATCH",
          `${DEPLOYMENT}/scale?dryRun=All`,
          { spec: { replicas: 9 } },
          "application/merge-patch+json",
        );
        return r.status === 422 || r.status === 403;
      }, { timeoutMs: TIMEOUT, intervalMs: 250 });

      await page.getByTestId("workload-scale").click();
      const dialog = page.getByRole("dialog", { name: `Scale Deployment ${NAME}` });
      await hasText(dialog.getByTestId("scale-current"), "3");
      await dialog.getByTestId("scale-desired").fill("9");
      await dialog.getByRole("button", { name: "Scale", exact: true }).click();
      const alert = dialog.getByRole("alert");
      await alert.waitFor();
      const text = await alert.innerText();
      assert.match(text, /ValidatingAdmissionPolicy 'workload-e2e-max-replicas'/, text);
      assert(text.includes(message), text);
      assert.equal((await getDeployment(cp)).spec.replicas, 3, "nothing changed");
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "hidden" });
      assert.deepEqual(s.problems, []);
    });

    await t.step("6. a viewer, and an editor on a read-only cluster: disabled, why", async () => {
      await createUsers(base, admin, [
        ["viewer", VIEWER_PASSWORD, "viewer"],
        ["editor", EDITOR_PASSWORD, "editor"],
      ]);
      const viewer = await session({ timeoutMs: TIMEOUT });
      await signInSession(viewer, base, "viewer", VIEWER_PASSWORD);
      await viewer.page.goto(objectUrl(fullId));
      await hydrated(viewer.page);
      for (const id of ["scale", "restart", "pause", "rollback"]) {
        await assertDisabled(viewer.page.getByTestId(`workload-${id}`), VIEWER_REASON, id);
      }
      // A forced click opens nothing.
      await viewer.page.getByTestId("workload-scale").click({ force: true });
      assert.equal(await viewer.page.getByRole("dialog").count(), 0);
      assert.deepEqual(viewer.problems, []);

      const readOnlyId = await addCluster(
        "read-only",
        await Deno.readTextFile(await serviceAccountKubeconfig(cp, "workload-e2e-view", "view")),
      );
      const editor = await session({ timeoutMs: TIMEOUT });
      editorSession = editor;
      await signInSession(editor, base, "editor", EDITOR_PASSWORD);
      await editor.page.goto(objectUrl(readOnlyId));
      await hydrated(editor.page);
      const rbac = (what: string) =>
        `the cluster's RBAC does not allow ${what} for the dashboard's identity on this ` +
        "cluster (the kubeconfig's user)";
      await assertDisabled(
        editor.page.getByTestId("workload-scale"),
        rbac("patch or update on deployments.apps/scale"),
        "Scale",
      );
      for (const id of ["restart", "pause", "rollback"]) {
        await assertDisabled(
          editor.page.getByTestId(`workload-${id}`),
          rbac("patch on deployments.apps"),
          id,
        );
      }
      // The read-only identity may still read the page and its progress.
      assert.equal(await editor.page.getByTestId("count-desired").innerText(), "3");
      assert.deepEqual(editor.problems, []);
    });

    await t.step(
      "7. impersonated, allowed only update on deployments/scale: scale by PUT, as them",
      async () => {
        const id = await (async () => {
          const r = await restCall(base, "POST", "/api/clusters", admin, {
            name: "impersonating",
            kubeconfig: await Deno.readTextFile(cp.kubeconfigPath),
            impersonate: true,
          });
          assert.equal(r.status, 201, r.text);
          return (r.json as { id: string }).id;
        })();
        const rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/" + NS;
        const role = await kubeRequest(cp, "POST", `${rbac}/roles`, {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: { name: "workload-e2e-scaler" },
          rules: [
            { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
            { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update"] },
          ],
        });
        assert.equal(role.status, 201, JSON.stringify(role.body));
        const binding = await kubeRequest(cp, "POST", `${rbac}/rolebindings`, {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: "workload-e2e-scaler" },
          roleRef: {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "Role",
            name: "workload-e2e-scaler",
          },
          subjects: [{
            apiGroup: "rbac.authorization.k8s.io",
            kind: "User",
            name: "dashboard:editor",
          }],
        });
        assert.equal(binding.status, 201, JSON.stringify(binding.body));
        const editor = editorSession!;
        const { page } = editor;
        await page.goto(objectUrl(id));
        await hydrated(page);
        for (const action of ["restart", "pause", "rollback"]) {
          await assertDisabled(
            page.getByTestId(`workload-${action}`),
            "the cluster's RBAC does not allow patch on deployments.apps for you",
            action,
          );
        }
        const scale = page.getByTestId("workload-scale");
        assert.equal(await scale.isEnabled(), true, "Scale: update suffices");
        await scale.click();
        const dialog = page.getByRole("dialog", { name: `Scale Deployment ${NAME}` });
        await hasText(dialog.getByTestId("scale-current"), "3");
        await dialog.getByTestId("scale-desired").fill("2");
        await dialog.getByRole("button", { name: "Scale", exact: true }).click();
        assert.equal(await settled(dialog), "rolled out");
        assert.equal((await getDeployment(cp)).spec.replicas, 2);
        // The cluster saw the editor (impersonated) PUT the Scale.
        const put = await eventually(
          "the audit event of the PUT",
          async () =>
            (await cp.auditEvents()).find((e) =>
              e.stage === "ResponseComplete" && e.verb === "update" &&
              e.objectRef?.subresource === "scale" && e.objectRef.name === NAME
            ),
          { timeoutMs: TIMEOUT },
        );
        assert.equal(put.impersonatedUser?.username, "dashboard:editor");
        assert.equal(put.responseStatus?.code, 200);
        await closeAndReload(page, dialog);
        assert.deepEqual(editor.problems, []);
      },
    );

    await t.step("8. through an agent that impersonates: restart as the editor", async () => {
      // The admin preset: the agent (a cluster-admin ServiceAccount here) impersonates each
      // person; the dashboard's role groups are bound as the chart binds them (editor → edit).
      const connected = await connectImpersonatingAgent(
        dash,
        cp,
        admin,
        "via-agent",
        "workload-e2e-agent",
      );
      agent = connected.agent;
      const id = connected.id;
      const before = await replicaSets(cp);
      const editor = editorSession!;
      const { page } = editor;
      await page.goto(objectUrl(id));
      await hydrated(page);
      await page.getByTestId("workload-restart").click();
      const dialog = page.getByRole("dialog", { name: `Restart Deployment ${NAME}?` });
      await dialog.getByRole("button", { name: "Restart", exact: true }).click();
      assert.equal(await settled(dialog), "rolled out");
      await rolledOut(cp, 2);
      assert.equal((await replicaSets(cp)).length, before.length + 1, "a new ReplicaSet");
      const patch = await eventually(
        "the audit event of the restart's PATCH",
        async () =>
          (await cp.auditEvents()).find((e) =>
            e.stage === "ResponseComplete" && e.verb === "patch" && !e.objectRef?.subresource &&
            e.objectRef?.resource === "deployments" && e.objectRef.name === NAME &&
            e.user.username.endsWith(":workload-e2e-agent")
          ),
        { timeoutMs: TIMEOUT },
      );
      assert.equal(patch.impersonatedUser?.username, "dashboard:editor");
      assert.equal(patch.responseStatus?.code, 200);
      await closeAndReload(page, dialog);
      assert.deepEqual(editor.problems, []);
    });
  }),
});
