// End-to-end test of a workload's Logs tab (islands/WorkloadLogs.tsx) in headless Chromium, against
// a real dashboard and a real control plane with kube-controller-manager (tools/testenv): a
// Deployment's ReplicaSet makes the pods, a loop here plays scheduler and kubelet (reconcilePods),
// and the test kubelet serves each container's log ("log line N from pod/container", line N
// stamped 2026-01-01T00:00:00Z + N s, then a line every 200 ms while followed).
//
//  1. the Deployment's Logs tab (selector: matchLabels and an `In` expression) shows the lines of
//     both its pods, each prefixed with its own `pod/container` in its own colour, interleaved by
//     the kubelet's timestamps (line N of one pod next to line N of the other), following; a pod
//     with the app label but outside the selector is not read.
//  2. the search hides the lines without the term; cleared, they are back.
//  3. scaled to 3: the new pod's stream opens while following; a deleted pod's stream is marked
//     ended ("pod gone") and its replacement read.
//  4. Follow off: every stream ends, the view says so.
//  5. through an agent that impersonates (the other cluster kind): the same view, the pods listed
//     and their logs read as the signed-in person (the apiserver's audit log).
//
// Needs: /usr/bin/chromium and the kube tools (tools/kube/build.sh).
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  type ControlPlane,
  createNode,
  createRunningPod,
  ensureNamespace,
  kubeRequest,
  reconcilePods,
} from "../../tools/testenv/mod.ts";
import { hydrated, loginToken, restCall, signInSession, webSceneTest } from "./harness.ts";
import { connectImpersonatingAgent } from "./agent_cluster.ts";
import type { RunningAgent } from "../../testing/harness.ts";
import { eventually } from "../../testing/eventually.ts";

const ADMIN_PASSWORD = "workload-logs-e2e-admin-password";
const TIMEOUT = 30_000;
const SHOTS = decodeURIComponent(new URL("./screenshots/", import.meta.url).pathname);

/** The output's lines as shown: "[pod/container] text". */
async function outputLines(page: Page): Promise<string[]> {
  const text = await page.getByTestId("log-output").textContent() ?? "";
  return text.split("\n");
}

/** Waits until the output shows line `n` of each pod's `main` container. */
function linesOfBoth(page: Page, pods: string[], n: number): Promise<string[]> {
  return eventually(`line ${n} of ${pods.join(" and ")}`, async () => {
    const lines = await outputLines(page);
    return pods.every((p) => lines.includes(`[${p}/main] log line ${n} from ${p}/main`)) &&
      lines;
  }, { timeoutMs: TIMEOUT, intervalMs: 200 });
}

/** The pods of the Deployment (by its labels), Running, by name. */
async function runningPods(cp: ControlPlane, ns: string, count: number): Promise<string[]> {
  return await eventually(`${count} running pods`, async () => {
    const r = await kubeRequest(
      cp,
      "GET",
      `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent("app=web,tier=logs")}`,
    );
    const items = (r.body as {
      items: {
        metadata: { name: string; deletionTimestamp?: string };
        status?: { phase?: string };
      }[];
    }).items.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === "Running");
    return items.length === count && items.map((p) => p.metadata.name).sort();
  }, { timeoutMs: TIMEOUT, intervalMs: 200 });
}

/** A stream's state in the list above the output. */
const streamState = (page: Page, key: string) =>
  page.locator(`[data-testid=log-stream][data-stream="${key}"]`).getAttribute("data-state");

async function waitStreamState(page: Page, key: string, state: string): Promise<void> {
  await page.locator(`[data-testid=log-stream][data-stream="${key}"][data-state=${state}]`)
    .waitFor({ timeout: TIMEOUT });
}

