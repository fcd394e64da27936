// The agent's API access (./kube.ts) against the real kube-apiserver, with the admin kubeconfig:
// a CA and a client certificate (the e2e agents use ServiceAccount tokens). Both clients are
// exercised: fetch (decoded bodies) and forward (the API server's bytes as sent, gzip included).
import assert from "node:assert/strict";
import { createConfigMaps, sharedControlPlane } from "../tools/testenv/mod.ts";
import { loadKube } from "./kube.ts";

const shared = { sanitizeOps: false, sanitizeResources: false };
const NS = "agent-kube-access";

Deno.test({
  name: "loadKube with a client certificate: fetch and forward against the real API server",
  ...shared,
  async fn(t) {
    const cp = await sharedControlPlane();
    // 200 x 1 KB: over the 128 KiB the API server compresses above.
    await createConfigMaps(cp, NS, 200, 1000);
    const kube = await loadKube(cp.kubeconfigPath);
    const list = `/api/v1/namespaces/${NS}/configmaps`;
    const names = (text: string) =>
      (JSON.parse(text) as { items: { metadata: { name: string } }[] }).items
        .map((i) => i.metadata.name).sort();
    const forward = (headers: HeadersInit, method = "GET", body: BodyInit | null = null) =>
      kube.forward(list, {
        method,
        headers: new Headers(headers),
        body: body === null ? null : new Response(body).body,
        signal: AbortSignal.timeout(15_000),
      });
    try {
      let want: string[] = [];
      await t.step("fetch decodes", async () => {
        const res = await kube.fetch(list, {});
        assert.equal(res.status, 200);
        want = names(await res.text());
        // Ours, and the cluster's own kube-root-ca.crt.
        assert.equal(want.filter((n) => n.startsWith("cm-")).length, 200, want.join(" "));
      });
      await t.step("forward with gzip: the compressed bytes, untouched", async () => {
        const res = await forward({ "accept-encoding": "gzip" });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-encoding"), "gzip");
        const raw = new Uint8Array(await res.arrayBuffer());
        assert.deepEqual([raw[0], raw[1]], [0x1f, 0x8b], "a gzip stream");
        const text = await new Response(
          new Blob([raw]).stream().pipeThrough(new DecompressionStream("gzip")),
        ).text();
        assert.ok(raw.length * 5 < text.length, `compressed: ${raw.length} of ${text.length}`);
        assert.deepEqual(names(text), want);
      });
      await t.step("forward with identity: plain", async () => {
        const res = await forward({ "accept-encoding": "identity" });
        assert.equal(res.headers.get("content-encoding"), null);
        assert.deepEqual(names(await res.text()), want);
      });
      await t.step("forward streams a request body up", async () => {
        const res = await forward(
          { "content-type": "application/json" },
          "POST",
          JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "posted" } }),
        );
        assert.equal(res.status, 201, await res.clone().text());
        assert.equal((await res.json() as { metadata: { name: string } }).metadata.name, "posted");
      });
    } finally {
      kube.close();
    }
  },
});
