/**
 * testpg: a real PostgreSQL for tests.
 *
 * With TEST_DATABASE_URL set, that server is used (its URL must be able to CREATE and DROP
 * databases). Otherwise a throwaway server is started from Debian's binaries (the newest
 * /usr/lib/postgresql/<version>/bin) in a temp dir on a free 127.0.0.1 port, with fsync off and
 * trust authentication on loopback: once per test module (Deno gives each test module its own
 * globals), stopped and its temp dir removed at exit ('unload', SIGINT, SIGTERM). The server runs
 * under `setpriv --pdeathsig KILL`, so it also dies when this process is killed with SIGKILL; a
 * temp dir left behind that way is removed by the next start. When running as root, the temp dir
 * belongs to the `postgres` system user and initdb/postgres run through `runuser -u postgres --`
 * (PostgreSQL refuses to run as root). No binaries and no TEST_DATABASE_URL is an error that says
 * what to install; tests are never skipped silently. Test and development use only.
 */
import postgres from "postgres";
import { freePorts } from "./ports.ts";
import { ownedTempDir, pidAlive, removeStaleDirs } from "./stale_dirs.ts";

const TMP_PREFIX = "testpg-";
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_S = 15;

interface Server {
  url: string;
  dir: string;
  dataDir: string;
  binDir: string;
  child: Deno.ChildProcess;
  exited: boolean;
  stopped: boolean;
}

let server: Promise<Server> | undefined;
let live: Server | undefined;
let hooked = false;

/** The admin URL of the PostgreSQL server for this test process (started on first use). */
export async function testPostgresUrl(): Promise<string> {
  const external = Deno.env.get("TEST_DATABASE_URL");
  if (external) return external;
  if (server) {
    const s = await server.catch(() => undefined);
    if (s && !s.exited && !s.stopped) return s.url;
  }
  server = startServer();
  try {
    return (await server).url;
  } catch (err) {
    server = undefined;
    throw err;
  }
}

/** Creates a database with a random name on the test server; drop() removes it. */
export async function freshPostgresDb(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = await testPostgresUrl();
  const name = `test_${crypto.randomUUID().replaceAll("-", "")}`;
  await withAdmin(adminUrl, (sql) => sql.unsafe(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin(adminUrl, async (sql) => {
        try {
          await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } catch (err) {
          if ((err as { code?: string }).code !== "42601") throw err; // before PostgreSQL 13
          await sql.unsafe(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            [name],
          );
          await sql.unsafe(`DROP DATABASE IF EXISTS ${name}`);
        }
      });
    },
  };
}

async function withAdmin<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

// ---------------------------------------------------------------------------------------------
// The throwaway server

/** The newest /usr/lib/postgresql/<version>/bin with initdb, postgres and pg_ctl. */
export function findPostgresBinDir(root = "/usr/lib/postgresql"): string | undefined {
  const versions: { v: number[]; bin: string }[] = [];
  try {
    for (const e of Deno.readDirSync(root)) {
      if (!/^\d+(\.\d+)*$/.test(e.name)) continue;
      const bin = `${root}/${e.name}/bin`;
      if (["initdb", "postgres", "pg_ctl"].every((b) => isFile(`${bin}/${b}`))) {
        versions.push({ v: e.name.split(".").map(Number), bin });
      }
    }
  } catch {
    return undefined;
  }
  versions.sort((a, b) => (b.v[0] - a.v[0]) || ((b.v[1] ?? 0) - (a.v[1] ?? 0)));
  return versions[0]?.bin;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const asRoot = Deno.uid() === 0;

/** The command line running argv as the postgres user when we are root. */
function asPostgres(argv: string[]): string[] {
  return asRoot ? ["runuser", "-u", "postgres", "--", ...argv] : argv;
}

async function run(argv: string[], what: string): Promise<string> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    env: { LC_ALL: "C" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`testpg: ${what} failed (exit ${out.code}): ${text.trim()}`);
  return text;
}

