// End-to-end test of the Create / apply page (islands/ApplyYaml.tsx) in headless Chromium, against
// a real dashboard, a real control plane (tools/testenv) and real kubectl:
//
//  1. a ConfigMap applied before (by kubectl, field manager kube-dashboard, color blue) and a new
//     Deployment, as two documents without a namespace (the page's namespace): the preview shows
//     the ConfigMap's changed field (blue → green) and the Deployment as new, and changes nothing;
//     Apply says configured / created with links to the objects' pages, and kubectl shows green
//     and kube-dashboard's Apply entry in managedFields; a second preview shows no change.
//  2. fields owned by other managers (kubectl apply --server-side --field-manager=other-team, and
//     a plain kubectl patch): the preview and the apply name each field and its manager; Force
//     apply, after asking, takes them over, and kubectl shows the values and the owner.
//  3. what is wrong per document (bad YAML with its line, missing fields, unknown kind and API):
//     nothing is applied, and the text typed stays.
//  4. a viewer finds Preview and Apply disabled with the reason; an editor on a cluster added with
//     a read-only credential gets the cluster's 403 per document.
//  5. through the real agent (admin preset: it impersonates), the editor previews and applies a
//     ConfigMap; the API server's audit log shows the agent's ServiceAccount acting as the editor,
//     and managedFields the dashboard's field manager.
//
// Needs: /usr/bin/chromium and the kube tools (tools/kube/build.sh).
import assert from "node:assert/strict";
import type { ConsoleMessage, Locator, Page } from "playwright-core";
import { type ControlPlane, ensureNamespace, kubeRequest } from "../../tools/testenv/mod.ts";
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

const ADMIN_PASSWORD = "apply-e2e-admin-password";
const VIEWER_PASSWORD = "apply-e2e-viewer-password";
const EDITOR_PASSWORD = "apply-e2e-editor-password";
const NS = "apply-e2e";
const TIMEOUT = 30_000;
const VIEWER_REASON = "your role on this cluster is viewer: read only";
const SHOTS = decodeURIComponent(new URL("./screenshots/", import.meta.url).pathname);
/** A new object's GET (404), a conflict (409) and a refusal (403) are the test's own doing. */
const expected = (msg: ConsoleMessage) => /status of (403|404|409)/.test(msg.text());

const CONFIGMAP = (data: Record<string, string>) =>
  [
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    "  name: settings",
    "data:",
    ...Object.entries(data).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
  ].join("\n") + "\n";

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 0
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: main
          image: registry.example/apply-e2e/web:1.0
