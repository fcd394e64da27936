// Temp dirs of test processes that may die without cleaning up (SIGKILL): each such dir, made
// with ownedTempDir, holds owner.pid (the process that made it), and a later process removes the
// dirs whose owner is gone (removeStaleDirs). Test and development use only.

/** Whether process `pid` runs (/proc/<pid> exists). */
export function pidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** A new temp dir named `<prefix>…`, its owner.pid naming this process. */
export async function ownedTempDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  await Deno.writeTextFile(`${dir}/owner.pid`, `${Deno.pid}\n`);
  return dir;
}

/**
 * Removes the temp dirs named `<prefix>…` whose owner.pid names a process that no longer runs,
 * unless `inUse(dir)` says something still uses it. A dir without a readable owner.pid is not
 * ours and stays; an unreadable temp dir root means nothing to sweep.
 */
export async function removeStaleDirs(
  prefix: string,
  inUse: (dir: string) => boolean = () => false,
): Promise<void> {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  try {
    for await (const e of Deno.readDir(tmp)) {
      if (!e.isDirectory || !e.name.startsWith(prefix)) continue;
      const dir = `${tmp}/${e.name}`;
      const owner = Number((await Deno.readTextFile(`${dir}/owner.pid`).catch(() => "")).trim());
      if (!owner || pidAlive(owner)) continue; // not ours, or its process is still running
      if (inUse(dir)) continue;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  } catch { /* tmp unreadable: nothing to sweep */ }
}
