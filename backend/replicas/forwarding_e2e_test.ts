// End-to-end: two dashboard replicas on one REAL PostgreSQL, a REAL agent connected to replica A,
// and everything done through replica B: REAL kubectl get, a watch, exec (the kubelet really
// streams), the kubeconfig download; the cluster shows connected on both, held by A. Also what
// replicas refuse: peer calls without the peer secret, and a second agent with the same
// credential arriving at B while A's answers (the takeover rule across replicas); a clean stop of
// A leaves no cluster "connected" that nobody holds.
import assert from "node:assert/strict";
import { createRunningPod, ensureNamespace, sharedControlPlane } from "../../tools/testenv/mod.ts";
import { startAgent, startTestDashboard } from "../../testing/harness.ts";
import { connectCluster, downloadKubeconfig, getCluster } from "../../testing/clusters.ts";
import { eventually } from "../../testing/eventually.ts";
import { peerPath } from "./peer_protocol.ts";

const encryptionKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

Deno.test({
  name: "replicas e2e: an agent held by replica A serves kubectl, watches and exec through B",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cp = await sharedControlPlane();
    const a = await startTestDashboard({ store: "postgres", encryptionKey });
    const b = await startTestDashboard({ databaseUrl: a.databaseUrl, encryptionKey });
    let aStopped: Promise<void> | undefined;
    const stopA = () => aStopped ??= a.stop();
    const ns = "replicas-fwd";
    await ensureNamespace(cp, ns);
    await createRunningPod(cp, ns, "shell");
    const cluster = await connectCluster(a, cp, "agent", "replicas-fwd");
    const kubectl = `${cp.binDir}/kubectl`;
    try {
      assert.equal(a.d.caHash, b.d.caHash, "one CA for both replicas");
      await t.step("B shows the cluster connected, held by A", async () => {
        const onB = await getCluster(b, cluster.id) as unknown as {
          status: string;
          agent_replica_id: string;
        };
        assert.equal(onB.status, "connected");
        assert.equal(onB.agent_replica_id, a.d.hub.replica.id);
        assert.equal(b.d.hub.size, 0, "B holds no agent stream");
      });

      const kc = await downloadKubeconfig(b, cluster.id, b.adminToken);
      await t.step("kubectl get through B", async () => {
        const r = await run(kubectl, ["--kubeconfig", kc, "-n", ns, "get", "pods", "-o", "name"]);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /pod\/shell/);
      });

      await t.step("a watch through B sees a change made through B", async () => {
        const ctl = new AbortController();
        const res = await b.fetch(
          `/api/clusters/${cluster.id}/k8s/api/v1/namespaces/${ns}/configmaps?watch=1`,
          { headers: { authorization: `Bearer ${b.adminToken}` }, signal: ctl.signal },
        );
        assert.equal(res.status, 200);
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        const created = await run(kubectl, [
          "--kubeconfig",
          kc,
          "-n",
          ns,
          "create",
          "configmap",
          "through-b",
          "--from-literal=k=v",
        ]);
        assert.equal(created.code, 0, created.out);
        let seen = "";
        await eventually("the watch event of through-b", async () => {
          const { value } = await reader.read();
          seen += value ?? "";
          return seen.includes(`"name":"through-b"`);
        }, 10_000);
        ctl.abort();
      });

      await t.step("exec through B", async () => {
        const r = await run(kubectl, [
          "--kubeconfig",
          kc,
          "-n",
          ns,
          "exec",
          "shell",
          "--",
          "echo",
          "across-replicas",
        ]);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /across-replicas/);
      });

      await t.step("a peer call without the peer secret is refused", async () => {
        for (const auth of [undefined, "Bearer wrong", `Bearer ${b.adminToken}`]) {
          const res = await a.fetch(peerPath(cluster.id, "fetch"), {
            method: "POST",
            headers: {
              ...(auth ? { authorization: auth } : {}),
              "x-dashboard-peer-method": "GET",
              "x-dashboard-peer-path": "/api/v1/secrets",
            },
          });
          assert.equal(res.status, 401, `authorization ${auth}`);
          await res.body?.cancel();
        }
      });

      await t.step(
        "a second agent with the credential at B is refused while A's answers",
        async () => {
          const state = `${cluster.agent!.stateDir}`;
          const copy = await Deno.makeTempDir({ prefix: "agent-copy-" });
          await run("cp", ["-a", `${state}/.`, copy]);
          const intruder = await startAgent({
            dashboardUrl: b.d.agentUrl,
            caHash: b.d.caHash,
            kubeconfig: cluster.agentKubeconfig!,
            stateDir: copy,
          });
          try {
            await eventually(
              "the intruder's refusal",
              async () =>
                /another agent with this cluster's credential/.test(await intruder.logs()),
              20_000,
            );
            const onA = await getCluster(a, cluster.id) as unknown as { agent_replica_id: string };
            assert.equal(onA.agent_replica_id, a.d.hub.replica.id, "A still holds it");
            assert.equal(b.d.hub.size, 0);
          } finally {
            await intruder.stop();
          }
        },
      );

      await t.step("when A stops, B shows the cluster reconnecting at once", async () => {
        await stopA();
        // This agent dials A's own address (no load balancer here), so it cannot move to B.
        const onB = await getCluster(b, cluster.id) as unknown as {
          status: string;
          agent_replica_id: null;
        };
        assert.equal(onB.status, "reconnecting");
        assert.equal(onB.agent_replica_id, null);
        const res = await b.fetch(`/api/clusters/${cluster.id}/k8s/api/v1/namespaces`, {
          headers: { authorization: `Bearer ${b.adminToken}` },
        });
        assert.equal(res.status, 503);
        await res.body?.cancel();
      });
    } finally {
      await cluster.close();
      await b.stop();
      await stopA();
      await a.dropDb?.();
    }
  },
});
