// Impersonation through the agent against the REAL kube-apiserver, with its audit log as the
// witness. The agent runs as the chart's ServiceAccount (the chart installed with a custom preset
// that reads nothing but namespaces, plus allowImpersonation): so whatever it lists, it lists
// with the impersonated person's rights, never its own. Requests and exec streams go through the
// agent's own code path: a tunnel line (./tunnel.ts, over an in-memory call standing in for gRPC)
// handing each request to proxyRequest, each watch to runWatch and each stream to runStream, as
// the dialer does; the
// dialer's earlier refusal of the same headers is covered in stream_test.ts.
//
// dashboard:alice may get, list and watch pods, and exec into them, in namespace A only.
// Through the agent: alice lists pods in A (200) and gets 403 from the API server in B, and the
// audit log shows the agent's ServiceAccount acting as dashboard:alice with her groups, one group
// per header line; a name outside the prefix (system:admin, system:masters) or any impersonation
// on an agent installed without it is refused by the agent (403) and never reaches the API server.
import assert from "node:assert/strict";
import {
  type AuditEvent,
  createRunningPod,
  ensureNamespace,
  kubeRequest,
  sharedControlPlane,
  tokenKubeconfig,
} from "../tools/testenv/mod.ts";
import { installChart, RELEASE } from "../testing/chart.ts";
import { duplexPair } from "../testing/duplex.ts";
import { eventually } from "../testing/eventually.ts";
import type { TunnelUp, TunnelUp__Output } from "../proto/gen/agent/v1/TunnelUp.ts";
import type { TunnelDown__Output } from "../proto/gen/agent/v1/TunnelDown.ts";
import { type ImpersonationPolicy, type KubeAccess, loadKube } from "./kube.ts";
import { type TunnelCall, TunnelLine } from "./tunnel.ts";
import { proxyRequest } from "./proxy.ts";
import { runStream } from "./stream.ts";
import { runWatch } from "./watcher.ts";

const shared = { sanitizeOps: false, sanitizeResources: false };
const AGENT_NS = "imp-agent";
const A = "imp-a";
const B = "imp-b";
const AGENT_USER = `system:serviceaccount:${AGENT_NS}:${RELEASE}`;
const V5 = "v5.channel.k8s.io";
const dec = new TextDecoder();

type Pairs = Array<[string, string]>;
const alice = (groups: string[] = ["dashboard:role:viewer"]): Pairs => [
  ["Impersonate-User", "dashboard:alice"],
  ...groups.map((g): [string, string] => ["Impersonate-Group", g]),
];

/** One tunnel line of the agent, and the dashboard's end of it. */
function agentLine(kube: KubeAccess, policy: ImpersonationPolicy) {
  const { a, b } = duplexPair<TunnelUp, TunnelDown__Output>();
  const line = new TunnelLine(a as unknown as TunnelCall, "", {
    work: (exchange, work) => {
      // What the dialer's runWork does.
      const done = work.request
        ? proxyRequest(kube, work.request, exchange, policy)
        : work.watch
        ? runWatch(kube, work.watch, exchange, policy)
        : runStream(kube, work.stream, exchange, policy);
      done.catch((err) => console.error("agent work failed", err));
    },
    closed: () => {},
  });
  const frames = b.frames() as AsyncIterator<TunnelUp__Output>;
  const next = async (): Promise<TunnelUp__Output> => {
    const r = await frames.next();
    assert.ok(!r.done, "the agent closed the line");
    return r.value;
  };
  return { line, send: (f: TunnelDown__Output) => b.write(f), next };
}

/** A GET through the agent's request path: its status and body. */
async function get(
  kube: KubeAccess,
  policy: ImpersonationPolicy,
  path: string,
  headers: Pairs,
): Promise<{ status: number; text: string }> {
  const t = agentLine(kube, policy);
  try {
    assert.ok((await t.next()).open, "an idle line opens first");
    t.send({
      request: {
        request_id: "",
        method: "GET",
        path,
        headers: [["Accept", "application/json"], ...headers].map(([name, value]) => ({
          name,
          value,
        })),
        has_body: false,
      },
    });
    const head = (await t.next()).response!;
    let text = dec.decode(head.body);
    if (!head.complete) {
      for (;;) {
        const f = await t.next();
        if (f.end) break;
        text += dec.decode(f.body!.data);
      }
    }
    return { status: head.status, text };
  } finally {
    t.line.close("done");
  }
}

