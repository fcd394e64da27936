/**
 * testenv/process: the server processes of a control plane. Proc starts one under
 * `setpriv --pdeathsig KILL` (so the kernel kills it when this process dies, even by SIGKILL) with
 * its output in a log file; waitForReady() polls a readiness check through testing/eventually.ts
 * and fails at once, with the log tails, when a process it depends on exits. sweepStaleDirs()
 * removes temp dirs left by SIGKILLed test processes.
 */

import { eventually, StopTrying } from "../../testing/eventually.ts";

const KILL_WAIT_MS = 10_000;

/** Resolves after `ms` milliseconds. */
/** Whether a process runs (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a command to completion; throws with its stderr when it fails. Returns its stdout. */
export async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

/** The last `lines` lines of a log file, or "(no log)". */
export async function tail(path: string, lines = 30): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

let setprivChecked: boolean | undefined;
function hasSetpriv(): boolean {
  if (setprivChecked === undefined) {
    try {
      setprivChecked =
        new Deno.Command("setpriv", { args: ["--help"], stdout: "null", stderr: "null" })
          .outputSync().success;
    } catch {
      setprivChecked = false;
    }
  }
  return setprivChecked;
}

/** A server process whose output goes to a log file. */
export class Proc {
  readonly child: Deno.ChildProcess;
  readonly status: Promise<Deno.CommandStatus>;
  exited = false;

  constructor(readonly name: string, bin: string, args: string[], readonly log: string) {
    // sh redirects the output to the log and execs the server, keeping its pid; setpriv makes the
    // kernel kill it when this process dies, even by SIGKILL.
    const shArgs = ["-c", 'log=$1; shift; exec "$@" >>"$log" 2>&1', "sh", log, bin, ...args];
    const [cmd, cmdArgs] = hasSetpriv()
      ? ["setpriv", ["--pdeathsig", "KILL", "--", "sh", ...shArgs]]
      : ["sh", shArgs];
    this.child = new Deno.Command(cmd, {
      args: cmdArgs as string[],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.status = this.child.status.then((s) => {
      this.exited = true;
      return s;
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  killSync(): void {
    if (this.exited) return;
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  async kill(): Promise<void> {
    this.killSync();
    const timer = sleep(KILL_WAIT_MS).then(() => "timeout" as const);
    if ((await Promise.race([this.status, timer])) === "timeout") {
      throw new Error(`${this.name} (pid ${this.pid}) did not exit after SIGKILL`);
    }
  }
}

/**
 * Polls `check` every `intervalMs` until it is true; fails at once when one of `procs` exits and
 * after `timeoutMs` otherwise, with the tail of each process's log.
 */
export async function waitForReady(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  procs: Proc[] = [],
  intervalMs = 100,
): Promise<void> {
  await eventually(what, async () => {
    for (const p of procs) {
      if (p.exited) {
        throw new StopTrying(
          `${p.name} exited while waiting for ${what}; log:\n${await tail(p.log)}`,
        );
      }
    }
    return await check();
  }, {
    timeoutMs,
    intervalMs,
    message: async () =>
      (await Promise.all(procs.map(async (p) => `${p.name}:\n${await tail(p.log)}`))).join("\n"),
  });
}

let swept = false;

/** Removes temp dirs left by test processes that were SIGKILLed (their servers died with them). */
export async function sweepStaleDirs(base: string): Promise<void> {
  if (swept) return;
  swept = true;
  for await (const e of Deno.readDir(base)) {
    if (!e.isDirectory || !e.name.startsWith("testenv-")) continue;
    try {
      const owner = Number(await Deno.readTextFile(`${base}/${e.name}/owner.pid`));
      if (owner > 0 && !(await exists(`/proc/${owner}`))) {
        await Deno.remove(`${base}/${e.name}`, { recursive: true });
      }
    } catch {
      // not ours, or just gone
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
