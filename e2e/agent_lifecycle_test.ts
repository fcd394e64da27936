// The agent's lifecycle, end to end against a REAL kube-apiserver and the REAL agent process:
// restarts of the agent (SIGTERM: stored credential, lossless watch), kill -9 and SIGSTOP of the
// agent (in-flight watches end promptly, then 503), deleting the cluster and rotating the
// credential (the stream ends, for good; a reinstall is the same cluster), and kill -9 of the
// dashboard, restarted on the same ports (the agent reconnects, a resumed watch misses
// nothing, /readyz follows). Reconnect times are printed.
import assert from "node:assert/strict";
import { certificateHash } from "../proto/wire.ts";
import { ensureNamespace, sharedControlPlane } from "../tools/testenv/mod.ts";
import {
  ADMIN_PASSWORD,
  ROOT,
  type RunningAgent,
  startAgent,
  type TestDashboard,
} from "../testing/harness.ts";
import { eventually } from "../testing/eventually.ts";
import {
  type ClusterJson,
  connectCluster,
  createAgentToken,
  getCluster,
  serviceAccountKubeconfig,
} from "../testing/clusters.ts";
import { freePorts } from "../tools/ports.ts";
import {
  type Api,
  connectMainAgent,
  k8s,
  listClusters,
  openWatch,
  readyz,
  shared,
  sleep,
  startAgentScene,
  statusStream,
  untilEnded,
  watchResumeCheck,
} from "./agent_fixtures.ts";

// ---------------------------------------------------------------------------------------------
// The dashboard as a separate process (for kill -9)

interface DashboardProcess extends Api {
  child: Deno.ChildProcess;
  caPem: string;
  http: Deno.HttpClient;
  logs(): Promise<string>;
  kill(signal: Deno.Signal): Promise<void>;
}

