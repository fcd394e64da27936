// Unit tests of the proxy's guards: the pure functions in proxy_guards.ts (table-driven), and
// proxyRoutes itself in front of a fake cluster client that records every request it is given,
// so each test sees what would have reached the cluster (the credential Secret never does; a
// caller over its slot limit gets 429; response headers keep proxied content from running).
import assert from "node:assert/strict";
import { Hono } from "hono";
import type { AppEnv } from "../http/types.ts";
import { HttpError } from "../http/errors.ts";
import type { Role } from "../auth/service.ts";
import type { ClusterManager } from "./manager.ts";
import type { ClusterClient } from "./client.ts";
import { kubeStatus, proxyRoutes } from "./proxy.ts";
import {
  ConcurrencyLimiter,
  isAgentCredentialPath,
  isInertContentType,
  releaseWhenDone,
} from "./proxy_guards.ts";

const CRED = "dashboard-agent-credential";

Deno.test("isAgentCredentialPath: every way of naming the credential Secret", async (t) => {
  const cases: Array<[string, boolean]> = [
    [`/api/v1/namespaces/kube-dashboard/secrets/${CRED}`, true],
    [`/api/v1/namespaces/other/secrets/${CRED}`, true],
    [`/api/v1/namespaces/other/secrets/${CRED}/`, true],
    [`/api/v1/namespaces/other/secrets/${CRED}/status`, true],
    [`/api/v1/namespaces/other/secrets/${CRED}/anything/deeper`, true],
    [`/api/v1/watch/namespaces/other/secrets/${CRED}`, true],
    [`/api/v1/watch/namespaces/other/secrets/${CRED}/`, true],
    [`/api//v1/namespaces/other//secrets/${CRED}`, true],
    [`/api/v1/namespaces/other/secrets/%64ashboard-agent-credential`, true],
    [`/api/v1/namespaces/other/secrets/dashboard%2Dagent%2Dcredential`, true],
    [`/api/v2/namespaces/other/secrets/${CRED}`, true],
    // Not it: lists (the agent filters those), other names, other resources, other groups.
    ["/api/v1/namespaces/other/secrets", false],
    ["/api/v1/secrets", false],
    ["/api/v1/watch/namespaces/other/secrets", false],
    [`/api/v1/namespaces/other/secrets/${CRED}-2`, false],
    [`/api/v1/namespaces/other/secrets/x${CRED}`, false],
    [`/api/v1/namespaces/other/configmaps/${CRED}`, false],
    [`/api/v1/namespaces/${CRED}/secrets/other`, false],
    [`/apis/apps/v1/namespaces/other/secrets/${CRED}`, false],
    ["/api", false],
    ["/version", false],
  ];
  for (const [path, want] of cases) {
    await t.step(`${path} → ${want}`, () => assert.equal(isAgentCredentialPath(path), want));
  }
});

Deno.test("isInertContentType: only JSON, YAML, protobuf and plain text are served as is", async (t) => {
  const cases: Array<[string | null, boolean]> = [
    ["application/json", true],
    ["application/json; charset=utf-8", true],
    ["Application/JSON", true],
    ["application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", true],
    ["application/merge-patch+json", true],
    ["application/yaml", true],
    ["application/vnd.kubernetes.protobuf", true],
    ["application/vnd.kubernetes.protobuf;stream=watch", true],
    ["text/plain", true],
    ["text/plain; charset=utf-8", true],
    ["text/html", false],
    ["text/html; charset=utf-8", false],
    ["application/xhtml+xml", false],
    ["image/svg+xml", false],
    ["application/xml", false],
    ["text/xml", false],
    ["application/javascript", false],
    ["text/javascript", false],
    ["application/octet-stream", false],
    ["application/com.github.proto-openapi.spec.v2@v1.0+protobuf", false],
    ["application/jsonp", false],
    ["text/plainx", false],
    ["", false],
    [null, false],
  ];
  for (const [type, want] of cases) {
    await t.step(`${type} → ${want}`, () => assert.equal(isInertContentType(type), want));
  }
});