`;

interface ManagedField {
  manager: string;
  operation: string;
  fieldsV1?: { "f:data"?: Record<string, unknown> } & Record<string, unknown>;
}
interface Obj {
  metadata: { resourceVersion: string; managedFields?: ManagedField[] };
  data?: Record<string, string>;
  spec?: { replicas?: number };
}

/** `kubectl get -o json --show-managed-fields` of one object. */
async function kubectlGet(cp: ControlPlane, kind: string, name: string): Promise<Obj> {
  const r = await cp.kubectl(["get", kind, name, "-n", NS, "-o", "json", "--show-managed-fields"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Obj;
}

/** The managers owning `f:data.f:<key>` of a ConfigMap. */
const ownersOf = (o: Obj, key: string) =>
  (o.metadata.managedFields ?? []).filter((m) => m.fieldsV1?.["f:data"]?.[`f:${key}`] !== undefined)
    .map((m) => `${m.manager}/${m.operation}`);

/** The result card of document `index`, once it is settled (not working). */
async function result(page: Page, index: number): Promise<Locator> {
  const card = page.locator(`[data-testid=apply-result][data-index="${index}"]`);
  await eventually(
    `document ${index} settled`,
    async () => (await card.getAttribute("data-state")) !== "pending",
    { timeoutMs: TIMEOUT },
  );
  return card;
}

async function state(page: Page, index: number): Promise<string> {
  return (await (await result(page, index)).getAttribute("data-state")) ?? "";
}

/** A card's diff lines of one kind ("add" or "remove"), as shown. */
async function diffLines(card: Locator, op: "add" | "remove"): Promise<string[]> {
  return (await card.locator(`[data-testid=apply-diff] [data-op=${op}]`).allInnerTexts()).map((
    t,
  ) => t.trimEnd());
}

/** Clicks Preview or Apply and waits until the run is over (the buttons enabled again). */
async function run(page: Page, which: "apply-preview" | "apply-submit") {
  await page.getByTestId(which).click();
  await eventually(
    "the run finished",
    async () => await page.getByTestId("apply-submit").isEnabled(),
    { timeoutMs: TIMEOUT },
  );
}

Deno.test({
  name: "create / apply: preview diff, apply, conflicts and force, errors, refusals",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: webSceneTest(ADMIN_PASSWORD, async (t, { cp, dash, base, session, defer }) => {
    let agent: RunningAgent | undefined;
    /** The editor's session (step 4), which step 5 goes on with. */
    let editorSession: BrowserSession | undefined;
    defer(async () => {
      await agent?.stop().catch(() => {});
    });
    await ensureNamespace(cp, NS);
    // A fresh start when the shared control plane ran this test before.
    await kubeRequest(cp, "DELETE", `/api/v1/namespaces/${NS}/configmaps/settings`);
    await kubeRequest(cp, "DELETE", `/apis/apps/v1/namespaces/${NS}/deployments/web`);
    await kubeRequest(cp, "DELETE", `/api/v1/namespaces/${NS}/configmaps/via-agent`);
    // An earlier apply of the ConfigMap by the dashboard's field manager: color blue.
    const pre = await cp.kubectl(
      ["apply", "--server-side", "--field-manager=kube-dashboard", "-n", NS, "-f", "-"],
      { stdin: CONFIGMAP({ color: "blue", size: "small" }) },
    );
    assert.equal(pre.code, 0, pre.stderr);

    const admin = await loginToken(base, "admin", ADMIN_PASSWORD);
    const addCluster = async (name: string, kubeconfig: string) => {
      const r = await restCall(base, "POST", "/api/clusters", admin, { name, kubeconfig });
      assert.equal(r.status, 201, r.text);
      return (r.json as { id: string }).id;
    };
    const id = await addCluster("full", await Deno.readTextFile(cp.kubeconfigPath));
    const applyUrl = (cluster: string) => `${base}/clusters/${cluster}/apply?ns=${NS}`;

    const s = await session({ timeoutMs: TIMEOUT, expected });
    const { page } = s;
    await signInSession(s, base, "admin", ADMIN_PASSWORD);
    // The sidebar leads to the page.
    await page.goto(`${base}/clusters/${id}`);
    await hydrated(page);
    await Promise.all([
      page.waitForURL(`**/clusters/${id}/apply`),
      page.getByRole("link", { name: "Create / apply" }).click(),
    ]);
    await page.goto(applyUrl(id));
    await hydrated(page);
    assert.equal(await page.getByTestId("apply-namespace").inputValue(), NS);
    const yaml = page.getByTestId("apply-yaml");

    await t.step(
      "1. preview shows the changed field; apply writes it as kube-dashboard",
      async () => {
        const text = `${CONFIGMAP({ color: "green", size: "small" })}---\n${DEPLOYMENT}`;
        await yaml.fill(text);
        const rvBefore = (await kubectlGet(cp, "configmap", "settings")).metadata.resourceVersion;

        await run(page, "apply-preview");
        assert.equal(
          await page.getByTestId("apply-results").getAttribute("data-mode"),
          "preview",
        );
        assert.equal(await state(page, 1), "changed");
        const cm = await result(page, 1);
        assert.deepEqual(await diffLines(cm, "remove"), ["-   color: blue"]);
        assert.deepEqual(await diffLines(cm, "add"), ["+   color: green"]);
        assert.equal(await state(page, 2), "new");
        const dep = await result(page, 2);
        const added = await diffLines(dep, "add");
        assert(added.includes("+ kind: Deployment"), added.join("\n"));
        assert(
          added.includes("+   namespace: apply-e2e"),
          "the page's namespace: " + added.join("\n"),
        );
        assert.equal(await diffLines(dep, "remove").then((l) => l.length), 0);
        await Deno.mkdir(SHOTS, { recursive: true });
        await page.screenshot({ path: `${SHOTS}apply-preview.png`, fullPage: true });
        // A dry run changes nothing.
        const after = await kubectlGet(cp, "configmap", "settings");
        assert.equal(after.data?.color, "blue");
        assert.equal(after.metadata.resourceVersion, rvBefore);
        const none = await kubeRequest(
          cp,
          "GET",
          `/apis/apps/v1/namespaces/${NS}/deployments/web`,
        );
        assert.equal(none.status, 404, "the preview created no Deployment");

        await run(page, "apply-submit");
        assert.equal(await page.getByTestId("apply-results").getAttribute("data-mode"), "apply");
        assert.equal(await state(page, 1), "configured");
        assert.equal(await state(page, 2), "created");
        await page.getByTestId("apply-notice").getByText("Applied 2 objects.").waitFor();
        const links = await page.getByTestId("apply-object-link").evaluateAll((as) =>
          as.map((a) => (a as HTMLAnchorElement).getAttribute("href"))
        );
        assert.deepEqual(links, [
          `/clusters/${id}/r/core/v1/configmaps/${NS}/settings`,
          `/clusters/${id}/r/apps/v1/deployments/${NS}/web`,
        ]);
        await page.screenshot({ path: `${SHOTS}apply-done.png`, fullPage: true });

        const applied = await kubectlGet(cp, "configmap", "settings");
        assert.equal(applied.data?.color, "green");
        assert.deepEqual(ownersOf(applied, "color"), ["kube-dashboard/Apply"]);
        const d = await kubectlGet(cp, "deployment", "web");
        assert(
          d.metadata.managedFields?.some((m) =>
            m.manager === "kube-dashboard" && m.operation === "Apply" &&
            JSON.stringify(m.fieldsV1).includes('"f:replicas"')
          ),
          JSON.stringify(d.metadata.managedFields),
        );
        // The apply came from the browser, through the proxy, with the dashboard's field manager.
        const audit = await eventually(
          "the apply's audit event",
          async () =>
            (await cp.auditEvents()).find((e) =>
              e.stage === "ResponseComplete" && e.verb === "patch" &&
              e.objectRef?.resource === "configmaps" && e.objectRef.name === "settings" &&
              e.responseStatus?.code === 200 && !e.requestURI.includes("dryRun") &&
              e.requestURI.includes("fieldManager=kube-dashboard") &&
              /Chrome/.test(e.userAgent ?? "")
            ),
          { timeoutMs: TIMEOUT },
        );
        assert(audit, "audited");

        // The text is still there; a second preview finds nothing to change.
        assert.equal(await yaml.inputValue(), text);
        await run(page, "apply-preview");
        assert.equal(await state(page, 1), "unchanged");
        assert.equal(await state(page, 2), "unchanged");
        await (await result(page, 1)).getByTestId("apply-diff-empty").waitFor();
        // The link leads to the object's page.
        await page.getByTestId("apply-object-link").first().click();
        await page.waitForURL(`**/configmaps/${NS}/settings`);
        await hydrated(page);
        assert.deepEqual(s.problems, []);
      },
    );

    await t.step("2. fields of other managers: the conflict, then Force apply", async () => {
      // another team takes the color (red), and a plain kubectl patch sets the size.
      const other = await cp.kubectl(
        [
          "apply",
          "--server-side",
          "--force-conflicts",
          "--field-manager=other-team",
          "-n",
          NS,
          "-f",
          "-",
        ],
        { stdin: CONFIGMAP({ color: "red" }) },
      );
      assert.equal(other.code, 0, other.stderr);
      const patched = await cp.kubectl([
        "patch",
        "configmap",
        "settings",
        "-n",
        NS,
        "--type=merge",
        "-p",
        '{"data":{"size":"large"}}',
      ]);
      assert.equal(patched.code, 0, patched.stderr);
      const before = await kubectlGet(cp, "configmap", "settings");
      assert.deepEqual(ownersOf(before, "color"), ["other-team/Apply"]);
      assert.deepEqual(ownersOf(before, "size"), ["kubectl-patch/Update"]);

      await page.goto(applyUrl(id));
      await hydrated(page);
      // The text survived leaving the page.
      assert.match(await yaml.inputValue(), /color: "green"/);
      await yaml.fill(CONFIGMAP({ color: "green", size: "small" }));

      await run(page, "apply-preview");
      assert.equal(await state(page, 1), "conflict");
      const conflict = (await result(page, 1)).getByTestId("apply-conflict");
      const preview = await conflict.innerText();
      assert.match(preview, /\.data\.color owned by other-team/, preview);
      assert.match(preview, /\.data\.size owned by kubectl-patch/, preview);
      // What forcing would do is shown too.
      const forced = await diffLines(await result(page, 1), "add");
      assert.deepEqual(forced, ["+   color: green", "+   size: small"]);

      await run(page, "apply-submit");
      assert.equal(await state(page, 1), "conflict");
      const card = await result(page, 1);
      await card.getByText("Conflict: other field managers own these fields").waitFor();
      const text = await card.getByTestId("apply-conflict").innerText();
      assert.match(text, /\.data\.color owned by other-team/, text);
      assert.match(text, /\.data\.size owned by kubectl-patch/, text);
      assert.match(
        await page.getByTestId("apply-notice").innerText(),
        /0 of 1 applied/,
      );
      assert.equal((await kubectlGet(cp, "configmap", "settings")).data?.color, "red");
      await page.screenshot({ path: `${SHOTS}apply-conflict.png`, fullPage: true });

      // Force apply asks first; Cancel changes nothing.
      await card.getByTestId("apply-force").click();
      const dialog = page.getByRole("dialog", {
        name: "Force apply ConfigMap apply-e2e/settings?",
      });
      const ask = await dialog.innerText();
      assert.match(ask, /\.data\.color, \.data\.size/, ask);
      assert.match(ask, /from other-team, kubectl-patch/, ask);
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "hidden" });
      assert.equal((await kubectlGet(cp, "configmap", "settings")).data?.color, "red");

      await card.getByTestId("apply-force").click();
      await dialog.getByRole("button", { name: "Force apply" }).click();
      await dialog.waitFor({ state: "hidden" });
      assert.equal(await state(page, 1), "configured");
      await page.getByTestId("apply-notice").getByText(
        "Force-applied ConfigMap apply-e2e/settings: configured.",
      ).waitFor();
      const after = await kubectlGet(cp, "configmap", "settings");
      assert.deepEqual(after.data, { color: "green", size: "small" });
      assert.deepEqual(ownersOf(after, "color"), ["kube-dashboard/Apply"]);
      assert.deepEqual(ownersOf(after, "size"), ["kube-dashboard/Apply"]);
      assert.deepEqual(s.problems, []);
    });

    await t.step("3. per-document errors; nothing applied; the text stays", async () => {
      const text = [
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata: {a: [1\n",
        "kind: ConfigMap\nmetadata:\n  name: no-api-version\n",
        "apiVersion: v1\nkind: Frobnicator\nmetadata:\n  name: x\n",
        "apiVersion: nothing.example.com/v1\nkind: Thing\nmetadata:\n  name: y\n",
        CONFIGMAP({ color: "purple" }),
      ].join("---\n");
      await yaml.fill(text);
      await run(page, "apply-submit");
      await page.getByTestId("apply-notice").getByText(
        "Nothing was applied: 2 documents are not valid (below).",
      ).waitFor();
      const errors = await page.getByTestId("apply-error").allInnerTexts();
      assert.equal(errors.length, 2, errors.join("\n"));
      assert.match(errors[0], /^YAML error.* at line [56]/, errors[0]);
      assert.equal(errors[1], "missing apiVersion (document at line 7)");
      assert.equal((await kubectlGet(cp, "configmap", "settings")).data?.color, "green");
      assert.equal(await yaml.inputValue(), text, "the text typed stays");

      // Without the two broken ones, the preview names the unknown kind and API.
      const rest = text.split("---\n").slice(2).join("---\n");
      await yaml.fill(rest);
      await run(page, "apply-preview");
      assert.equal(await state(page, 1), "error");
      assert.equal(
        await (await result(page, 1)).getByTestId("apply-error").innerText(),
        'v1 has no kind "Frobnicator" on this cluster',
      );
      assert.equal(await state(page, 2), "error");
      assert.equal(
        await (await result(page, 2)).getByTestId("apply-error").innerText(),
        "the cluster does not serve nothing.example.com/v1",
      );
      assert.equal(await state(page, 3), "changed");
      assert.equal(await yaml.inputValue(), rest);
      assert.deepEqual(s.problems, []);
    });

    await t.step(
      "4. a viewer: disabled, why; a read-only cluster: the cluster's 403",
      async () => {
        await createUsers(base, admin, [
          ["viewer", VIEWER_PASSWORD, "viewer"],
          ["editor", EDITOR_PASSWORD, "editor"],
        ]);
        const viewer = await session({ timeoutMs: TIMEOUT });
        await signInSession(viewer, base, "viewer", VIEWER_PASSWORD);
        await viewer.page.goto(applyUrl(id));
        await hydrated(viewer.page);
        for (const control of ["apply-preview", "apply-submit"]) {
          const c = viewer.page.getByTestId(control);
          assert.equal(await c.isDisabled(), true, control);
          assert.equal(await c.getAttribute("aria-disabled"), "true", control);
          assert.equal(await c.getAttribute("title"), VIEWER_REASON, control);
        }
        assert.deepEqual(viewer.problems, []);

        const readOnlyId = await addCluster(
          "read-only",
          await Deno.readTextFile(await serviceAccountKubeconfig(cp, "apply-e2e-view", "view")),
        );
        const editor = await session({ timeoutMs: TIMEOUT, expected });
        editorSession = editor;
        await signInSession(editor, base, "editor", EDITOR_PASSWORD);
        await editor.page.goto(applyUrl(readOnlyId));
        await hydrated(editor.page);
        const typed = CONFIGMAP({ color: "orange" });
        await editor.page.getByTestId("apply-yaml").fill(typed);
        await run(editor.page, "apply-submit");
        assert.equal(await state(editor.page, 1), "error");
        const card = await result(editor.page, 1);
        await card.getByText("Not allowed").waitFor();
        const message = await card.getByTestId("apply-error").innerText();
        assert.match(message, /forbidden/, message);
        assert.match(message, /cannot patch resource "configmaps"/, message);
        assert.equal(await editor.page.getByTestId("apply-yaml").inputValue(), typed);
        assert.equal((await kubectlGet(cp, "configmap", "settings")).data?.color, "green");
        assert.deepEqual(editor.problems, []);
      },
    );

    await t.step("5. through an agent that impersonates: as the editor", async () => {
      const connected = await connectImpersonatingAgent(
        dash,
        cp,
        admin,
        "via-agent",
        "apply-e2e-agent",
      );
      agent = connected.agent;
      const agentId = connected.id;
      const editor = editorSession!;
      const { page } = editor;
      await page.goto(applyUrl(agentId));
      await hydrated(page);
      await page.getByTestId("apply-yaml").fill(
        CONFIGMAP({ color: "teal" }).replace("name: settings", "name: via-agent"),
      );
      await run(page, "apply-preview");
      assert.equal(await state(page, 1), "new");
      assert.deepEqual(
        (await diffLines(await result(page, 1), "add")).filter((l) => l.includes("color")),
        ["+   color: teal"],
      );
      await run(page, "apply-submit");
      assert.equal(await state(page, 1), "created");
      const cm = await kubectlGet(cp, "configmap", "via-agent");
      assert.equal(cm.data?.color, "teal");
      assert.deepEqual(ownersOf(cm, "color"), ["kube-dashboard/Apply"]);
      const patch = await eventually(
        "the audit event of the apply through the agent",
        async () =>
          (await cp.auditEvents()).find((e) =>
            e.stage === "ResponseComplete" && e.verb === "patch" &&
            e.objectRef?.resource === "configmaps" && e.objectRef.name === "via-agent" &&
            !e.requestURI.includes("dryRun") &&
            e.user.username.endsWith(":apply-e2e-agent")
          ),
        { timeoutMs: TIMEOUT },
      );
      assert.equal(patch.impersonatedUser?.username, "dashboard:editor");
      assert.equal(patch.responseStatus?.code, 201);
      assert.deepEqual(editor.problems, []);
    });
  }),
});