async function spawnDashboard(
  dataDir: string,
  httpPort: number,
  grpcPort: number,
  /** A session of the previous run on this DATA_DIR (sessions live in the store): no login. */
  adminToken?: string,
): Promise<DashboardProcess> {
  const logFile = await Deno.makeTempFile({ prefix: "dash-proc-log-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-no-legacy-abort", "-A", `${ROOT}backend/main.ts`],
    env: {
      DATA_DIR: dataDir,
      HTTP_ADDR: `127.0.0.1:${httpPort}`,
      GRPC_ADDR: `127.0.0.1:${grpcPort}`,
      ADMIN_PASSWORD,
      AGENT_HEARTBEAT_SECONDS: "1",
      LOG_LEVEL: "info",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = await Deno.open(logFile, { write: true, append: true });
  const copy = async (from: ReadableStream<Uint8Array>) => {
    for await (const chunk of from) {
      for (let off = 0; off < chunk.length;) off += await out.write(chunk.subarray(off));
    }
  };
  const pump = Promise.all([copy(child.stdout), copy(child.stderr)]).catch(() => {});
  const url = `https://127.0.0.1:${httpPort}`;
  const caPem = await eventually(
    "the dashboard's CA",
    () => Deno.readTextFile(`${dataDir}/tls/ca.crt`).catch(() => ""),
    { timeoutMs: 90_000, intervalMs: 50 },
  );
  const http = Deno.createHttpClient({ caCerts: [caPem] });
  const fetchIt = (path: string, init: RequestInit = {}) =>
    fetch(url + path, { ...init, client: http } as RequestInit);
  await eventually("the dashboard process to be ready", async () => {
    const r = await fetchIt("/readyz", { signal: AbortSignal.timeout(1000) });
    await r.body?.cancel();
    return r.status === 200;
  }, { timeoutMs: 90_000, intervalMs: 10 }).catch(async (err) => {
    throw new Error(`${err.message}\n${(await Deno.readTextFile(logFile)).slice(-3000)}`);
  });
  const api: TestDashboard["api"] = async (method, path, body, token) => {
    const res = await fetchIt(path, {
      method,
      headers: {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch { /* not JSON */ }
    return { status: res.status, json, text };
  };
  if (!adminToken) {
    const login = await api("POST", "/api/auth/login", {
      username: "admin",
      password: ADMIN_PASSWORD,
    });
    assert.equal(login.status, 200, login.text);
    adminToken = (login.json as { token: string }).token;
  }
  return {
    url,
    child,
    caPem,
    http,
    adminToken,
    api,
    fetch: fetchIt,
    logs: () => Deno.readTextFile(logFile),
    async kill(signal) {
      try {
        child.kill(signal);
      } catch { /* gone */ }
      await child.status;
      await pump;
      out.close();
      http.close();
    },
  };
}

Deno.test({
  name: "agent lifecycle: agent restart, kill -9, freeze; cluster delete; credential rotation",
  ...shared,
  async fn(t) {
    const scene = await startAgentScene();
    const { cp, dash, api, healthPort, agentEnv, agentKubeconfig } = scene;
    let agent: RunningAgent | undefined;
    let clusterId = "";
    /** Starts the agent again from its state dir (no token) and waits until it is connected. */
    const restartAgent = async () => {
      agent = await startAgent({
        dashboardUrl: dash.d.agentUrl,
        caHash: dash.d.caHash,
        kubeconfig: agentKubeconfig,
        stateDir: agent!.stateDir,
        extraEnv: agentEnv,
      });
      await eventually(
        "the agent to reconnect",
        async () =>
          (await getCluster(dash, clusterId)).status === "connected" &&
          dash.d.hub.session(clusterId),
        20_000,
      );
    };
    let ro: Awaited<ReturnType<typeof connectCluster>> | undefined;
    try {
      // The main agent (cluster-admin, with its health server) and a read-only one.
      ({ agent, clusterId } = await connectMainAgent(scene));
      ro = await connectCluster(dash, cp, "agent", "e2e-ro", {
        clusterRole: "view",
        preset: "read-only",
      });

      await t.step(
        "agent restart (SIGTERM): stored credential, no new cluster, lossless watch",
        async () => {
          const before = await listClusters(api);
          await watchResumeCheck(cp, () => api, clusterId, "agent-e2e-resume", async () => {
            const status = await agent!.stop();
            assert.equal(status.code, 0, "SIGTERM is a clean exit");
          }, async () => {
            await restartAgent();
          });
          const after = await listClusters(api);
          assert.deepEqual(
            after.map((c) => c.id).sort(),
            before.map((c) => c.id).sort(),
          );
          assert.equal((await readyz(healthPort)).status, 200);
          const log = await agent!.logs();
          assert.doesNotMatch(log, /registered with the dashboard/, "no second registration");
        },
      );

      await t.step("kill -9 of the agent: an in-flight watch ends promptly, then 503", async () => {
        const watchNs = "agent-e2e-drop";
        await ensureNamespace(cp, watchNs);
        const list = await (await k8s(api, clusterId, `/api/v1/namespaces/${watchNs}/configmaps`))
          .json();
        const watch = await openWatch(
          api,
          clusterId,
          `/api/v1/namespaces/${watchNs}/configmaps`,
          list.metadata.resourceVersion,
        );
        const pending = untilEnded(watch, 20_000);
        await sleep(300);
        const killedAt = performance.now();
        await agent!.stop("SIGKILL");
        await pending;
        const endMs = performance.now() - killedAt;
        console.log(
          `  in-flight watch ended ${
            endMs.toFixed(0)
          } ms after kill -9 of the agent (${watch.ended})`,
        );
        assert(endMs < 3_000, `the watch took ${endMs.toFixed(0)} ms to end`);
        const t0 = performance.now();
        const r = await k8s(api, clusterId, `/api/v1/namespaces/${watchNs}/configmaps`);
        const body = await r.json();
        assert.equal(r.status, 503, JSON.stringify(body));
        assert.match(body.message, /agent offline/);
        assert(performance.now() - t0 < 1000, "the 503 is immediate");
        await eventually(
          "status to leave connected",
          async () => (await getCluster(dash, clusterId)).status !== "connected",
          5_000,
        );
        await restartAgent();
      });

      await t.step(
        "a frozen agent (SIGSTOP): the heartbeat deadline ends in-flight requests",
        async () => {
          const watchNs = "agent-e2e-frozen";
          await ensureNamespace(cp, watchNs);
          const path = `/api/v1/namespaces/${watchNs}/configmaps`;
          const list = await (await k8s(api, clusterId, path)).json();
          const watch = await openWatch(api, clusterId, path, list.metadata.resourceVersion);
          const pending = untilEnded(watch, 30_000);
          await sleep(300);
          const frozenAt = performance.now();
          agent!.process.kill("SIGSTOP");
          try {
            // The TCP connection stays up: only the heartbeat deadline (2.5 x 1 s) can notice.
            await pending;
            const endMs = performance.now() - frozenAt;
            console.log(
              `  in-flight watch ended ${
                endMs.toFixed(0)
              } ms after the agent froze (${watch.ended})`,
            );
            assert(endMs < 6_000, `the watch hung for ${endMs.toFixed(0)} ms`);
            const r = await k8s(api, clusterId, path);
            const body = await r.json();
            assert.equal(r.status, 503, JSON.stringify(body));
            assert.match(body.message, /agent offline/);
            assert.ok(dash.d.hub.session(clusterId) === undefined, "no live session");
          } finally {
            agent!.process.kill("SIGCONT");
          }
          await eventually(
            "the thawed agent to reconnect",
            async () =>
              (await getCluster(dash, clusterId)).status === "connected" &&
              dash.d.hub.session(clusterId),
            20_000,
          );
          const r = await k8s(api, clusterId, path);
          assert.equal(r.status, 200, await r.text());
        },
      );

      await t.step(
        "deleting the cluster closes the agent's stream within 1 s, for good",
        async () => {
          assert.equal((await readyz(healthPort)).status, 200);
          const t0 = performance.now();
          const del = await dash.api(
            "DELETE",
            `/api/clusters/${clusterId}`,
            undefined,
            dash.adminToken,
          );
          assert.equal(del.status, 204, del.text);
          await eventually(
            "the agent's /readyz to drop",
            async () => (await readyz(healthPort)).status === 503,
            { timeoutMs: 5_000, intervalMs: 5 },
          );
          const closedMs = performance.now() - t0;
          console.log(`  cluster delete -> agent stream closed: ${closedMs.toFixed(0)} ms`);
          assert(closedMs <= 1_000, `the stream closed after ${closedMs.toFixed(0)} ms`);
          await eventually(
            "the agent to be refused",
            async () => /UNAUTHENTICATED|credential is not valid/.test(await agent!.logs()),
            10_000,
          );
          const log = await agent!.logs();
          assert.match(log, /the cluster was deleted from the dashboard/);
          assert.match(log, /the agent credential is not valid/);
          const ready = await readyz(healthPort);
          assert.equal(ready.status, 503);
          assert.match(ready.text, /credential is not valid|connecting|backoff/);
          const clusters = await listClusters(api);
          assert(
            !clusters.some((c) => c.id === clusterId || c.name === "e2e-main"),
            "not re-created",
          );
          assert.ok(dash.d.hub.session(clusterId) === undefined, "no live session");
        },
      );

      await t.step(
        "rotating a credential ends the stream; the status leaves connected",
        async () => {
          const roId = ro!.id;
          assert.equal((await getCluster(dash, roId)).status, "connected");
          const r = await dash.api(
            "POST",
            `/api/clusters/${roId}/agent/rotate`,
            undefined,
            dash.adminToken,
          );
          assert.equal(r.status, 200, r.text);
          assert.ok(dash.d.hub.session(roId) === undefined, "no live session");
          await eventually(
            "the old credential to be refused",
            async () => /the agent credential is not valid/.test(await ro!.agent!.logs()),
            10_000,
          );
          await eventually(
            "the status to leave connected",
            async () => (await getCluster(dash, roId)).status !== "connected",
            5_000,
          ).catch(async (err) => {
            throw new Error(`${err.message}: ${JSON.stringify(await getCluster(dash, roId))}`);
          });
          assert.equal(dash.d.hub.size, 0);

          // Reinstall: the rotation answered with a token bound to this cluster; the agent,
          // restarted with it and its old state, registers again as the SAME cluster.
          // The reinstall commands carry no token: it comes beside them (the dialog shows it and
          // the script asks for it, or reads DASHBOARD_TOKEN_FILE).
          const { token, install_command, helm_command } = r.json as {
            token: string;
            install_command: string;
            helm_command: string;
          };
          assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
          assert.match(install_command, /^dashboard_agent_install\(\) \($/m);
          assert.match(install_command, /--cluster-name 'e2e-ro'/);
          assert.match(install_command, / --chart-sha256 '[0-9a-f]{64}' "\$@"$/m);
          assert.match(
            helm_command,
            /--set-file token=<\(tr -d '\[:space:\]' < "\$DASHBOARD_TOKEN_FILE"\)/,
          );
          for (const cmd of [install_command, helm_command]) {
            assert.ok(!cmd.includes(token), `the token is not in the command:\n${cmd}`);
            assert.doesNotMatch(cmd, /AGENT_TOKEN=|--token /);
          }
          await ro!.agent!.stop();
          const again = await startAgent({
            dashboardUrl: dash.d.agentUrl,
            caHash: dash.d.caHash,
            kubeconfig: ro!.agentKubeconfig!,
            token,
            stateDir: ro!.agent!.stateDir,
          });
          try {
            await eventually(
              "the reinstalled agent to connect",
              async () => (await getCluster(dash, roId)).status === "connected",
              15_000,
            );
            const clusters = await listClusters(api);
            assert.equal(clusters.filter((c) => c.name === "e2e-ro").length, 1, "no new cluster");
          } finally {
            await again.stop();
          }
        },
      );
    } finally {
      await agent?.stop();
      await ro?.close();
      await dash.stop();
    }
  },
});

Deno.test({
  name: "agent lifecycle: kill -9 of the dashboard, restart on the same ports; /readyz follows",
  ...shared,
  async fn(t) {
    const cp = await sharedControlPlane();
    const dataDir = await Deno.makeTempDir({ prefix: "dash-proc-" });
    const [httpPort, grpcPort, healthPort] = freePorts(3);
    let dash: DashboardProcess | undefined = await spawnDashboard(dataDir, httpPort, grpcPort);
    let agent: RunningAgent | undefined;
    let clusterId = "";
    const current = () => dash!;
    const clusterStatus = async () => {
      const r = await current().api(
        "GET",
        `/api/clusters/${clusterId}`,
        undefined,
        current().adminToken,
      );
      return r.status === 200 ? (r.json as ClusterJson).status : `HTTP ${r.status}`;
    };
    try {
      await t.step("/readyz is 503 before the agent has connected, 200 once it has", async () => {
        const { token } = await createAgentToken(
          current() as unknown as TestDashboard,
          "proc-cluster",
        );
        // The dashboard is frozen while the agent starts: the agent cannot connect yet.
        dash!.child.kill("SIGSTOP");
        try {
          agent = await startAgent({
            dashboardUrl: `https://127.0.0.1:${grpcPort}`,
            caHash: await certificateHash(dash!.caPem),
            kubeconfig: await serviceAccountKubeconfig(cp, "agent-proc", "cluster-admin"),
            token,
            extraEnv: { HEALTH_ADDR: `127.0.0.1:${healthPort}` },
          });
          const before = await eventually(
            "the agent's health server",
            async () =>
              (await readyz(healthPort)).status === 0 ? undefined : await readyz(healthPort),
            { timeoutMs: 20_000, intervalMs: 25 },
          );
          await sleep(500);
          const still = await readyz(healthPort);
          console.log(`  /readyz before connecting: ${before.status} ${before.text.trim()}`);
          assert.equal(before.status, 503, before.text);
          assert.equal(still.status, 503, still.text);
        } finally {
          dash!.child.kill("SIGCONT");
        }
        await eventually(
          "the agent to connect",
          async () => (await readyz(healthPort)).status === 200,
          { timeoutMs: 30_000, intervalMs: 25 },
        );
        const c = (await listClusters(current())).find((c) => c.name === "proc-cluster");
        assert(c, "registered");
        clusterId = c.id;
        await eventually("status connected", async () => (await clusterStatus()) === "connected", {
          timeoutMs: 10_000,
          intervalMs: 25,
        });
      });

      await t.step(
        "kill -9 of the dashboard: the agent reconnects (connected -> reconnecting -> connected) and a resumed watch misses nothing",
        async () => {
          const cycles: string[] = [];
          const adminToken = current().adminToken;
          let sse: ReturnType<typeof statusStream> | undefined;
          let down: { status: number; text: string } | undefined;
          let killedAt = 0, killedAtWall = 0, downMs = 0, spawnedAt = 0, listeningAt = 0;
          const kill = async () => {
            assert.equal(await clusterStatus(), "connected");
            const before = statusStream(current(), current().http);
            await eventually(
              "the SSE snapshot",
              () => Promise.resolve(before.statuses(clusterId).length > 0),
              { timeoutMs: 5_000, intervalMs: 25 },
            );
            assert.equal(before.statuses(clusterId)[0], "connected");
            await before.close();
            killedAt = performance.now();
            killedAtWall = Date.now();
            await dash!.kill("SIGKILL");
            dash = undefined;
            down = await eventually("the agent's /readyz to drop", async () => {
              const r = await readyz(healthPort);
              return r.status === 503 ? r : undefined;
            }, { timeoutMs: 10_000, intervalMs: 10 });
            downMs = performance.now() - killedAt;
          };
          const restart = async (freezeAgent: boolean) => {
            // Frozen, the agent cannot beat the status stream to the new dashboard.
            if (freezeAgent) agent!.process.kill("SIGSTOP");
            try {
              spawnedAt = performance.now();
              dash = await spawnDashboard(dataDir, httpPort, grpcPort, adminToken);
              listeningAt = performance.now();
              sse = statusStream(current(), current().http);
              if (freezeAgent) {
                await eventually(
                  "the SSE snapshot",
                  () => Promise.resolve(sse!.statuses(clusterId).length > 0),
                  { timeoutMs: 5_000, intervalMs: 25 },
                );
              }
            } finally {
              if (freezeAgent) agent!.process.kill("SIGCONT");
            }
            await eventually(
              "status connected again",
              async () => (await clusterStatus()) === "connected",
              { timeoutMs: 60_000, intervalMs: 20 },
            );
          };
          // The first outage is natural: the status stream of the new dashboard usually opens
          // before the agent (in jittered backoff) gets back in. If the agent won that race, a
          // second outage freezes the agent while the dashboard restarts.
          for (let cycle = 1; cycle <= 2; cycle++) {
            if (cycle === 1) {
              await watchResumeCheck(
                cp,
                current,
                clusterId,
                "agent-e2e-proc-resume",
                kill,
                () => restart(false),
              );
            } else {
              await kill();
              await restart(true);
            }
            const connectedAt = performance.now();
            await eventually(
              "the SSE to report connected",
              () => Promise.resolve(sse!.statuses(clusterId).includes("connected")),
              { timeoutMs: 5_000, intervalMs: 25 },
            );
            const seen = sse!.statuses(clusterId);
            await sse!.close();
            assert.equal((await readyz(healthPort)).status, 200);
            cycles.push(
              `outage ${cycle}${cycle === 2 ? " (agent frozen during the restart)" : ""}: ` +
                `agent /readyz 503 ${downMs.toFixed(0)} ms after kill -9 (${
                  down!.text.trim().slice(0, 50)
                }); dashboard start ${(listeningAt - spawnedAt).toFixed(0)} ms; ` +
                `agent reconnected ${(connectedAt - listeningAt).toFixed(0)} ms after the new ` +
                `dashboard listened; SSE saw ${seen.join(" -> ")}`,
            );
            if (seen[0] === "reconnecting" || seen[0] === "offline") {
              assert.equal(seen.at(-1), "connected");
              // Its last heartbeat is the killed hub's own (written every H = 1 s while agents
              // are connected), not the time it connected.
              const beat = Date.parse(sse!.seen.find((s) => s.id === clusterId)?.beat ?? "");
              assert.ok(
                beat <= killedAtWall + 500 && killedAtWall - beat <= 3_500,
                `last heartbeat after the restart ${new Date(beat).toISOString()}, ` +
                  `killed at ${new Date(killedAtWall).toISOString()}`,
              );
              break;
            }
            assert(cycle < 2, `never saw the transition:\n${cycles.join("\n")}`);
          }
          for (const c of cycles) console.log(`  ${c}`);
          assert.equal((await listClusters(current())).length, 1, "no new cluster");
          const log = await agent!.logs();
          assert.equal(log.match(/registered with the dashboard/g)?.length, 1, "registered once");
        },
      );
    } finally {
      await agent?.stop();
      await dash?.kill("SIGTERM");
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
