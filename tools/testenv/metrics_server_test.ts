// Tests of the test metrics server (metrics_server.ts) through the real kube-apiserver's
// aggregation layer: registered, the apiserver serves metrics.k8s.io (lists, gets, namespaces,
// `kubectl top`) with the values the test sets, and changes show at once; failing, the
// apiserver answers 503; unregistered, the group leaves discovery and its paths are 404.
import assert from "node:assert/strict";
import { createNode, kubeRequest, sharedControlPlane, startMetricsServer } from "./mod.ts";
import { nonLoopbackAddress } from "./metrics_server.ts";

Deno.test({
  name: "metrics server: served through an APIService, values from the test, then gone",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cp = await sharedControlPlane();
    const ms = await startMetricsServer(cp);
    try {
      assert.ok(ms.address.startsWith(`${nonLoopbackAddress()}:`));
      ms.setNode("metrics-node-a", { cpu: "250m", memory: "512Mi" });
      ms.setPod("ns-a", "web-1", {
        app: { cpu: "12m", memory: "34Mi" },
        sidecar: { cpu: "1m", memory: "2Mi" },
      });
      ms.setPod("ns-b", "db-0", { db: { cpu: "1500m", memory: "2Gi" } });

      await t.step("lists and gets through the apiserver", async () => {
        const nodes = await kubeRequest(cp, "GET", "/apis/metrics.k8s.io/v1beta1/nodes");
        assert.equal(nodes.status, 200);
        const n = nodes.body as { kind: string; items: { metadata: { name: string } }[] };
        assert.equal(n.kind, "NodeMetricsList");
        assert.deepEqual(n.items.map((i) => i.metadata.name), ["metrics-node-a"]);
        const one = await kubeRequest(
          cp,
          "GET",
          "/apis/metrics.k8s.io/v1beta1/nodes/metrics-node-a",
        );
        assert.equal((one.body as { usage: { cpu: string } }).usage.cpu, "250m");
        const all = await kubeRequest(cp, "GET", "/apis/metrics.k8s.io/v1beta1/pods");
        assert.equal((all.body as { items: unknown[] }).items.length, 2);
        const nsA = await kubeRequest(
          cp,
          "GET",
          "/apis/metrics.k8s.io/v1beta1/namespaces/ns-a/pods",
        );
        const items = (nsA.body as {
          items: { metadata: { name: string }; containers: { name: string; usage: unknown }[] }[];
        }).items;
        assert.deepEqual(items.map((i) => i.metadata.name), ["web-1"]);
        assert.deepEqual(items[0].containers, [
          { name: "app", usage: { cpu: "12m", memory: "34Mi" } },
          { name: "sidecar", usage: { cpu: "1m", memory: "2Mi" } },
        ]);
        const missing = await kubeRequest(
          cp,
          "GET",
          "/apis/metrics.k8s.io/v1beta1/namespaces/ns-a/pods/nope",
        );
        assert.equal(missing.status, 404);
      });

      await t.step("kubectl top reads it; a change shows at once", async () => {
        await createNode(cp, "metrics-node-a");
        const top = await cp.kubectl(["top", "node", "metrics-node-a", "--no-headers"]);
        assert.equal(top.code, 0, top.stderr);
        assert.match(top.stdout, /^metrics-node-a\s+250m\s+\d+%\s+512Mi\b/);
        const raw = () =>
          cp.kubectl(["get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/ns-b/pods/db-0"]);
        const before = await raw();
        assert.equal(before.code, 0, before.stderr);
        assert.match(before.stdout, /"cpu":"1500m"/);
        ms.setPod("ns-b", "db-0", { db: { cpu: "700m", memory: "1Gi" } });
        assert.match((await raw()).stdout, /"cpu":"700m"/);
      });

      await t.step("failing: the apiserver answers 503", async () => {
        ms.setFailing(true);
        const r = await kubeRequest(cp, "GET", "/apis/metrics.k8s.io/v1beta1/nodes");
        assert.equal(r.status, 503);
        ms.setFailing(false);
        const end = Date.now() + 30_000;
        for (;;) {
          const ok = await kubeRequest(cp, "GET", "/apis/metrics.k8s.io/v1beta1/nodes");
          if (ok.status === 200) break;
          assert.ok(Date.now() < end, `still ${ok.status} after failing stopped`);
          await new Promise((r) => setTimeout(r, 250));
        }
      });

      await t.step("unregistered: not in discovery, 404", async () => {
        await ms.unregister();
        const r = await kubeRequest(cp, "GET", "/apis/metrics.k8s.io/v1beta1/nodes");
        assert.equal(r.status, 404);
        const apis = await kubeRequest(cp, "GET", "/apis");
        assert.ok(
          !(apis.body as { groups: { name: string }[] }).groups.some((g) =>
            g.name === "metrics.k8s.io"
          ),
        );
      });
    } finally {
      await ms.stop();
    }
  },
});