async function startServer(): Promise<Server> {
  const binDir = findPostgresBinDir();
  if (!binDir) {
    throw new Error(
      "testpg: these tests need PostgreSQL. Install its server binaries (`apt-get install postgresql`, " +
        "which provides /usr/lib/postgresql/<version>/bin/initdb and postgres) or set " +
        "TEST_DATABASE_URL to the admin URL of a server the tests may create databases on.",
    );
  }
  await removeStaleDirs(TMP_PREFIX, postmasterAlive);
  const dir = await ownedTempDir(TMP_PREFIX);
  try {
    if (asRoot) await run(["chown", "postgres:postgres", dir], "chown of the temp dir to postgres");
    const dataDir = `${dir}/data`;
    await run(
      asPostgres([
        `${binDir}/initdb`,
        "-D",
        dataDir,
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--no-locale",
        "--no-sync",
      ]),
      "initdb",
    );
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await launch(binDir, dir, dataDir, freePorts(1)[0]);
      } catch (err) {
        lastError = err; // most likely the port was taken meanwhile: try another one
      }
    }
    throw lastError;
  } catch (err) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already gone */ }
    throw err;
  }
}

async function launch(binDir: string, dir: string, dataDir: string, port: number): Promise<Server> {
  const log = `${dir}/postgres.log`;
  const pgArgs = [
    `${binDir}/postgres`,
    "-D",
    dataDir,
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-k",
    dir,
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "max_connections=200",
    "-c",
    "shared_buffers=32MB",
    "-c",
    "lc_messages=C",
    "-c",
    "log_min_messages=warning",
  ];
  // sh sends the output to the log and execs postgres, keeping setpriv's parent-death signal: the
  // kernel kills the server when its parent dies (runuser, itself killed when we die).
  const sh = ["sh", "-c", 'log=$1; shift; exec "$@" >>"$log" 2>&1', "sh", log, ...pgArgs];
  const argv = [
    "setpriv",
    "--pdeathsig",
    "KILL",
    "--",
    ...asPostgres(["setpriv", "--pdeathsig", "KILL", "--", ...sh]),
  ];
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env: { LC_ALL: "C" },
  }).spawn();
  // The server lives across tests: don't let it hold the event loop (or trip the sanitizers).
  child.unref();
  const s: Server = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dir,
    dataDir,
    binDir,
    child,
    exited: false,
    stopped: false,
  };
  child.status.then(() => s.exited = true);
  hookExit();
  live = s;

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (s.exited) break;
    const sql = postgres(s.url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`SELECT 1`;
      return s;
    } catch (err) {
      lastError = err;
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const logText = (() => {
    try {
      return Deno.readTextFileSync(log).trim().split("\n").slice(-20).join("\n");
    } catch {
      return "(no log)";
    }
  })();
  stopSync(s, false);
  throw new Error(
    `testpg: postgres on 127.0.0.1:${port} did not become ready` +
      `${s.exited ? " (it exited)" : ""}: ${
        (lastError as Error)?.message ?? "timeout"
      }\n${logText}`,
  );
}

/** Stops the server (immediate shutdown) and, unless keepDir, removes its temp dir. */
function stopSync(s: Server, removeDir = true): void {
  if (s.stopped) return;
  s.stopped = true;
  if (live === s) live = undefined;
  if (!s.exited) {
    let ok = false;
    try {
      const argv = asPostgres([
        `${s.binDir}/pg_ctl`,
        "stop",
        "-D",
        s.dataDir,
        "-m",
        "immediate",
        "-w",
        "-t",
        String(STOP_TIMEOUT_S),
      ]);
      ok = new Deno.Command(argv[0], {
        args: argv.slice(1),
        stdin: "null",
        stdout: "null",
        stderr: "null",
      })
        .outputSync().success;
    } catch { /* fall through to SIGKILL */ }
    if (!ok) {
      try {
        s.child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  }
  if (removeDir) {
    try {
      Deno.removeSync(s.dir, { recursive: true });
    } catch { /* nothing to remove */ }
  }
}

function stopLiveSync(): void {
  if (live) stopSync(live);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  globalThis.addEventListener("unload", stopLiveSync);
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    try {
      Deno.addSignalListener(sig, () => {
        stopLiveSync();
        Deno.exit(code);
      });
    } catch { /* signals unavailable: 'unload' still stops it */ }
  }
}

function readOr(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** Whether the server of a temp dir left behind still runs (its postmaster.pid). */
function postmasterAlive(dir: string): boolean {
  const postmaster = Number(readOr(`${dir}/data/postmaster.pid`)?.split("\n")[0]);
  return !!postmaster && pidAlive(postmaster);
}
