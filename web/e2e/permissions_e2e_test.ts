// End-to-end test of the permission-aware pages (web/routes/permissions.ts) in headless Chromium,
// against a real dashboard and a real control plane (tools/testenv/, RBAC on):
//
//  (a) a viewer (global role viewer) on a full-access kubeconfig cluster: the object page's
//      Delete and Edit are disabled with the dashboard's reason as hover text, the Shell tab shows
//      the viewer's notice, the list's per-row Delete is disabled; no review is needed for that.
//  (b) an editor on a cluster added with a read-only credential (a ServiceAccount token bound to
//      the `view` ClusterRole): Delete, Edit and the shell's Connect/Attach are disabled with the
//      cluster's reason (its RBAC, asked with SelfSubjectAccessReviews), and the cluster indeed
//      refuses the delete.
//  (c) the same editor on the full-access cluster: everything enabled, and Delete works.
//  (d) the editor on a cluster that impersonates them, where the cluster's RBAC gives them (the
//      impersonated dashboard:editor) only `view` in the namespace: disabled "for you".
//
// Users are made through the REST API (POST /api/users as admin), clusters too.
// Needs: /usr/bin/chromium and the kube tools (tools/kube/build.sh).
import assert from "node:assert/strict";
import type { ConsoleMessage, Locator, Page } from "playwright-core";
import { createRunningPod, kubeRequest } from "../../tools/testenv/mod.ts";
import {
  createUsers,
  hydrated,
  loginToken,
  restCall,
  signInSession,
  webSceneTest,
} from "./harness.ts";
import { serviceAccountKubeconfig } from "../../testing/clusters.ts";

const ADMIN_PASSWORD = "perm-e2e-admin-password";
const VIEWER_PASSWORD = "perm-e2e-viewer-password";
const EDITOR_PASSWORD = "perm-e2e-editor-password";
const NS = "perm-e2e";
const TIMEOUT = 20_000;
/** The deliberate delete refused by the read-only cluster in (b) is asserted on its own. */
const refusedDelete = (msg: ConsoleMessage) => /status of 403/.test(msg.text());
const VIEWER_REASON = "your role on this cluster is viewer: read only";
/** The cluster's RBAC denial for the read-only kubeconfig's identity. */
const rbacDenial = (what: string) =>
  new RegExp(
    `^the cluster's RBAC does not allow ${
      what.replace(/[./]/g, (c) => `\\${c}`)
    } for the dashboard's identity on this cluster \\(the kubeconfig's user\\)$`,
  );

/** A control that is disabled, aria-disabled, and whose hover text (title) matches `reason`. */
async function assertDisabled(control: Locator, reason: string | RegExp, what: string) {
  await control.waitFor();
  await control.hover(); // the reason shows on hover: the title attribute
  assert.equal(await control.isDisabled(), true, `${what}: disabled`);
  assert.equal(await control.getAttribute("aria-disabled"), "true", `${what}: aria-disabled`);
  const title = await control.getAttribute("title") ?? "";
  if (typeof reason === "string") assert.equal(title, reason, `${what}: title`);
  else assert.match(title, reason, `${what}: title`);
}

async function assertEnabled(control: Locator, what: string) {
  await control.waitFor();
  assert.equal(await control.isEnabled(), true, `${what}: enabled`);
  assert.equal(await control.getAttribute("aria-disabled"), null, `${what}: no aria-disabled`);
}

