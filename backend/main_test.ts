// The README's run command on a fresh data directory: the dashboard prints its URL and a
// generated admin password once, serves /healthz, and that admin can log in. Runs backend/main.ts
// with exactly the permission flags of `deno task start`.
import assert from "node:assert/strict";
import { freePorts } from "../tools/ports.ts";

const ROOT = new URL("../", import.meta.url).pathname;

async function startFlags(): Promise<string[]> {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks as Record<
    string,
    string
  >;
  const run = tasks.start.split("&&").at(-1)!;
  return run.split(/\s+/).filter((w) => w.startsWith("--"));
}

Deno.test({
  name:
    "deno task start on a fresh machine: prints URL and admin password; /healthz; the admin logs in",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "dash-start-" });
    const [httpPort, grpcPort] = freePorts(2);
    const env = {
      DATA_DIR: dataDir,
      HTTP_ADDR: `127.0.0.1:${httpPort}`,
      GRPC_ADDR: `127.0.0.1:${grpcPort}`,
    };
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...(await startFlags()), `${ROOT}backend/main.ts`],
      env,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(
      new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>,
    )
      .getReader();
    const stderr = child.stderr.pipeTo(new WritableStream());
    try {
      let out = "";
      const until = Date.now() + 60_000;
      while (!/password: \S+/.test(out) && Date.now() < until) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      const url = /Dashboard running at (\S+)/.exec(out)?.[1];
      const password = /password: (\S+)/.exec(out)?.[1];
      assert.equal(url, `https://127.0.0.1:${httpPort}`, out);
      assert.ok(password && password.length >= 20, "a generated password is printed once");
      const http = Deno.createHttpClient({
        caCerts: [await Deno.readTextFile(`${dataDir}/tls/ca.crt`)],
      });
      try {
        const health = await fetch(`${url}/healthz`, { client: http } as RequestInit);
        assert.equal(await health.text(), "ok");
        const login = await fetch(`${url}/api/auth/login`, {
          method: "POST",
          client: http,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "admin", password }),
        } as RequestInit);
        assert.equal(login.status, 200);
        assert.match((await login.json()).token, /^kds_/);
        const keyMode = (await Deno.stat(`${dataDir}/encryption.key`)).mode! & 0o777;
        assert.equal(keyMode, 0o600, "the generated encryption key is private");
      } finally {
        http.close();
      }
    } finally {
      child.kill("SIGTERM");
      const status = await child.status;
      await reader.cancel().catch(() => {});
      await stderr.catch(() => {});
      assert.equal(status.code, 0, "SIGTERM shuts down cleanly");
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
