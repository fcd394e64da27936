// The README's run command on a fresh data directory: the dashboard prints its URL and a
// generated admin password once, serves /healthz, and that admin can log in; a listener whose
// address is busy stops the start with a configuration error (exit 2). Runs the dashboard exactly
// as `deno task start` does (its bundle, flags and environment), after the steps before it.
import assert from "node:assert/strict";
import { freePorts } from "../tools/ports.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { startDashboard } from "./server.ts";
import { preparedDashboardLaunch } from "../testing/harness.ts";
import { eventually } from "../testing/eventually.ts";

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
      LOG_LEVEL: "debug",
    };
    const launch = await preparedDashboardLaunch();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...launch.flags, launch.main],
      env: { ...launch.env, ...env },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(
      new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>,
    )
      .getReader();
    let logs = "";
    const stderr = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (chunk) => void (logs += chunk) }),
    );
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
        // The launch flags expose V8's gc, so the memory reducer runs (its first collection 5 s
        // after start); without --expose-gc it would be silently off.
        await eventually(
          "the memory reducer's first collection",
          () => logs.includes('"msg":"memory reducer: full collection"'),
          20_000,
        );
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

/** Runs `deno task start`'s command with env until it exits (killed after timeoutMs). */
async function runDashboard(env: Record<string, string>, timeoutMs = 60_000) {
  const launch = await preparedDashboardLaunch();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...launch.flags, launch.main],
    env: { ...launch.env, LOG_LEVEL: "warn", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const out = await child.output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** stderr without the JSON log lines: what the process printed as plain text. */
const plainLines = (stderr: string) => stderr.split("\n").filter((l) => l && !l.startsWith("{"));

interface BusyCase {
  listener: string;
  busy: "http" | "grpc";
  env: Record<string, string>;
  setting: string;
  flag: string;
}

const busyCases: BusyCase[] = [
  {
    listener: "HTTPS (the TLS front)",
    busy: "http",
    env: {},
    setting: "HTTP_ADDR",
    flag: "--http-addr",
  },
  {
    listener: "plain HTTP (Deno.serve)",
    busy: "http",
    env: { HTTP_INSECURE: "true" },
    setting: "HTTP_ADDR",
    flag: "--http-addr",
  },
  { listener: "agent gRPC", busy: "grpc", env: {}, setting: "GRPC_ADDR", flag: "--grpc-addr" },
];

for (const c of busyCases) {
  Deno.test({
    name: `a busy ${c.listener} address: configuration error naming it and ${c.setting}, exit 2`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const dataDir = await Deno.makeTempDir({ prefix: "dash-busy-" });
      const [httpPort, grpcPort] = freePorts(2);
      const busyPort = c.busy === "http" ? httpPort : grpcPort;
      const occupant = Deno.listen({ hostname: "127.0.0.1", port: busyPort });
      try {
        const { code, stderr } = await runDashboard({
          DATA_DIR: dataDir,
          HTTP_ADDR: `127.0.0.1:${httpPort}`,
          GRPC_ADDR: `127.0.0.1:${grpcPort}`,
          ...c.env,
        });
        assert.equal(code, 2, stderr);
        // Exactly this text (grpc-js's own log line of the failed bind is dropped).
        assert.deepEqual(plainLines(stderr), [
          `configuration error: 127.0.0.1:${busyPort} is in use ` +
          `(set ${c.setting} or ${c.flag} to a free address)`,
          "See docs/configuration.md.",
        ]);
        assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
      } finally {
        occupant.close();
        await Deno.remove(dataDir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "a dashboard that cannot bind a listener closes what it opened: the DATA_DIR starts again",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "dash-busy-" });
    const occupant = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const busyPort = (occupant.addr as Deno.NetAddr).port;
    const config = (env: Record<string, string>) =>
      loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: "error", ...env });
    try {
      for (
        const env of [
          { HTTP_ADDR: "127.0.0.1:0", GRPC_ADDR: `127.0.0.1:${busyPort}` },
          { HTTP_ADDR: `127.0.0.1:${busyPort}`, GRPC_ADDR: "127.0.0.1:0" },
        ]
      ) {
        await assert.rejects(startDashboard(config(env)), (err: Error) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.match(err.message, new RegExp(`^127\\.0\\.0\\.1:${busyPort} is in use`));
          return true;
        });
      }
      // The lock on DATA_DIR and the embedded database were released: a start within the lock's
      // 2 s wait succeeds.
      const dashboard = await startDashboard(
        config({ HTTP_ADDR: "127.0.0.1:0", GRPC_ADDR: "127.0.0.1:0" }),
      );
      await dashboard.stop();
    } finally {
      occupant.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
