// End-to-end proof of the proxy's guards against a REAL kube-apiserver (kubeconfig cluster with
// the control plane's admin certificate, so the API server would allow anything the dashboard let
// through) and a fake API server that records every request that reaches it:
//   (a) viewers' writes (POST, PUT, PATCH, DELETE, deletecollection) are 403 and change nothing;
//       an editor's succeed;
//   (b) upgrade requests (exec, attach, port-forward) are 403 for viewers, 501 for editors;
//   (c) client-sent Impersonate-* and Authorization headers never reach the API server;
//   (d) only API paths pass: /metrics, /healthz, /logs/, /debug/pprof/ and encoded or
//       dot-segment variants are 400/404 and never reach the API server;
//   (e) the agent credential Secret is refused by path, other Secrets are not;
//   (f) a viewer holding PER_CALLER_LIMIT watches gets 429 on the next while other callers still
//       get 200, and cancelled or aborted watches give every slot back.
// Raw requests (dot segments, Connection: Upgrade) go over a TLS socket as HTTP/1.1, since
// fetch would normalise the path and refuses connection-level headers.
import assert from "node:assert/strict";
import { ensureNamespace, kubeRequest, sharedControlPlane } from "../../tools/testenv/mod.ts";
import { startTestDashboard, type TestDashboard } from "../../testing/harness.ts";
import { eventually } from "../../testing/eventually.ts";
import { connectCluster } from "../../testing/clusters.ts";
import { startFakeApiServer } from "../../testing/fake_apiserver.ts";
import { PER_CALLER_LIMIT } from "./proxy_guards.ts";

interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** One HTTP/1.1 request with the target sent exactly as given; reads one response. */
async function rawRequest(
  t: TestDashboard,
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawResponse> {
  const u = new URL(t.d.url);
  const conn = t.d.httpCaPem
    ? await Deno.connectTls({
      hostname: u.hostname,
      port: Number(u.port),
      caCerts: [t.d.httpCaPem],
      alpnProtocols: ["http/1.1"],
    })
    : await Deno.connect({ hostname: u.hostname, port: Number(u.port) });
  try {
    const lines = [`${method} ${target} HTTP/1.1`, `Host: ${u.host}`];
    const all: Record<string, string> = { connection: "close", ...headers };
    if (body !== undefined) all["content-length"] = String(new TextEncoder().encode(body).length);
    for (const [k, v] of Object.entries(all)) lines.push(`${k}: ${v}`);
    await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n" + (body ?? "")));
    const dec = new TextDecoder();
    let text = "";
    const buf = new Uint8Array(65536);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const head = text.indexOf("\r\n\r\n");
      if (head >= 0) {
        const h = text.slice(0, head);
        const len = /\r\ncontent-length:\s*(\d+)/i.exec(h);
        const rest = text.slice(head + 4);
        if (len && new TextEncoder().encode(rest).length >= Number(len[1])) break;
        if (/\r\ntransfer-encoding:\s*chunked/i.test(h) && rest.endsWith("0\r\n\r\n")) break;
      }
      if (Date.now() > deadline) throw new Error(`no complete response in time: ${text}`);
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n), { stream: true });
    }
    const head = text.indexOf("\r\n\r\n");
    const [statusLine, ...hl] = text.slice(0, head).split("\r\n");
    const out = new Headers();
    for (const l of hl) {
      const i = l.indexOf(":");
      out.append(l.slice(0, i).trim(), l.slice(i + 1).trim());
    }
    let rest = text.slice(head + 4);
    if (/chunked/i.test(out.get("transfer-encoding") ?? "")) {
      let decoded = "";
      for (;;) {
        const nl = rest.indexOf("\r\n");
        const size = parseInt(rest.slice(0, nl), 16);
        if (!size) break;
        decoded += rest.slice(nl + 2, nl + 2 + size);
        rest = rest.slice(nl + 2 + size + 2);
      }
      rest = decoded;
    }
    return { status: Number(statusLine.split(" ")[1]), headers: out, body: rest };
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

async function createUser(t: TestDashboard, username: string, role: string): Promise<string> {
  const password = `${username}-password-1`;
  const r = await t.api("POST", "/api/users", { username, password, role }, t.adminToken);
  assert.equal(r.status, 201, r.text);
  return await t.login(username, password);
}

interface ConfigMap {
  metadata: { name: string };
  data?: Record<string, string>;
}

async function configMaps(ns: string): Promise<Map<string, Record<string, string>>> {
  const cp = await sharedControlPlane();
  const r = await kubeRequest(cp, "GET", `/api/v1/namespaces/${ns}/configmaps`);
  const items = (r.body as { items: ConfigMap[] }).items.filter((i) =>
    i.metadata.name !== "kube-root-ca.crt"
  );
  return new Map(items.map((i) => [i.metadata.name, i.data ?? {}]));
}

