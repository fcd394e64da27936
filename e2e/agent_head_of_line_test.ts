// Head-of-line blocking through a REAL agent and a REAL kube-apiserver: small GETs keep flowing
// (p99 within 5 x idle + 50 ms) while a slow client holds a 50 MB list; a large list crosses the
// tunnel gzip-compressed when the client accepts it. Figures (p99s) are printed.
import assert from "node:assert/strict";
import { createConfigMaps } from "../tools/testenv/mod.ts";
import { eventually } from "../testing/eventually.ts";
import { k8s, mainAgentTest, p99, sleep } from "./agent_fixtures.ts";

mainAgentTest(
  "agent head-of-line: small GETs past a slow 50 MB list; gzip across the tunnel",
  async (t, { cp, dash, api, caPem, ns, clusterId }) => {
    await t.step("head-of-line: small GETs keep flowing past a slow 50 MB list", async () => {
      const bulk = "agent-e2e-bulk";
      const created = performance.now();
      await createConfigMaps(cp, bulk, 500, 100 * 1024, { name: (i) => `bulk-${i}` });
      console.log(
        `  500 x 100 KB ConfigMaps created in ${
          ((performance.now() - created) / 1000).toFixed(1)
        } s`,
      );
      const small = async () => {
        const t0 = performance.now();
        const r = await k8s(api, clusterId, `/api/v1/namespaces/${ns}`);
        const text = await r.text();
        assert.equal(r.status, 200, text);
        return performance.now() - t0;
      };
      for (let i = 0; i < 5; i++) await small(); // warm up
      const idle: number[] = [];
      for (let i = 0; i < 80; i++) idle.push(await small());

      // The slow client gets its own HTTP connection to the dashboard, as a separate client would.
      const slowHttp = Deno.createHttpClient({ caCerts: [caPem] });
      const res = await fetch(
        `${dash.d.url}/api/clusters/${clusterId}/k8s/api/v1/namespaces/${bulk}/configmaps`,
        {
          client: slowHttp,
          // identity: all 50 MB cross the tunnel (gzip would shrink these values to ~50 KB).
          headers: { authorization: `Bearer ${dash.adminToken}`, "accept-encoding": "identity" },
        } as RequestInit,
      );
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let slowBytes = 0;
      let reading = true;
      const slowReader = (async () => {
        while (reading) {
          const r = await reader.read();
          if (r.done) break;
          slowBytes += r.value.length;
          await sleep(100);
        }
      })();
      await sleep(300);
      const loaded: number[] = [];
      const errors: string[] = [];
      for (let i = 0; i < 80; i++) {
        try {
          loaded.push(await small());
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
      reading = false;
      await slowReader;
      // Then the slow client pauses for a while, and the small GETs still flow.
      for (let i = 0; i < 20; i++) {
        try {
          loaded.push(await small());
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
      const heldBytes = slowBytes;
      await reader.cancel();
      slowHttp.close();
      const idleP99 = p99(idle), loadedP99 = p99(loaded);
      console.log(
        `  small GET p99: idle ${idleP99.toFixed(1)} ms, under a slow 50 MB list ${
          loadedP99.toFixed(1)
        } ms` +
          ` (slow client had read ${(heldBytes / 1e6).toFixed(1)} MB)`,
      );
      assert.deepEqual(errors, []);
      assert(heldBytes < 40_000_000, `the slow client was not slow: read ${heldBytes} bytes`);
      assert(
        loadedP99 <= 5 * idleP99 + 50,
        `p99 under load ${loadedP99.toFixed(1)} ms > 5 x idle ${idleP99.toFixed(1)} ms + 50 ms`,
      );
      // Cancelling the slow list releases it on the dashboard.
      await eventually(
        "the cancelled list to be released",
        () => Promise.resolve(dash.d.hub.session(clusterId)?.inFlight === 0),
        5_000,
      );
    });

    await t.step(
      "a large list crosses the tunnel gzip-compressed when the client accepts it",
      async () => {
        const list = "/api/v1/namespaces/agent-e2e-bulk/configmaps?limit=100";
        const names = async (res: Response) => {
          assert.equal(res.status, 200);
          const body = await res.json() as { items: { metadata: { name: string } }[] };
          return body.items.map((i) => i.metadata.name);
        };
        // As kubectl asks: the API server compresses the ~10 MB answer, and it reaches the client
        // with its content-encoding (fetch decodes it here).
        const gzipped = await k8s(api, clusterId, list, {
          headers: { "accept-encoding": "gzip" },
        });
        assert.equal(gzipped.headers.get("content-encoding"), "gzip");
        const viaGzip = await names(gzipped);
        // A client that does not accept gzip gets the same list plain.
        const plain = await k8s(api, clusterId, list, {
          headers: { "accept-encoding": "identity" },
        });
        assert.equal(plain.headers.get("content-encoding"), null);
        const viaPlain = await names(plain);
        assert.equal(viaGzip.length, 100);
        assert.deepEqual(viaGzip, viaPlain);
      },
    );
  },
);