/** An exec through the agent's stream path: the status, and stdout when it was accepted. */
async function exec(
  kube: KubeAccess,
  policy: ImpersonationPolicy,
  ns: string,
  headers: Pairs,
): Promise<{ status: number; stdout: string; text: string }> {
  const t = agentLine(kube, policy);
  try {
    assert.ok((await t.next()).open);
    t.send({
      stream: {
        request_id: "",
        path: `/api/v1/namespaces/${ns}/pods/p/exec?command=echo&command=hi&stdout=true`,
        protocols: [V5],
        headers: headers.map(([name, value]) => ({ name, value })),
      },
    });
    const head = (await t.next()).response!;
    if (head.status !== 101) {
      let text = dec.decode(head.body);
      if (!head.complete) {
        for (let f = await t.next(); !f.end; f = await t.next()) text += dec.decode(f.body!.data);
      }
      return { status: head.status, stdout: "", text };
    }
    let stdout = "";
    for (let f = await t.next(); !f.end; f = await t.next()) {
      const data = new Uint8Array(f.message!.data);
      if (data[0] === 1) stdout += dec.decode(data.subarray(1));
    }
    return { status: 101, stdout, text: "" };
  } finally {
    t.line.close("done");
  }
}

const apply = async (path: string, body: unknown) => {
  const r = await kubeRequest(await sharedControlPlane(), "POST", path, body);
  assert.ok(r.status === 201 || r.status === 409, `${path}: ${JSON.stringify(r.body)}`);
};

