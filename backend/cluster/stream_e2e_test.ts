// End-to-end: kubectl exec, attach, cp and port-forward through the dashboard with REAL kubectl
// against a REAL kube-apiserver whose node's kubelet really streams (tools/kube/kubelet),
// table-driven over both connection types. Also what must be refused: viewers, cross-site
// WebSockets on a session cookie, SPDY clients; and what must end a stream: the cluster's
// deletion and the end of the person's session.
import assert from "node:assert/strict";
import { createRunningPod, ensureNamespace, sharedControlPlane } from "../../tools/testenv/mod.ts";
import { ADMIN_PASSWORD, startTestDashboard } from "../../testing/harness.ts";
import { connectCluster, type ConnectionKind, downloadKubeconfig } from "../../testing/clusters.ts";
import { eventually, withTimeout } from "../../testing/eventually.ts";
import { sha256Hex } from "../crypto/encoding.ts";
import { upgradeRequest, wsHandshake } from "../../testing/ws_handshake.ts";

const kinds: ConnectionKind[] = ["kubeconfig", "agent"];

interface Run {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Runs a command with binary stdin and collects everything. */
async function run(cmd: string, args: string[], stdin?: Uint8Array): Promise<Run> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(out.subarray(off, off + 65536));
  return out;
}

/** The command's end, or a failure (and the command killed) if it does not end within 10 s. */
async function ended(child: Deno.ChildProcess, what: string): Promise<Deno.CommandStatus> {
  try {
    return await withTimeout(child.status, 10_000, `${what} did not end`);
  } catch (err) {
    child.kill();
    await child.status;
    throw err;
  }
}

/** An HTTP server on a free local port that the test kubelet's port-forward reaches. */
function helloServer() {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => new Response(`hello ${new URL(req.url).pathname}`),
  );
}