Deno.test({
  name: "proxy guards e2e [real kube-apiserver, kubeconfig cluster]",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cp = await sharedControlPlane();
    const dash = await startTestDashboard();
    const fake = await startFakeApiServer();
    const ns = "guards";
    await ensureNamespace(cp, ns);
    const cluster = await connectCluster(dash, cp, "kubeconfig", "guards-real");
    const fakeCluster = await dash.api("POST", "/api/clusters", {
      name: "guards-fake",
      kubeconfig: fake.kubeconfig,
    }, dash.adminToken);
    assert.equal(fakeCluster.status, 201, fakeCluster.text);
    const fakeId = (fakeCluster.json as { id: string }).id;
    const viewer = await createUser(dash, "viewer1", "viewer");
    const editor = await createUser(dash, "editor1", "editor");
    const k8s = (id: string) => `/api/clusters/${id}/k8s`;
    const proxy = (
      token: string,
      method: string,
      path: string,
      init: { body?: unknown; contentType?: string; headers?: Record<string, string> } = {},
    ) =>
      dash.fetch(k8s(cluster.id) + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(init.body !== undefined
            ? { "content-type": init.contentType ?? "application/json" }
            : {}),
          ...init.headers,
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    const cmPath = (name = "") => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ""}`;
    const seed = async () => {
      await kubeRequest(cp, "DELETE", cmPath());
      for (const name of ["keep", "other"]) {
        await kubeRequest(cp, "POST", cmPath(), {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name },
          data: { v: "original" },
        });
      }
    };
    try {
      await t.step(
        "(a) viewer writes are 403 and change nothing; an editor's succeed",
        async () => {
          const writes: Array<{
            name: string;
            method: string;
            path: string;
            body?: unknown;
            contentType?: string;
            /** The editor's result, as seen in the cluster afterwards. */
            after: (cms: Map<string, Record<string, string>>) => boolean;
          }> = [
            {
              name: "POST (create)",
              method: "POST",
              path: cmPath(),
              body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "made" } },
              after: (cms) => cms.has("made"),
            },
            {
              name: "PUT (replace)",
              method: "PUT",
              path: cmPath("keep"),
              body: {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "keep", namespace: ns },
                data: { v: "replaced" },
              },
              after: (cms) => cms.get("keep")?.v === "replaced",
            },
            {
              name: "PATCH (merge patch)",
              method: "PATCH",
              path: cmPath("keep"),
              body: { data: { v: "patched" } },
              contentType: "application/merge-patch+json",
              after: (cms) => cms.get("keep")?.v === "patched",
            },
            {
              name: "DELETE (one object)",
              method: "DELETE",
              path: cmPath("keep"),
              after: (cms) => !cms.has("keep") && cms.has("other"),
            },
            {
              name: "DELETE on the collection (deletecollection)",
              method: "DELETE",
              path: cmPath(),
              after: (cms) => cms.size === 0,
            },
          ];
          for (const w of writes) {
            await seed();
            const before = await configMaps(ns);
            const denied = await proxy(viewer, w.method, w.path, w);
            const status = await denied.json() as { kind: string; message: string };
            assert.equal(denied.status, 403, `viewer ${w.name}: ${JSON.stringify(status)}`);
            assert.equal(status.kind, "Status");
            assert.match(status.message, /viewers may only read/);
            assert.deepEqual(await configMaps(ns), before, `viewer ${w.name} changed nothing`);
            const ok = await proxy(editor, w.method, w.path, w);
            const okBody = await ok.text();
            assert(ok.status >= 200 && ok.status < 300, `editor ${w.name}: ${ok.status} ${okBody}`);
            assert(w.after(await configMaps(ns)), `editor ${w.name} took effect`);
          }
        },
      );

      await t.step(
        "(b) upgrades: viewers 403 (exec is a write), SPDY told to use WebSocket",
        async () => {
          await seed();
          // Editors' WebSocket exec is backend/cluster/stream_e2e_test.ts's.
          const cases: Array<{ who: string; token: string; headers: Record<string, string> }> = [
            {
              who: "viewer",
              token: viewer,
              headers: { upgrade: "websocket", connection: "Upgrade" },
            },
            { who: "viewer", token: viewer, headers: { connection: "Upgrade" } },
            { who: "viewer", token: viewer, headers: { upgrade: "SPDY/3.1" } },
            { who: "editor", token: editor, headers: { upgrade: "SPDY/3.1" } },
          ];
          const target = `${
            k8s(cluster.id)
          }/api/v1/namespaces/${ns}/pods/p/exec?command=sh&stdin=true&stdout=true`;
          for (const tc of cases) {
            const r = await rawRequest(dash, "GET", target, {
              authorization: `Bearer ${tc.token}`,
              "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
              "sec-websocket-version": "13",
              ...tc.headers,
            });
            const want = tc.who === "viewer" ? 403 : 404;
            assert.equal(r.status, want, `${tc.who} ${JSON.stringify(tc.headers)}: ${r.body}`);
            const s = JSON.parse(r.body) as { kind: string; message: string };
            assert.equal(s.kind, "Status");
            assert.match(s.message, tc.who === "viewer" ? /editor role/ : /pods "p" not found/);
          }
        },
      );

      await t.step("(c) Impersonate-* from the client never reaches the API server", async () => {
        const review = await proxy(
          editor,
          "POST",
          "/apis/authentication.k8s.io/v1/selfsubjectreviews",
          {
            body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
            headers: {
              "impersonate-user": "mallory",
              "impersonate-group": "system:nodes",
              "impersonate-uid": "mallory-uid",
              "impersonate-extra-scopes": "everything",
            },
          },
        );
        const body = await review.json() as {
          status: { userInfo: { username: string; groups?: string[]; uid?: string } };
        };
        assert.equal(review.status, 201, JSON.stringify(body));
        // The kubeconfig's user (admin certificate: CN=admin, O=system:masters), not mallory.
        assert.equal(body.status.userInfo.username, "admin");
        assert(body.status.userInfo.groups?.includes("system:masters"));
        assert(!body.status.userInfo.groups?.includes("system:nodes"));
        assert.notEqual(body.status.userInfo.uid, "mallory-uid");
      });

      await t.step(
        "(c) no client credential or Impersonate-* header reaches a cluster",
        async () => {
          const before = fake.seen.length;
          const res = await dash.fetch(`${k8s(fakeId)}/api/v1/namespaces/x/configmaps`, {
            headers: {
              authorization: `Bearer ${dash.adminToken}`,
              cookie: "kd_session=kds_not-for-clusters",
              "proxy-authorization": "Basic bWFsbG9yeTpwdw==",
              "impersonate-user": "mallory",
              "impersonate-group": "system:masters",
              "impersonate-uid": "0",
              "impersonate-extra-scopes": "all",
            },
          });
          await res.body?.cancel();
          const got = fake.seen.slice(before).find((s) =>
            s.path === "/api/v1/namespaces/x/configmaps"
          );
          assert(got, "the request reached the fake API server");
          assert.equal(got.headers.get("authorization"), `Bearer ${fake.token}`);
          for (const h of got.headers.keys()) {
            assert(!/^(impersonate-|cookie$|proxy-authorization$)/.test(h), `${h} reached it`);
          }
        },
      );

      await t.step("(d) only API paths pass; others never reach the API server", async () => {
        const targets = [
          "/metrics",
          "/healthz",
          "/livez",
          "/readyz",
          "/logs/",
          "/logs/kube-apiserver.log",
          "/debug/pprof/",
          "/debug/pprof/goroutine",
          "/api/../metrics",
          "/apis/../../healthz",
          "/api/./../logs/",
          "/api/%2e%2e/metrics",
          "/api/%2E%2E/debug/pprof/",
          "/api/v1/..%2f..%2fmetrics",
          "/api/v1/%2e%2e%2f%2e%2e%2fmetrics",
          "/api%2f..%2fmetrics",
          "/api/v1/%5c..%5cmetrics",
          "/%6detrics",
          "//metrics",
          "/apis%2fmetrics",
          "/api/v1/%zzmetrics",
        ];
        for (const id of [cluster.id, fakeId]) {
          const before = fake.seen.length;
          for (const target of targets) {
            const r = await rawRequest(dash, "GET", `${k8s(id)}${target}`, {
              authorization: `Bearer ${dash.adminToken}`,
            });
            assert(
              r.status === 400 || r.status === 404,
              `${target}: ${r.status} ${r.body.slice(0, 200)}`,
            );
            assert.doesNotMatch(
              r.body,
              /apiserver_request_total|^# HELP|goroutine profile: total|^ok$/m,
              target,
            );
            const s = JSON.parse(r.body) as { kind: string; message: string };
            assert.equal(s.kind, "Status", target);
            assert.match(
              s.message,
              /not a Kubernetes API path|dot segments or encoded separators/,
              target,
            );
          }
          const reached = fake.seen.slice(before).map((s) => s.path);
          assert.deepEqual(
            reached.filter((p) => !/^\/(api|apis|version)(\/|$)/.test(p)),
            [],
            "nothing outside the API reached the fake API server",
          );
        }
        const ok = await rawRequest(dash, "GET", `${k8s(cluster.id)}/version`, {
          authorization: `Bearer ${dash.adminToken}`,
        });
        assert.equal(ok.status, 200, "an API path still passes the same way");
      });

      await t.step("(e) the agent credential Secret is refused by path", async () => {
        for (const name of ["dashboard-agent-credential", "ordinary"]) {
          await kubeRequest(cp, "POST", `/api/v1/namespaces/${ns}/secrets`, {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name },
            stringData: { token: "kda_secret" },
          });
        }
        const refused = [
          ["GET", `/api/v1/namespaces/${ns}/secrets/dashboard-agent-credential`],
          ["GET", `/api/v1/namespaces/${ns}/secrets/dashboard-agent-credential/`],
          ["GET", `/api/v1/watch/namespaces/${ns}/secrets/dashboard-agent-credential`],
          ["DELETE", `/api/v1/namespaces/${ns}/secrets/dashboard-agent-credential`],
        ];
        for (const [method, path] of refused) {
          const r = await proxy(dash.adminToken, method, path);
          const s = await r.json() as { message: string };
          assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(s)}`);
          assert.match(s.message, /agent's credential/);
        }
        const still = await kubeRequest(
          cp,
          "GET",
          `/api/v1/namespaces/${ns}/secrets/dashboard-agent-credential`,
        );
        assert.equal(still.status, 200, "the DELETE never reached the API server");
        const other = await proxy(viewer, "GET", `/api/v1/namespaces/${ns}/secrets/ordinary`);
        assert.equal(other.status, 200, await other.text());
      });

      await t.step(
        `(f) a viewer's ${PER_CALLER_LIMIT + 1}th concurrent watch is 429; others still get 200`,
        async () => {
          const watchPath = `${cmPath()}?watch=1&timeoutSeconds=120`;
          const open = async (token: string, signal?: AbortSignal) => {
            const res = await dash.fetch(k8s(cluster.id) + watchPath, {
              headers: { authorization: `Bearer ${token}` },
              signal,
            });
            return res;
          };
          /** Opens PER_CALLER_LIMIT watches; patient (slots come back asynchronously) if asked. */
          const holdAll = async (patientMs = 0) => {
            const held: Array<{ res: Response; abort: AbortController }> = [];
            for (let i = 0; i < PER_CALLER_LIMIT; i++) {
              const until = Date.now() + patientMs;
              for (;;) {
                const abort = new AbortController();
                const res = await open(viewer, abort.signal);
                if (res.status === 200) {
                  held.push({ res, abort });
                  break;
                }
                await res.body?.cancel();
                assert(Date.now() < until, `watch ${i + 1}: ${res.status}`);
                await new Promise((r) => setTimeout(r, 100));
              }
            }
            return held;
          };
          let held = await holdAll();
          const refused = await open(viewer);
          if (refused.status !== 429) await refused.body?.cancel();
          assert.equal(refused.status, 429, `watch ${PER_CALLER_LIMIT + 1} was not refused`);
          const s = await refused.json() as { kind: string; reason: string; message: string };
          assert.equal(s.kind, "Status");
          assert.equal(s.reason, "TooManyRequests");
          assert.match(s.message, new RegExp(`${PER_CALLER_LIMIT} requests open`));
          assert.match(s.message, /watches/);
          assert(Number(refused.headers.get("retry-after")) > 0, "Retry-After is set");

          const others = [
            ["the editor", editor],
            ["the admin", dash.adminToken],
            ["the same viewer's other session", await dash.login("viewer1", "viewer1-password-1")],
          ];
          for (const [who, token] of others) {
            const r = await proxy(token, "GET", cmPath());
            await r.body?.cancel();
            assert.equal(r.status, 200, `${who} is not held back by the viewer's watches`);
          }
          const fakeOk = await dash.fetch(`${k8s(fakeId)}/version`, {
            headers: { authorization: `Bearer ${viewer}` },
          });
          await fakeOk.body?.cancel();
          assert.equal(fakeOk.status, 200, "the viewer's slots are per cluster");

          // Half the clients cancel their bodies, half abort their requests: every slot returns.
          for (const [i, h] of held.entries()) {
            if (i % 2) h.abort.abort();
            else await h.res.body!.cancel();
          }
          await eventually("the viewer's slots come back", async () => {
            const r = await proxy(viewer, "GET", cmPath());
            await r.body?.cancel();
            return r.status === 200;
          });
          held = await holdAll(10_000);
          const again = await open(viewer);
          await again.body?.cancel();
          assert.equal(again.status, 429);
          for (const h of held) await h.res.body!.cancel();
        },
      );
    } finally {
      await cluster.close();
      await dash.stop();
      await fake.stop();
    }
  },
});