Deno.test({
  name: "impersonation through the agent against the real API server, proven by its audit log",
  ...shared,
  async fn(t) {
    const cp = await sharedControlPlane();
    await Promise.all([createRunningPod(cp, A, "p"), createRunningPod(cp, B, "p")]);
    await ensureNamespace(cp, AGENT_NS);
    // The chart's own RBAC: a custom preset that lists no pods, plus impersonate on users/groups.
    await installChart(cp, AGENT_NS, {
      dashboard: { url: "https://dashboard.example.com:9090" },
      token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
      rbac: {
        preset: "custom",
        rules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get"] }],
      },
      allowImpersonation: true,
    });
    await apply(`/apis/rbac.authorization.k8s.io/v1/namespaces/${A}/roles`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "pod-reader" },
      rules: [
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] },
      ],
    });
    await apply(`/apis/rbac.authorization.k8s.io/v1/namespaces/${A}/rolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "alice-reads-pods" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "dashboard:alice" }],
    });
    const kube = await loadKube(
      await tokenKubeconfig(cp, await cp.serviceAccountToken(AGENT_NS, RELEASE), AGENT_NS),
    );
    const on: ImpersonationPolicy = { allowImpersonation: true, impersonationPrefix: "dashboard:" };
    const off: ImpersonationPolicy = { allowImpersonation: false };

    /** The completed requests the API server logged for `uri` (path and query as sent). */
    const logged = async (uri: string): Promise<AuditEvent[]> =>
      (await cp.auditEvents()).filter((e) => e.requestURI === uri && e.stage !== "ResponseStarted");
    const loggedOnce = async (uri: string): Promise<AuditEvent> => {
      await eventually(`${uri} in the audit log`, async () => (await logged(uri)).length > 0);
      const events = await logged(uri);
      assert.equal(events.length, 1, JSON.stringify(events));
      return events[0];
    };
    /** A query no other request sends: what the API server logged for it is this request's. */
    let n = 0;
    const unique = (path: string) => `${path}?fieldSelector=metadata.name%21%3Dcase-${++n}`;

    try {
      await t.step("the agent's own ServiceAccount may not list pods", async () => {
        const uri = unique(`/api/v1/namespaces/${A}/pods`);
        const r = await get(kube, on, uri, []);
        assert.equal(r.status, 403, r.text);
        assert.match(r.text, new RegExp(`User \\\\"${AGENT_USER}\\\\" cannot list`));
      });

      await t.step(
        "as dashboard:alice: pods in A are listed, the audit log names her",
        async () => {
          const uri = unique(`/api/v1/namespaces/${A}/pods`);
          const r = await get(kube, on, uri, alice(["dashboard:role:viewer", "dashboard:team-a"]));
          assert.equal(r.status, 200, r.text);
          const names = (JSON.parse(r.text) as { items: { metadata: { name: string } }[] }).items
            .map((i) => i.metadata.name);
          assert.deepEqual(names, ["p"]);
          const e = await loggedOnce(uri);
          assert.equal(e.user.username, AGENT_USER, "the agent authenticated");
          assert.equal(e.impersonatedUser?.username, "dashboard:alice", "and acted as alice");
          assert.deepEqual(
            e.impersonatedUser?.groups?.filter((g) => g.startsWith("dashboard:")),
            ["dashboard:role:viewer", "dashboard:team-a"],
            "one group per header line, never joined at a comma",
          );
          assert.equal(e.verb, "list");
          assert.equal(e.objectRef?.namespace, A);
          assert.equal(e.responseStatus?.code, 200);
        },
      );

      await t.step("as dashboard:alice: one pod (a small GET), groups kept apart", async () => {
        const path = `/api/v1/namespaces/${A}/pods/p`;
        const before = (await logged(path)).length;
        const r = await get(kube, on, path, alice(["dashboard:role:viewer", "dashboard:team-a"]));
        assert.equal(r.status, 200, r.text);
        await eventually(
          "the GET in the audit log",
          async () => (await logged(path)).length > before,
        );
        const e = (await logged(path)).at(-1)!;
        assert.equal(e.impersonatedUser?.username, "dashboard:alice");
        assert.deepEqual(
          e.impersonatedUser?.groups?.filter((g) => g.startsWith("dashboard:")),
          ["dashboard:role:viewer", "dashboard:team-a"],
        );
      });

      await t.step("a watch as dashboard:alice: pods in A, groups kept apart", async () => {
        const path = unique(`/api/v1/namespaces/${A}/pods`);
        const w = agentLine(kube, on);
        try {
          assert.ok((await w.next()).open);
          w.send({
            watch: {
              request_id: "",
              path,
              resource_version: "",
              headers: alice(["dashboard:role:viewer", "dashboard:team-a"]).map((
                [name, value],
              ) => ({ name, value })),
            },
          });
          assert.equal((await w.next()).response?.status, 200);
          const event = (await w.next()).watch_event!;
          assert.equal(event.type, "ADDED");
          assert.equal(JSON.parse(dec.decode(event.object)).metadata.name, "p");
        } finally {
          w.send({ end: { error: "cancelled" } });
          w.line.close("done");
        }
        const watches = async () =>
          (await cp.auditEvents()).filter((e) =>
            e.requestURI.startsWith(path) && e.verb === "watch"
          );
        await eventually("the watch in the audit log", async () => (await watches()).length > 0);
        const e = (await watches())[0];
        assert.equal(e.impersonatedUser?.username, "dashboard:alice");
        assert.deepEqual(
          e.impersonatedUser?.groups?.filter((g) => g.startsWith("dashboard:")),
          ["dashboard:role:viewer", "dashboard:team-a"],
        );
      });

      await t.step("as dashboard:alice: 403 from the API server in B", async () => {
        const uri = unique(`/api/v1/namespaces/${B}/pods`);
        const r = await get(kube, on, uri, alice());
        assert.equal(r.status, 403, r.text);
        assert.match(r.text, /User \\"dashboard:alice\\" cannot list resource \\"pods\\"/);
        const e = await loggedOnce(uri);
        assert.equal(e.impersonatedUser?.username, "dashboard:alice");
        assert.equal(e.responseStatus?.code, 403);
      });

      const refused: Array<
        { name: string; policy: ImpersonationPolicy; headers: Pairs; why: RegExp }
      > = [
        {
          name: "system:admin is outside the prefix",
          policy: on,
          headers: [["Impersonate-User", "system:admin"]],
          why:
            /only names that start with \\"dashboard:\\".*refused Impersonate-User: \\"system:admin\\"/,
        },
        {
          name: "system:masters is outside the prefix",
          policy: on,
          headers: alice(["system:masters"]),
          why: /refused Impersonate-Group: \\"system:masters\\"/,
        },
        {
          name: "Impersonate-Uid",
          policy: on,
          headers: [...alice(), ["Impersonate-Uid", "1"]],
          why: /not Impersonate-Uid/,
        },
        {
          name: "an agent installed without impersonation",
          policy: off,
          headers: alice(),
          why:
            /installed without impersonation \(allowImpersonation=false\), so it cannot act as dashboard user \\"dashboard:alice\\"/,
        },
      ];
      for (const c of refused) {
        await t.step(`refused by the agent, never sent: ${c.name}`, async () => {
          const uri = unique(`/api/v1/namespaces/${A}/pods`);
          const r = await get(kube, c.policy, uri, c.headers);
          assert.equal(r.status, 403, r.text);
          const status = JSON.parse(r.text);
          assert.equal(status.kind, "Status");
          assert.equal(status.reason, "Forbidden");
          assert.match(r.text, c.why);
          // A request sent after it is logged (events are written as requests complete); the
          // refused one never is.
          const after = unique(`/api/v1/namespaces/${A}/pods`);
          assert.equal((await get(kube, on, after, alice())).status, 200);
          await loggedOnce(after);
          assert.deepEqual(await logged(uri), [], "the API server never saw it");
        });
      }

      await t.step(
        "exec as dashboard:alice: runs in A, 403 in B, refused as system:admin",
        async () => {
          const ok = await exec(kube, on, A, alice(["dashboard:role:editor", "dashboard:team-a"]));
          assert.equal(ok.status, 101, ok.text);
          assert.equal(ok.stdout, "hi\n");
          const forbidden = await exec(kube, on, B, alice());
          assert.equal(forbidden.status, 403);
          assert.match(
            forbidden.text,
            /User \\"dashboard:alice\\" cannot (create|get) resource \\"pods\/exec\\"/,
          );
          const admin = await exec(kube, on, A, [["Impersonate-User", "system:admin"]]);
          assert.equal(admin.status, 403);
          assert.match(admin.text, /refused Impersonate-User: \\"system:admin\\"/);
          const asAgent = await exec(kube, off, A, alice());
          assert.equal(asAgent.status, 403);
          assert.match(asAgent.text, /allowImpersonation=false/);

          const execs = async () =>
            (await cp.auditEvents()).filter((e) =>
              e.objectRef?.subresource === "exec" && e.user.username === AGENT_USER &&
              e.stage === "ResponseComplete"
            );
          await eventually("both execs in the audit log", async () => (await execs()).length >= 2);
          const events = await execs();
          assert.deepEqual(
            events.map((
              e,
            ) => [e.objectRef?.namespace, e.impersonatedUser?.username, e.responseStatus?.code]),
            [[A, "dashboard:alice", 101], [B, "dashboard:alice", 403]],
          );
          assert.deepEqual(
            events[0].impersonatedUser?.groups?.filter((g) => g.startsWith("dashboard:")),
            ["dashboard:role:editor", "dashboard:team-a"],
            "a stream's groups, one header line each",
          );
        },
      );

      await t.step("nobody was ever impersonated outside the prefix", async () => {
        const mine = (await cp.auditEvents()).filter((e) => e.user.username === AGENT_USER);
        assert.ok(mine.length > 0);
        for (const e of mine) {
          const who = e.impersonatedUser;
          if (!who) continue;
          assert.ok(who.username.startsWith("dashboard:"), who.username);
          assert.ok(
            (who.groups ?? []).every((g) =>
              g.startsWith("dashboard:") || g === "system:authenticated"
            ),
            JSON.stringify(who.groups),
          );
        }
      });
    } finally {
      kube.close();
    }
  },
});
