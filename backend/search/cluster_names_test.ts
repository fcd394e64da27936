// Tests of loading one cluster's names (cluster_names.ts, names.ts) with a scripted client: the
// request each kind sends (metadata only, bounded pages, continue), what a refused or missing
// kind becomes (absent), another error (reported, the rest still read), a cluster that gives no
// answer (the load fails), and a load that ends at its timeout even if a request ignores its
// signal. The real API server's side is in search_e2e_test.ts.
import assert from "node:assert/strict";
import { type ClusterClient, ClusterUnavailableError } from "../cluster/client.ts";
import { loadClusterNames } from "./cluster_names.ts";
import { SEARCH_KINDS } from "./kinds.ts";
import { PAGE_SIZE } from "./names.ts";

type Answer = (url: URL, req: Request) => Response | Promise<Response>;

function client(answer: Answer, seen: Request[] = []): ClusterClient {
  return {
    fetch: async (req) => {
      seen.push(req);
      return await answer(new URL(req.url), req);
    },
    stream: () => Promise.reject(new Error("no streams here")),
    close: () => {},
  };
}

const list = (names: [string | null, string][], cont = "") =>
  Response.json({
    kind: "PartialObjectMetadataList",
    metadata: cont ? { continue: cont } : {},
    items: names.map(([namespace, name]) => ({
      metadata: { name, ...(namespace ? { namespace } : {}) },
    })),
  });

const status = (code: number, message: string) =>
  Response.json({ kind: "Status", code, message }, { status: code });

Deno.test("loadClusterNames: what each kind's answer becomes", async () => {
  const seen: Request[] = [];
  const { value, settled } = loadClusterNames(
    client((url) => {
      const resource = url.pathname.split("/").pop();
      if (resource === "secrets") return status(403, "secrets is forbidden");
      if (resource === "ingresses") return status(404, "the server could not find it");
      if (resource === "jobs") return status(500, "etcd is unhappy");
      if (resource === "namespaces") return list([[null, "default"], [null, "shop"]]);
      if (resource === "configmaps") {
        return url.searchParams.get("continue") === "page-2"
          ? list([["shop", "cm-2"]])
          : list([["shop", "cm-1"]], "page-2");
      }
      return list([]);
    }, seen),
    5_000,
  );
  await value.done;
  const byKind = Object.fromEntries(value.kinds.map((k) => [k.kind.kind, k.names]));
  assert.deepEqual(byKind.Namespace, [{ namespace: null, name: "default" }, {
    namespace: null,
    name: "shop",
  }]);
  assert.deepEqual(byKind.ConfigMap, [{ namespace: "shop", name: "cm-1" }, {
    namespace: "shop",
    name: "cm-2",
  }]);
  for (const absent of ["Secret", "Ingress", "Job"]) assert.ok(!(absent in byKind), absent);
  assert.deepEqual(value.errors, ["listing jobs: etcd is unhappy"]);
  assert.equal(await settled, 4 + 1, "its weight: the names held");
  // Every kind asked once (ConfigMaps twice: two pages), metadata only, bounded pages.
  assert.equal(seen.length, SEARCH_KINDS.length + 1);
  for (const req of seen) {
    assert.match(
      req.headers.get("accept") ?? "",
      /^application\/json;as=PartialObjectMetadataList/,
    );
    assert.equal(new URL(req.url).searchParams.get("limit"), String(PAGE_SIZE));
    assert.equal(req.method, "GET");
  }
});

Deno.test("loadClusterNames: a cluster that gives no answer fails the load", async () => {
  const { value, settled } = loadClusterNames(
    client(() => {
      throw new ClusterUnavailableError(503, "ServiceUnavailable", "the agent is not connected");
    }),
    5_000,
  );
  await assert.rejects(value.done, ClusterUnavailableError);
  await assert.rejects(settled, ClusterUnavailableError);
});

Deno.test("loadClusterNames: ends at its timeout even if a request ignores its signal", async () => {
  const started = performance.now();
  const { value, settled } = loadClusterNames(client(() => new Promise<Response>(() => {})), 200);
  const dropped = assert.rejects(settled);
  await assert.rejects(value.done, (err: unknown) => {
    assert.ok(err instanceof DOMException && err.name === "TimeoutError", String(err));
    return true;
  });
  await dropped;
  const took = performance.now() - started;
  assert.ok(took >= 190 && took < 2_000, `${took} ms`);
});