Deno.test({
  name: "workload logs: all pods interleaved with coloured prefixes, search, new pods, agent",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: webSceneTest(ADMIN_PASSWORD, async (t, { cp, dash, base, session, defer }) => {
    assert(cp.controllerManager, "the control plane runs kube-controller-manager");
    let agent: RunningAgent | undefined;
    let reconciling = true;
    const reconciler = (async () => {
      while (reconciling) {
        await reconcilePods(cp).catch(() => {});
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    defer(async () => {
      reconciling = false;
      await reconciler;
    });
    const run = Date.now().toString(36);
    const ns = `wlogs-e2e-${run}`;
    const node = `wlogs-e2e-node-${run}`;
    await Promise.all([ensureNamespace(cp, ns), createNode(cp, node)]);
    // Has the app label but not the tier the selector asks for: never read.
    await createRunningPod(cp, ns, "decoy", {
      nodeName: node,
      labels: { app: "web", tier: "other" },
    });
    const created = await kubeRequest(cp, "POST", `/apis/apps/v1/namespaces/${ns}/deployments`, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: {
        replicas: 2,
        selector: {
          matchLabels: { app: "web" },
          matchExpressions: [{ key: "tier", operator: "In", values: ["logs", "batch"] }],
        },
        template: {
          metadata: { labels: { app: "web", tier: "logs" } },
          spec: {
            terminationGracePeriodSeconds: 0,
            containers: [{ name: "main", image: "registry.example/wlogs/web:1" }],
          },
        },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const [a, b] = await runningPods(cp, ns, 2);

    const admin = await loginToken(base, "admin", ADMIN_PASSWORD);
    const added = await restCall(base, "POST", "/api/clusters", admin, {
      name: "direct",
      kubeconfig: await Deno.readTextFile(cp.kubeconfigPath),
    });
    assert.equal(added.status, 201, added.text);
    const directId = (added.json as { id: string }).id;
    const deploymentUrl = (id: string) => `${base}/clusters/${id}/r/apps/v1/deployments/${ns}/web`;

    const s = await session({ timeoutMs: TIMEOUT });
    defer(async () => {
      // The page's followed streams close before the agent they go through (their tunnels end
      // at the stream's next chunk, a kubelet line every 200 ms: no "agent offline" noise).
      await s.context.close();
      if (agent) await new Promise((r) => setTimeout(r, 1000));
      await agent?.stop();
    });
    const page = s.page;
    await signInSession(s, base, "admin", ADMIN_PASSWORD);

    await t.step("1. both pods' lines, prefixed, coloured, interleaved by time", async () => {
      await page.goto(deploymentUrl(directId));
      await hydrated(page);
      await page.getByRole("navigation", { name: "Object views" })
        .getByRole("link", { name: "Logs" }).click();
      await page.waitForURL(/\?tab=logs$/);
      await hydrated(page);
      const lines = await linesOfBoth(page, [a, b], 10);
      // The kubelet's lines 1..10 of the two pods have the same stamps: line N of one pod is
      // next to line N of the other, whatever order the streams' text arrived in.
      const first = lines.slice(0, 20);
      for (let n = 1; n <= 10; n++) {
        assert.deepEqual(
          first.slice(2 * n - 2, 2 * n).sort(),
          [a, b].map((p) => `[${p}/main] log line ${n} from ${p}/main`).sort(),
          `lines ${2 * n - 1} and ${2 * n}: line ${n} of both pods\n${first.join("\n")}`,
        );
      }
      // Every line's prefix names the pod that wrote it.
      for (const line of await outputLines(page)) {
        const m = /^\[([^\]]+)\] (?:log line \d+ from (.+))$/.exec(line);
        assert(m, `a prefixed kubelet line: ${line}`);
        assert.equal(m[1], m[2], line);
      }
      assert(!(await outputLines(page)).some((l) => l.includes("decoy")), "the decoy is unread");
      // Each stream its own colour.
      const colour = (p: string) =>
        page.locator(`[data-testid=log-output] span[data-container="${p}/main"]`).first()
          .getAttribute("class");
      const [ca, cb] = [await colour(a), await colour(b)];
      assert.match(ca ?? "", /^text-\w+-400$/);
      assert.notEqual(ca, cb, "two pods, two colours");
      await page.getByTestId("log-pods").getByText(`2 pods match app=web,tier in (batch,logs).`)
        .waitFor();
      assert.equal(await streamState(page, `${a}/main`), "streaming");
      assert.equal(await streamState(page, `${b}/main`), "streaming");
      await page.locator("[data-testid=log-state][data-state=streaming]").getByText("Following")
        .waitFor();
      // Following: the kubelet's newer lines (from line 11 on) arrive from both pods.
      await linesOfBoth(page, [a, b], 12);
      await Deno.mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: `${SHOTS}workload-logs.png` });
    });

    await t.step("2. the search hides the lines without the term", async () => {
      const search = page.getByTestId("log-search");
      await search.fill("log line 7 from");
      const out = page.getByTestId("log-output");
      await page.locator("[data-testid=log-output][data-lines='2']").waitFor();
      const lines = await outputLines(page);
      assert.deepEqual(
        lines.sort(),
        [a, b].map((p) => `[${p}/main] log line 7 from ${p}/main`).sort(),
      );
      // The prefix is searched too: one pod's lines only.
      await search.fill(`${b}/main`);
      await eventually("only b's lines", async () => {
        const l = await outputLines(page);
        return l.length > 10 && l.every((x) => x.startsWith(`[${b}/main] `));
      }, { timeoutMs: TIMEOUT });
      await search.fill("no such text anywhere");
      await out.getByText("No line matches the search.").waitFor();
      await search.fill("");
      await linesOfBoth(page, [a, b], 1);
    });

    await t.step("3. a new pod is picked up; a deleted pod's stream ends", async () => {
      const scaled = await kubeRequest(
        cp,
        "PATCH",
        `/apis/apps/v1/namespaces/${ns}/deployments/web`,
        { spec: { replicas: 3 } },
        "application/merge-patch+json",
      );
      assert.equal(scaled.status, 200, JSON.stringify(scaled.body));
      const three = await runningPods(cp, ns, 3);
      const c = three.find((p) => p !== a && p !== b)!;
      await linesOfBoth(page, [a, b, c], 10);
      await waitStreamState(page, `${c}/main`, "streaming");
      await page.getByTestId("log-pods").getByText("3 pods match").waitFor();

      const deleted = await kubeRequest(cp, "DELETE", `/api/v1/namespaces/${ns}/pods/${a}`);
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      await waitStreamState(page, `${a}/main`, "gone");
      await page.locator(`[data-testid=log-stream][data-stream="${a}/main"]`)
        .getByText("ended: pod gone").waitFor();
      // Its replacement (a fourth name) is read.
      const now = await runningPods(cp, ns, 3);
      const d = now.find((p) => ![a, b, c].includes(p))!;
      assert(d, `a replacement pod: ${now}`);
      await linesOfBoth(page, [b, c, d], 10);
      assert.deepEqual(s!.problems, []);
    });

    await t.step("4. Follow off: every stream ends", async () => {
      await page.getByTestId("follow").uncheck();
      await page.locator("[data-testid=log-state][data-state=ended]").waitFor();
      const states = await page.locator("[data-testid=log-stream]").evaluateAll((els) =>
        els.map((e) => e.getAttribute("data-state"))
      );
      assert(states.length >= 3, `${states}`);
      assert(states.every((x) => x === "ended"), `${states}`);
      await page.getByRole("button", { name: "Reload" }).waitFor();
    });

    await t.step(
      "5. through an agent that impersonates: read as the signed-in person",
      async () => {
        const connected = await connectImpersonatingAgent(
          dash,
          cp,
          admin,
          "via-agent",
          "wlogs-e2e-agent",
        );
        agent = connected.agent;
        const id = connected.id;
        const pods = await runningPods(cp, ns, 3);
        await page.goto(`${deploymentUrl(id)}?tab=logs`);
        await hydrated(page);
        await linesOfBoth(page, pods, 12);
        const seen = (verb: string, subresource?: string) =>
          eventually(
            `the audit event of the ${verb} ${subresource ?? "pods"}`,
            async () =>
              (await cp.auditEvents()).find((e) =>
                // A followed log's request is long-running: its response has started.
                e.stage !== "Panic" && e.verb === verb &&
                e.objectRef?.resource === "pods" && e.objectRef.namespace === ns &&
                e.objectRef.subresource === subresource &&
                e.user.username.endsWith(":wlogs-e2e-agent")
              ),
            { timeoutMs: TIMEOUT },
          );
        const [list, log] = [await seen("list"), await seen("get", "log")];
        assert.match(list.requestURI, /labelSelector=app%3Dweb%2Ctier\+in\+%28batch%2Clogs%29/);
        for (const e of [list, log]) {
          assert.equal(e.impersonatedUser?.username, "dashboard:admin", e.requestURI);
        }
        assert.deepEqual(s!.problems, []);
      },
    );
  }),
});