Deno.test({
  name: "permission-aware pages: a viewer, a read-only cluster, full access, impersonation",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: webSceneTest(ADMIN_PASSWORD, async (t, { cp, base, session }) => {
    // The cluster's objects: a running pod and two ConfigMaps.
    await createRunningPod(cp, NS, "hello");
    for (const name of ["cm-keep", "cm-doomed"]) {
      const r = await kubeRequest(cp, "POST", `/api/v1/namespaces/${NS}/configmaps`, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name },
        data: { k: "v" },
      });
      assert([201, 409].includes(r.status), `ConfigMap ${name}: ${r.status}`);
    }
    // Two clusters of the same control plane: full access (the admin certificate) and
    // read-only (a ServiceAccount token bound to `view`).
    const admin = await loginToken(base, "admin", ADMIN_PASSWORD);
    const addCluster = async (name: string, kubeconfig: string) => {
      const r = await restCall(base, "POST", "/api/clusters", admin, { name, kubeconfig });
      assert.equal(r.status, 201, r.text);
      return (r.json as { id: string }).id;
    };
    const fullId = await addCluster("full", await Deno.readTextFile(cp.kubeconfigPath));
    const readOnlyId = await addCluster(
      "read-only",
      await Deno.readTextFile(await serviceAccountKubeconfig(cp, "perm-e2e-view", "view")),
    );
    await createUsers(base, admin, [
      ["viewer", VIEWER_PASSWORD, "viewer"],
      ["editor", EDITOR_PASSWORD, "editor"],
    ]);
    const objectUrl = (cluster: string, resource: string, name: string, tab?: string) =>
      `${base}/clusters/${cluster}/r/core/v1/${resource}/${NS}/${name}${tab ? `?tab=${tab}` : ""}`;
    const listUrl = (cluster: string, resource: string) =>
      `${base}/clusters/${cluster}/r/core/v1/${resource}?ns=${NS}`;
    /** The list's row of `name`, once the table is live. */
    const rowDelete = async (page: Page, name: string) => {
      await page.locator("[data-testid=table-state][data-state=live]").waitFor();
      return page.locator(`tr[data-name="${name}"] [data-action=delete]`);
    };

    await t.step("(a) a viewer sees no enabled delete or edit", async () => {
      const s = await session({ timeoutMs: TIMEOUT, expected: refusedDelete });
      const { page } = s;
      await signInSession(s, base, "viewer", VIEWER_PASSWORD);

      await page.goto(objectUrl(fullId, "configmaps", "cm-keep", "yaml"));
      await hydrated(page);
      await assertDisabled(page.getByTestId("delete-object"), VIEWER_REASON, "Delete");
      await assertDisabled(page.getByTestId("yaml-edit"), VIEWER_REASON, "Edit");
      // A forced click on the disabled button opens nothing.
      await page.getByTestId("delete-object").click({ force: true });
      await page.getByTestId("yaml-edit").click({ force: true });
      assert.equal(await page.getByRole("dialog").count(), 0);
      assert.equal(await page.getByTestId("yaml-editor").count(), 0);

      await page.goto(objectUrl(fullId, "pods", "hello", "yaml"));
      await hydrated(page);
      await assertDisabled(page.getByTestId("delete-object"), VIEWER_REASON, "Delete (pod)");
      await assertDisabled(page.getByTestId("yaml-edit"), VIEWER_REASON, "Edit (pod)");
      // Logs are a read: the Logs tab stays a link.
      assert.equal(await page.getByTestId("tab-logs-disabled").count(), 0);
      await page.getByRole("link", { name: "Logs" }).waitFor();

      await page.goto(objectUrl(fullId, "pods", "hello", "shell"));
      await hydrated(page);
      await page.getByTestId("terminal-forbidden").getByText("A shell needs the editor role")
        .waitFor();

      await page.goto(listUrl(fullId, "configmaps"));
      await hydrated(page);
      await assertDisabled(await rowDelete(page, "cm-keep"), VIEWER_REASON, "row Delete");
      assert.equal(
        await page.locator("[data-action=delete]:enabled").count(),
        0,
        "no enabled row Delete",
      );
      assert.deepEqual(s.problems, []);
    });

    const editor = await session({ timeoutMs: TIMEOUT, expected: refusedDelete });
    await signInSession(editor, base, "editor", EDITOR_PASSWORD);

    await t.step(
      "(b) an editor on a read-only cluster: disabled with the cluster's reason",
      async () => {
        const { page } = editor;
        await page.goto(objectUrl(readOnlyId, "configmaps", "cm-doomed", "yaml"));
        await hydrated(page);
        await assertDisabled(
          page.getByTestId("delete-object"),
          rbacDenial("delete on configmaps"),
          "Delete",
        );
        await assertDisabled(
          page.getByTestId("yaml-edit"),
          rbacDenial("update on configmaps"),
          "Edit",
        );

        await page.goto(objectUrl(readOnlyId, "pods", "hello", "shell"));
        await hydrated(page);
        await assertDisabled(
          page.getByTestId("terminal-connect"),
          rbacDenial("create on pods/exec"),
          "Connect",
        );
        await assertDisabled(
          page.getByTestId("terminal-attach"),
          rbacDenial("create on pods/attach"),
          "Attach",
        );
        await page.getByTestId("terminal-denied").waitFor();
        await assertDisabled(
          page.getByTestId("delete-object"),
          rbacDenial("delete on pods"),
          "Delete (pod)",
        );
        // `view` reads logs: the Logs tab is a link.
        assert.equal(await page.getByTestId("tab-logs-disabled").count(), 0);

        await page.goto(listUrl(readOnlyId, "configmaps"));
        await hydrated(page);
        await assertDisabled(
          await rowDelete(page, "cm-doomed"),
          rbacDenial("delete on configmaps"),
          "row Delete",
        );
        assert.equal(await page.locator("[data-action=delete]:enabled").count(), 0);

        // The reason is the truth: the cluster refuses the delete the page did not offer.
        const token = await loginToken(base, "editor", EDITOR_PASSWORD);
        const del = await restCall(
          base,
          "DELETE",
          `/api/clusters/${readOnlyId}/k8s/api/v1/namespaces/${NS}/configmaps/cm-doomed`,
          token,
        );
        assert.equal(del.status, 403, del.text);
        assert.deepEqual(editor.problems, []);
      },
    );

    await t.step(
      "(c) the editor on a full-access cluster: enabled, and Delete works",
      async () => {
        const { page } = editor;
        await page.goto(objectUrl(fullId, "pods", "hello", "shell"));
        await hydrated(page);
        await assertEnabled(page.getByTestId("delete-object"), "Delete (pod)");
        // Connect and Attach are enabled once the terminal has loaded.
        await page.locator("[data-testid=terminal-connect]:enabled").waitFor();
        await assertEnabled(page.getByTestId("terminal-connect"), "Connect");
        await assertEnabled(page.getByTestId("terminal-attach"), "Attach");
        assert.equal(await page.getByTestId("terminal-denied").count(), 0);

        await page.goto(objectUrl(fullId, "configmaps", "cm-doomed", "yaml"));
        await hydrated(page);
        await assertEnabled(page.getByTestId("yaml-edit"), "Edit");
        assert.equal(await page.getByTestId("yaml-edit").getAttribute("title"), null);
        await page.getByTestId("yaml-edit").click();
        await page.getByTestId("yaml-editor").waitFor();
        await page.getByRole("button", { name: "Cancel" }).click();

        await page.goto(listUrl(fullId, "configmaps"));
        await hydrated(page);
        await assertEnabled(await rowDelete(page, "cm-keep"), "row Delete");

        await page.goto(objectUrl(fullId, "configmaps", "cm-doomed"));
        await hydrated(page);
        const del = page.getByTestId("delete-object");
        await assertEnabled(del, "Delete");
        await del.click();
        const dialog = page.getByRole("dialog", { name: "Delete ConfigMap cm-doomed?" });
        await dialog.getByRole("textbox").fill("cm-doomed");
        await dialog.getByRole("button", { name: "Delete" }).click();
        await page.waitForURL((u) => u.pathname.endsWith("/r/core/v1/configmaps"));
        const gone = await kubeRequest(
          cp,
          "GET",
          `/api/v1/namespaces/${NS}/configmaps/cm-doomed`,
        );
        assert.equal(gone.status, 404);
        assert.deepEqual(editor.problems, []);
      },
    );

    await t.step("(d) an impersonated editor with only `view`: disabled for them", async () => {
      const r = await restCall(base, "POST", "/api/clusters", admin, {
        name: "impersonating",
        kubeconfig: await Deno.readTextFile(cp.kubeconfigPath),
        impersonate: true,
      });
      assert.equal(r.status, 201, r.text);
      const id = (r.json as { id: string }).id;
      const binding = await kubeRequest(
        cp,
        "POST",
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`,
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: "perm-e2e-editor-view" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
          subjects: [{
            apiGroup: "rbac.authorization.k8s.io",
            kind: "User",
            name: "dashboard:editor",
          }],
        },
      );
      assert.equal(binding.status, 201, JSON.stringify(binding.body));
      const { page } = editor;
      await page.goto(objectUrl(id, "configmaps", "cm-keep", "yaml"));
      await hydrated(page);
      const forYou = (what: string) => `the cluster's RBAC does not allow ${what} for you`;
      await assertDisabled(
        page.getByTestId("delete-object"),
        forYou("delete on configmaps"),
        "Delete",
      );
      await assertDisabled(page.getByTestId("yaml-edit"), forYou("update on configmaps"), "Edit");
      assert.deepEqual(editor.problems, []);
    });
  }),
});