for (const kind of kinds) {
  Deno.test({
    name: `streams e2e [${kind} cluster]: exec, attach, cp, port-forward, limits`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const cp = await sharedControlPlane();
      const dash = await startTestDashboard();
      const ns = `streams-${kind}`;
      await ensureNamespace(cp, ns);
      await createRunningPod(cp, ns, "shell");
      const cluster = await connectCluster(dash, cp, kind, `streams-${kind}`);
      const kubectlPath = `${cp.binDir}/kubectl`;
      try {
        const adminKc = await downloadKubeconfig(dash, cluster.id, dash.adminToken);
        const kubectl = (args: string[], stdin?: Uint8Array, kc = adminKc) =>
          run(kubectlPath, ["--kubeconfig", kc, "-n", ns, ...args], stdin);

        await t.step("kubectl exec -- echo hi", async () => {
          const r = await kubectl(["exec", "shell", "--", "echo", "hi"]);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(new TextDecoder().decode(r.stdout), "hi\n");
        });

        await t.step("kubectl exec -i round-trips 10 MB byte-exact", async () => {
          const data = randomBytes(10 * 1024 * 1024);
          const r = await kubectl(["exec", "-i", "shell", "--", "cat"], data);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.stdout.length, data.length);
          assert.equal(sha256Hex(r.stdout), sha256Hex(data));
        });

        await t.step("the API server's refusal reaches kubectl with its message", async () => {
          const r = await kubectl(["exec", "nope", "--", "echo", "hi"]);
          assert.notEqual(r.code, 0);
          assert.match(r.stderr, /pods "nope" not found/);
        });

        await t.step("the exit code passes through", async () => {
          const r = await kubectl(["exec", "shell", "--", "sh", "-c", "exit 3"]);
          assert.equal(r.code, 3, r.stderr);
        });

        await t.step("kubectl exec -it under a pseudo-terminal", async () => {
          const cmd = [kubectlPath, "--kubeconfig", adminKc, "-n", ns, "exec", "-it", "shell"]
            .concat(["--", "sh"]).join(" ");
          const r = await run(
            "script",
            ["-qec", `stty rows 31 cols 97; ${cmd}`, "/dev/null"],
            new TextEncoder().encode("stty size\nexit 4\n"),
          );
          const text = new TextDecoder().decode(r.stdout);
          assert.match(text, /\b31 97\b/, `stty size in: ${text}`);
          assert.equal(r.code, 4, text + r.stderr);
        });

        await t.step("kubectl cp of 50 MB into the pod and back, byte-exact", async () => {
          const dir = await Deno.makeTempDir({ prefix: "streams-cp-" });
          const data = randomBytes(50 * 1024 * 1024);
          await Deno.writeFile(`${dir}/in.bin`, data);
          const remote = `/tmp/streams-e2e-${kind}-${crypto.randomUUID()}.bin`;
          try {
            const into = await kubectl(["cp", `${dir}/in.bin`, `shell:${remote}`]);
            assert.equal(into.code, 0, into.stderr);
            const back = await kubectl(["cp", `shell:${remote}`, `${dir}/out.bin`]);
            assert.equal(back.code, 0, back.stderr);
            assert.equal(sha256Hex(await Deno.readFile(`${dir}/out.bin`)), sha256Hex(data));
          } finally {
            await Deno.remove(dir, { recursive: true });
            await Deno.remove(remote).catch(() => {});
          }
        });

        await t.step(
          "kubectl port-forward: 100 sequential and 20 concurrent requests",
          async () => {
            const server = helloServer();
            const child = new Deno.Command(kubectlPath, {
              args: [
                "--kubeconfig",
                adminKc,
                "-n",
                ns,
                "port-forward",
                "pod/shell",
                `:${server.addr.port}`,
              ],
              stdout: "piped",
              stderr: "piped",
            }).spawn();
            try {
              const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
              let seen = "";
              let local = 0;
              while (!local) {
                const { value, done } = await reader.read();
                if (done) throw new Error(`port-forward ended: ${seen}`);
                seen += value;
                local = Number(/127\.0\.0\.1:(\d+) ->/.exec(seen)?.[1] ?? 0);
              }
              for (let i = 0; i < 100; i++) {
                const r = await fetch(`http://127.0.0.1:${local}/seq/${i}`);
                assert.equal(await r.text(), `hello /seq/${i}`);
              }
              const texts = await Promise.all(
                Array.from(
                  { length: 20 },
                  (_, i) => fetch(`http://127.0.0.1:${local}/par/${i}`).then((r) => r.text()),
                ),
              );
              texts.forEach((text, i) => assert.equal(text, `hello /par/${i}`));
              reader.cancel().catch(() => {});
            } finally {
              child.kill();
              await child.status;
              await child.stderr.cancel().catch(() => {});
              await server.shutdown();
            }
          },
        );

        await t.step("kubectl attach sees the running process's output", async () => {
          const child = new Deno.Command(kubectlPath, {
            args: ["--kubeconfig", adminKc, "-n", ns, "attach", "shell", "-c", "main"],
            stdout: "piped",
            stderr: "null",
          }).spawn();
          try {
            const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
            let seen = "";
            while (!/attach line \d+/.test(seen)) {
              const { value, done } = await reader.read();
              if (done) throw new Error(`attach ended: ${seen}`);
              seen += value;
            }
            reader.cancel().catch(() => {});
          } finally {
            child.kill();
            await child.status;
          }
        });

        await t.step("a viewer gets 403 on exec", async () => {
          const created = await dash.api("POST", "/api/users", {
            username: `viewer-${kind}`,
            password: "viewer-password-123",
            role: "viewer",
          }, dash.adminToken);
          assert.equal(created.status, 201, created.text);
          const token = await dash.login(`viewer-${kind}`, "viewer-password-123");
          const kc = await downloadKubeconfig(dash, cluster.id, token);
          const r = await kubectl(["exec", "shell", "--", "echo", "hi"], undefined, kc);
          assert.notEqual(r.code, 0);
          assert.match(r.stderr, /viewers may only read/);
        });

        await t.step("a cross-site WebSocket on a session cookie is refused", async () => {
          const session = await dash.login("admin", ADMIN_PASSWORD);
          const r = await wsHandshake(
            `${dash.d.url}/api/clusters/${cluster.id}/k8s/api/v1/namespaces/${ns}/pods/shell/exec?command=id&stdout=true`,
            {
              headers: { cookie: `kd_session=${session}`, origin: "https://evil.example" },
              protocols: ["v5.channel.k8s.io"],
              caPem: dash.d.httpCaPem,
            },
          );
          assert.equal(r.status, 403, r.body);
          assert.match(r.body, /cross-site request refused/);
        });

        await t.step("a SPDY client gets 400", async () => {
          const r = await upgradeRequest(
            `${dash.d.url}/api/clusters/${cluster.id}/k8s/api/v1/namespaces/${ns}/pods/shell/exec?command=id&stdout=true`,
            {
              // kubectl's SPDY exec is a POST, whose refusal Deno.serve sends without its body
              // (docs/troubleshooting.md); a GET shows the message the dashboard gives.
              method: "GET",
              upgrade: "SPDY/3.1",
              headers: {
                authorization: `Bearer ${dash.adminToken}`,
                "x-stream-protocol-version": "v4.channel.k8s.io",
              },
              caPem: dash.d.httpCaPem,
            },
          );
          assert.equal(r.status, 400, r.body);
          assert.match(r.body, /WebSocket.*kubectl 1\.30 or newer/);
        });

        await t.step(
          "a password change (which ends sessions and tokens) closes an open exec",
          async () => {
            const created = await dash.api("POST", "/api/users", {
              username: `editor-${kind}`,
              password: "editor-password-123",
              role: "editor",
            }, dash.adminToken);
            assert.equal(created.status, 201, created.text);
            const token = await dash.login(`editor-${kind}`, "editor-password-123");
            // The downloaded kubeconfig carries a new API token of this user's.
            const kc = await downloadKubeconfig(dash, cluster.id, token);
            const child = new Deno.Command(kubectlPath, {
              args: ["--kubeconfig", kc, "-n", ns, "exec", "shell", "--", "sleep", "600"],
              stdout: "null",
              stderr: "piped",
            }).spawn();
            await eventually("the exec is open", () => dash.d.streams.size > 0 || undefined);
            const id = (created.json as { id: string }).id;
            const r = await dash.api("PATCH", `/api/users/${id}`, {
              password: "another-password-456",
            }, dash.adminToken);
            assert.equal(r.status, 200, r.text);
            const status = await ended(child, "the exec after the password change");
            const stderr = new TextDecoder().decode((await child.output()).stderr);
            assert.notEqual(status.code, 0);
            assert.match(stderr, /no longer valid/);
          },
        );

        await t.step(
          "taking away a person's role on the cluster closes their open exec",
          async () => {
            const username = `bound-${kind}`;
            const created = await dash.api("POST", "/api/users", {
              username,
              password: "bound-password-123",
              role: "none",
            }, dash.adminToken);
            assert.equal(created.status, 201, created.text);
            const binding = await dash.api("POST", "/api/role-bindings", {
              subject_kind: "user",
              subject: username,
              role: "editor",
              cluster_id: cluster.id,
            }, dash.adminToken);
            assert.equal(binding.status, 201, binding.text);
            const token = await dash.login(username, "bound-password-123");
            const kc = await downloadKubeconfig(dash, cluster.id, token);
            const child = new Deno.Command(kubectlPath, {
              args: ["--kubeconfig", kc, "-n", ns, "exec", "shell", "--", "sleep", "600"],
              stdout: "null",
              stderr: "piped",
            }).spawn();
            await eventually("the exec is open", () => dash.d.streams.size > 0 || undefined);
            const id = (binding.json as { id: string }).id;
            const r = await dash.api(
              "DELETE",
              `/api/role-bindings/${id}`,
              undefined,
              dash.adminToken,
            );
            assert.equal(r.status, 204, r.text);
            const status = await ended(child, "the exec after the binding's removal");
            const stderr = new TextDecoder().decode((await child.output()).stderr);
            assert.notEqual(status.code, 0);
            assert.match(stderr, /may no longer open streams on this cluster/);
          },
        );

        await t.step("deleting the cluster closes an open exec", async () => {
          const child = new Deno.Command(kubectlPath, {
            args: ["--kubeconfig", adminKc, "-n", ns, "exec", "shell", "--", "sleep", "600"],
            stdout: "null",
            stderr: "piped",
          }).spawn();
          await eventually("the exec is open", () => dash.d.streams.size > 0 || undefined);
          const started = performance.now();
          const r = await dash.api(
            "DELETE",
            `/api/clusters/${cluster.id}`,
            undefined,
            dash.adminToken,
          );
          assert.equal(r.status, 204, r.text);
          const status = await ended(child, "the exec after the cluster's deletion");
          const ms = performance.now() - started;
          const stderr = new TextDecoder().decode((await child.output()).stderr);
          assert.notEqual(status.code, 0);
          // Closed by the deletion itself, not later by the periodic recheck (no role on a
          // cluster that is gone): the reason says which.
          assert.match(stderr, /the cluster was deleted/);
          console.log(`exec closed ${ms.toFixed(0)} ms after the cluster's deletion`);
          assert.equal(dash.d.streams.size, 0);
        });
      } finally {
        await cluster.close();
        await dash.stop();
      }
    },
  });
}