Deno.test("ConcurrencyLimiter: per key, refuses beyond the limit, releases once", () => {
  const l = new ConcurrencyLimiter(2);
  const a1 = l.tryAcquire("a");
  const a2 = l.tryAcquire("a");
  assert(a1 && a2);
  assert.equal(l.tryAcquire("a"), null, "the third slot of a is refused");
  const b1 = l.tryAcquire("b");
  assert(b1, "another key has its own slots");
  a1();
  a1(); // idempotent: must not free a second slot
  assert.equal(l.inUse("a"), 1);
  const a3 = l.tryAcquire("a");
  assert(a3);
  assert.equal(l.tryAcquire("a"), null);
  a2();
  a3();
  b1();
  assert.equal(l.size, 0, "no key is left behind when every slot is released");
});

function chunks(n: number): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (i++ < n) c.enqueue(new Uint8Array([i]));
      else c.close();
    },
  });
}

Deno.test("releaseWhenDone: releases on end, error, cancel, and for no body", async (t) => {
  const cases: Array<{
    name: string;
    body: () => ReadableStream<Uint8Array> | null;
    consume: (s: ReadableStream<Uint8Array> | null) => Promise<void>;
    stopped?: AbortSignal;
  }> = [
    {
      name: "read to the end",
      body: () => chunks(3),
      consume: async (s) => {
        let n = 0;
        for await (const _ of s!) n++;
        assert.equal(n, 3);
      },
    },
    {
      name: "cancelled after one chunk (client went away)",
      body: () => chunks(100),
      consume: async (s) => {
        const r = s!.getReader();
        await r.read();
        await r.cancel("gone");
      },
    },
    {
      name: "upstream fails",
      body: () =>
        new ReadableStream<Uint8Array>({
          pull(c) {
            c.error(new Error("reset"));
          },
        }),
      consume: async (s) => {
        await assert.rejects(s!.getReader().read(), /reset/);
      },
    },
    { name: "no body", body: () => null, consume: (s) => Promise.resolve(assert.equal(s, null)) },
    {
      name: "upstream aborted because the dashboard stops: ends quietly",
      body: () =>
        new ReadableStream<Uint8Array>({
          pull(c) {
            c.error(new DOMException("aborted", "AbortError"));
          },
        }),
      stopped: AbortSignal.abort(),
      consume: async (s) => {
        const r = await s!.getReader().read();
        assert.equal(r.done, true);
      },
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, async () => {
      let released = 0;
      const s = releaseWhenDone(tc.body(), () => released++, tc.stopped);
      if (tc.body() !== null) assert.equal(released, 0, "not before the body is done");
      await tc.consume(s);
      assert.equal(released, 1);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// proxyRoutes against a fake cluster

const CLUSTER = "00000000-0000-4000-8000-000000000001";

interface Upstream {
  status?: number;
  headers?: Record<string, string>;
  body?: () => ReadableStream<Uint8Array> | string | null;
}

function fakeProxy(opts: { limit?: number; upstream?: (path: string) => Upstream } = {}) {
  const seen: Array<{ method: string; path: string; headers: Headers }> = [];
  const client: ClusterClient = {
    fetch: (req) => {
      const url = new URL(req.url);
      seen.push({ method: req.method, path: url.pathname, headers: req.headers });
      const u = opts.upstream?.(url.pathname) ??
        { headers: { "content-type": "application/json" }, body: () => "{}" };
      const b = u.body ? u.body() : null;
      // Bytes, not a string: a string body would make Response add text/plain itself.
      return Promise.resolve(
        new Response(typeof b === "string" ? new TextEncoder().encode(b) : b, {
          status: u.status ?? 200,
          headers: u.headers,
        }),
      );
    },
    stream: () => Promise.reject(new Error("no streams in this test")),
    close: () => {},
  };
  const manager = {
    forPerson: (_id: string, person: { role: Role }) =>
      Promise.resolve({ role: person.role, client }),
  } as unknown as ClusterManager;
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    const role = (c.req.header("x-test-role") ?? "editor") as Role;
    c.set("user", {
      id: "u1",
      username: "u1",
      role,
      groups: [],
      created_at: new Date(0),
      source: "local",
    });
    c.set("authKind", "bearer");
    c.set("token", c.req.header("x-test-token") ?? "kdt_one");
    await next();
  });
  app.route("/api", proxyRoutes(manager, { perCallerLimit: opts.limit }));
  app.onError((err) =>
    err instanceof HttpError
      ? kubeStatus(err.status, err.code, err.message)
      : kubeStatus(500, "InternalError", String(err))
  );
  const request = (path: string, init: RequestInit = {}) =>
    app.request(`http://dash.test/api/clusters/${CLUSTER}/k8s${path}`, init);
  return { seen, request };
}

Deno.test("proxy: the agent credential Secret is refused before anything is sent", async (t) => {
  const { seen, request } = fakeProxy();
  const cases: Array<[string, string]> = [
    ["GET", `/api/v1/namespaces/kube-dashboard/secrets/${CRED}`],
    ["PUT", `/api/v1/namespaces/kube-dashboard/secrets/${CRED}`],
    ["PATCH", `/api/v1/namespaces/ns1/secrets/${CRED}`],
    ["DELETE", `/api/v1/namespaces/ns1/secrets/${CRED}`],
    ["GET", `/api/v1/namespaces/ns1/secrets/${CRED}/`],
    ["GET", `/api/v1/namespaces/ns1/secrets/${CRED}/status`],
    ["GET", `/api/v1/watch/namespaces/ns1/secrets/${CRED}`],
    ["GET", `/api/v1/namespaces/ns1/secrets/%64ashboard-agent-credential`],
  ];
  for (const [method, path] of cases) {
    await t.step(`${method} ${path}`, async () => {
      const res = await request(path, {
        method,
        body: method === "GET" ? undefined : "{}",
        headers: { "content-type": "application/json" },
      });
      assert.equal(res.status, 403);
      const s = await res.json() as { kind: string; reason: string; message: string };
      assert.equal(s.kind, "Status");
      assert.equal(s.reason, "Forbidden");
      assert.match(s.message, /dashboard-agent-credential holds an agent's credential/);
    });
  }
  assert.deepEqual(seen, [], "no request reached the cluster");
  const other = await request("/api/v1/namespaces/ns1/secrets/other");
  assert.equal(other.status, 200);
  await other.body?.cancel();
  assert.equal(seen.length, 1, "other Secrets are proxied");
});

Deno.test("proxy: response headers keep proxied content from running", async (t) => {
  const cases: Array<{ type?: string; sandboxed: boolean; upstream?: Record<string, string> }> = [
    { type: "application/json", sandboxed: false },
    { type: "application/yaml", sandboxed: false },
    { type: "application/vnd.kubernetes.protobuf;stream=watch", sandboxed: false },
    { type: "text/plain; charset=utf-8", sandboxed: false },
    { type: "text/html; charset=utf-8", sandboxed: true },
    { type: "image/svg+xml", sandboxed: true },
    { type: "application/javascript", sandboxed: true },
    { type: undefined, sandboxed: true },
    {
      // A hostile cluster's own browser-policy headers never pass through.
      type: "application/json",
      sandboxed: false,
      upstream: {
        "content-security-policy": "script-src *",
        "content-disposition": "inline",
        "x-content-type-options": "sniff-please",
        "access-control-allow-origin": "https://evil.example",
        "clear-site-data": '"*"',
        "service-worker-allowed": "/",
        "set-cookie": "kd_session=evil",
      },
    },
  ];
  for (const tc of cases) {
    await t.step(`${tc.type ?? "(no content type)"}`, async () => {
      const { request } = fakeProxy({
        upstream: () => ({
          headers: { ...(tc.type ? { "content-type": tc.type } : {}), ...tc.upstream },
          body: () => "<script>alert(1)</script>",
        }),
      });
      const res = await request("/api/v1/namespaces/ns1/services/web/proxy/");
      await res.body?.cancel();
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      if (tc.sandboxed) {
        assert.equal(res.headers.get("content-security-policy"), "sandbox");
        assert.equal(res.headers.get("content-disposition"), "attachment");
      } else {
        assert.equal(res.headers.get("content-security-policy"), null);
        assert.equal(res.headers.get("content-disposition"), null);
      }
      for (
        const h of ["access-control-allow-origin", "clear-site-data", "service-worker-allowed"]
      ) {
        assert.equal(res.headers.get(h), null, `${h} is dropped`);
      }
      assert.equal(res.headers.get("set-cookie"), null);
    });
  }
});

Deno.test("proxy: viewers are refused writes and upgrades; client credentials never go out", async (t) => {
  const { seen, request } = fakeProxy();
  const cases: Array<{ role: Role; method: string; upgrade?: boolean; status: number }> = [
    { role: "viewer", method: "POST", status: 403 },
    { role: "viewer", method: "PUT", status: 403 },
    { role: "viewer", method: "PATCH", status: 403 },
    { role: "viewer", method: "DELETE", status: 403 },
    { role: "viewer", method: "GET", upgrade: true, status: 403 },
    { role: "viewer", method: "POST", upgrade: true, status: 403 },
    { role: "editor", method: "GET", upgrade: true, status: 501 },
    { role: "viewer", method: "GET", status: 200 },
    { role: "editor", method: "POST", status: 200 },
  ];
  for (const tc of cases) {
    await t.step(
      `${tc.role} ${tc.method}${tc.upgrade ? " upgrade" : ""} → ${tc.status}`,
      async () => {
        const before = seen.length;
        const res = await request("/api/v1/namespaces/ns1/pods/p/exec", {
          method: tc.method,
          body: tc.method === "GET" ? undefined : "{}",
          headers: {
            "x-test-role": tc.role,
            authorization: "Bearer kdt_secret",
            cookie: "kd_session=kds_secret",
            "impersonate-user": "system:admin",
            "impersonate-group": "system:masters",
            "impersonate-uid": "0",
            "impersonate-extra-scopes": "all",
            "content-type": "application/json",
            ...(tc.upgrade ? { upgrade: "websocket", connection: "Upgrade" } : {}),
          },
        });
        await res.body?.cancel();
        assert.equal(res.status, tc.status);
        assert.equal(seen.length, before + (tc.status === 200 ? 1 : 0));
      },
    );
  }
  for (const s of seen) {
    for (const h of s.headers.keys()) {
      assert(!/^(impersonate-|authorization$|cookie$)/.test(h), `${h} reached the cluster`);
    }
  }
});

Deno.test("proxy: a caller's concurrent requests per cluster are bounded and released", async () => {
  const opened: Array<ReadableStreamDefaultController<Uint8Array>> = [];
  const { seen, request } = fakeProxy({
    limit: 3,
    upstream: () => ({
      headers: { "content-type": "application/json" },
      body: () => new ReadableStream<Uint8Array>({ start: (c) => void opened.push(c) }),
    }),
  });
  const watches = [];
  for (let i = 0; i < 3; i++) {
    const res = await request("/api/v1/configmaps?watch=1");
    assert.equal(res.status, 200);
    watches.push(res);
  }
  const refused = await request("/api/v1/configmaps?watch=1");
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get("retry-after"), "5");
  const s = await refused.json() as { reason: string; message: string };
  assert.equal(s.reason, "TooManyRequests");
  assert.match(s.message, /3 requests open/);
  assert.match(s.message, /watches/);
  assert.equal(seen.length, 3, "the refused request never reached the cluster");

  const other = await request("/api/v1/configmaps", { headers: { "x-test-token": "kdt_two" } });
  assert.equal(other.status, 200, "another caller has its own slots");
  await other.body?.cancel();

  // A client that goes away (cancel) gives its slot back, and so does a watch the server ends.
  await watches[0].body!.cancel();
  const again = await request("/api/v1/configmaps?watch=1");
  assert.equal(again.status, 200);
  opened[1].close();
  await watches[1].body!.getReader().read();
  const third = await request("/api/v1/configmaps?watch=1");
  assert.equal(third.status, 200);
  assert.equal((await request("/api/v1/configmaps?watch=1")).status, 429);
  for (const r of [watches[2], again, third]) await r.body!.cancel();
  const after = await Promise.all([1, 2, 3].map(() => request("/api/v1/configmaps")));
  assert.deepEqual(after.map((r) => r.status), [200, 200, 200], "every slot came back");
  for (const r of after) await r.body?.cancel();
});
