// runWatch (agent/watcher.ts) against a scripted API server: when the API server ends a watch,
// the agent resumes from the last resourceVersion it SAW in the events (bookmarks included), not
// from the one it started with, so the client gets every event exactly once; a 410 Gone on the
// resumed watch is passed on and ends it; a watch with the client's own timeoutSeconds is not
// resumed. Impersonation it may not do is refused before any watch goes out.
import assert from "node:assert/strict";
import type { KubeAccess } from "./kube.ts";
import type { Exchange } from "./tunnel.ts";
import type { TunnelUp } from "../proto/gen/agent/v1/TunnelUp.ts";
import type { Header } from "../proto/gen/agent/v1/Header.ts";
import { runWatch } from "./watcher.ts";

const cm = (type: string, rv: string) =>
  JSON.stringify({
    type,
    object: {
      kind: "ConfigMap",
      apiVersion: "v1",
      metadata: { name: `cm-${rv}`, resourceVersion: rv },
    },
  });
const bookmark = (rv: string) =>
  JSON.stringify({
    type: "BOOKMARK",
    object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: rv } },
  });
const gone = JSON.stringify({
  type: "ERROR",
  object: { kind: "Status", apiVersion: "v1", status: "Failure", reason: "Expired", code: 410 },
});

/** One scripted API server: each watch request gets the next list of lines, then the stream ends. */
function fakeKube(streams: string[][], onLast: () => void): { kube: KubeAccess; urls: URL[] } {
  const urls: URL[] = [];
  const fetch: KubeAccess["fetch"] = (pathAndQuery, init) => {
    urls.push(new URL(pathAndQuery, "https://api.test"));
    const lines = streams[urls.length - 1];
    if (!lines) {
      // No more scripted streams: the client goes away, as a cancelled watch does.
      onLast();
      return Promise.reject(init.signal?.reason ?? new Error("cancelled"));
    }
    return Promise.resolve(
      new Response(lines.map((l) => l + "\n").join(""), {
        status: 200,
        headers: { "content-type": "application/json" },
      }),
    );
  };
  const kube = {
    server: "https://api.test",
    fetch,
    forward: () => Promise.reject(new Error("not used by watches")),
  } as unknown as KubeAccess;
  return { kube, urls };
}

/** A tunnel that records the frames the dashboard would get. */
function fakeTunnel() {
  const abort = new AbortController();
  const frames: TunnelUp[] = [];
  let ended: string | undefined;
  const tunnel = {
    signal: abort.signal,
    write: (f: TunnelUp) => {
      frames.push(f);
      return Promise.resolve();
    },
    respond: (status: number) => {
      frames.push({ response: { status } });
      return Promise.resolve();
    },
    respondWhole: (status: number, headers: Header[], body: Uint8Array) => {
      frames.push({ response: { status, headers, body, complete: true } });
      return Promise.resolve();
    },
    sendBody: () => Promise.resolve(),
    finish: (error = "") => {
      ended = error;
    },
  };
  return {
    tunnel: tunnel as unknown as Exchange,
    frames,
    abort: () => abort.abort(new Error("cancelled by the test")),
    ended: () => ended,
  };
}

Deno.test("runWatch resumes from the last resourceVersion it saw", async (t) => {
  const cases: Array<{
    name: string;
    path: string;
    startRv: string;
    streams: string[][];
    /** The resourceVersion of each watch request ("" = none). */
    wantRvs: string[];
    /** The resourceVersions passed to the client, in order. */
    wantEvents: string[];
    /** How the tunnel ended: "cancelled" when the client went away, "" when the watch ended. */
    wantEnd: string;
  }> = [
    {
      name: "resumes after the last event of each stream, not from the start",
      path: "/api/v1/namespaces/a/configmaps",
      startRv: "100",
      streams: [
        [cm("ADDED", "101"), cm("MODIFIED", "102")],
        [cm("DELETED", "103")],
      ],
      wantRvs: ["100", "102", "103"],
      wantEvents: ["101", "102", "103"],
      wantEnd: "cancelled",
    },
    {
      name: "a bookmark moves the resume point too",
      path: "/api/v1/configmaps?labelSelector=a%3Db",
      startRv: "7",
      streams: [[cm("ADDED", "8"), bookmark("20")]],
      wantRvs: ["7", "20"],
      wantEvents: ["8", "20"],
      wantEnd: "cancelled",
    },
    {
      name: "a watch started without a resourceVersion resumes from the first one it saw",
      path: "/api/v1/configmaps",
      startRv: "",
      streams: [[cm("ADDED", "5"), cm("ADDED", "6")], []],
      wantRvs: ["", "6", "6"],
      wantEvents: ["5", "6"],
      wantEnd: "cancelled",
    },
    {
      name: "410 Gone on the resumed watch reaches the client and ends the watch",
      path: "/api/v1/configmaps",
      startRv: "1",
      streams: [[cm("ADDED", "2")], [gone]],
      wantRvs: ["1", "2"],
      wantEvents: ["2", ""],
      wantEnd: "",
    },
    {
      name: "the client's own timeoutSeconds is honoured, not resumed",
      path: "/api/v1/configmaps?timeoutSeconds=5",
      startRv: "1",
      streams: [[cm("ADDED", "2")]],
      wantRvs: ["1"],
      wantEvents: ["2"],
      wantEnd: "",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const tun = fakeTunnel();
      const { kube, urls } = fakeKube(c.streams, tun.abort);
      await runWatch(
        kube,
        { request_id: "r1", path: c.path, resource_version: c.startRv, headers: [] },
        tun.tunnel,
        { allowImpersonation: false },
      );
      assert.deepEqual(urls.map((u) => u.searchParams.get("resourceVersion") ?? ""), c.wantRvs);
      for (const u of urls) {
        assert.equal(u.searchParams.get("watch"), "true");
        // The client's own query survives every resume.
        const asked = new URLSearchParams(c.path.split("?")[1] ?? "");
        for (const [k, v] of asked) assert.equal(u.searchParams.get(k), v, k);
      }
      assert.deepEqual(tun.frames[0], { response: { status: 200 } });
      const events = tun.frames.slice(1).map((f) => f.watch_event?.resource_version);
      assert.deepEqual(events, c.wantEvents, "every event once, in order");
      assert.equal(tun.ended(), c.wantEnd);
    });
  }
});

Deno.test("runWatch refuses impersonation the agent may not do: 403, the API server never asked", async (t) => {
  const cases: Array<{ name: string; allow: boolean; user: string; why: RegExp }> = [
    {
      name: "installed without impersonation",
      allow: false,
      user: "dashboard:alice",
      why: /allowImpersonation=false\), so it cannot act as dashboard user "dashboard:alice"/,
    },
    {
      name: "outside the prefix",
      allow: true,
      user: "system:admin",
      why: /refused Impersonate-User: "system:admin"/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const tun = fakeTunnel();
      const { kube, urls } = fakeKube([[cm("ADDED", "2")]], tun.abort);
      await runWatch(
        kube,
        {
          request_id: "r1",
          path: "/api/v1/configmaps",
          resource_version: "",
          headers: [{ name: "Impersonate-User", value: c.user }],
        },
        tun.tunnel,
        { allowImpersonation: c.allow },
      );
      assert.equal(urls.length, 0, "no watch reached the API server");
      const res = tun.frames[0].response!;
      assert.equal(res.status, 403);
      const status = JSON.parse(new TextDecoder().decode(res.body as Uint8Array));
      assert.equal(status.reason, "Forbidden");
      assert.match(status.message, c.why);
    });
  }
});
