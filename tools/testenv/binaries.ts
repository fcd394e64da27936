/**
 * testenv/binaries: the pinned Kubernetes binaries (etcd, kube-apiserver,
 * kube-controller-manager, kubectl, helm) that tools/kube/build.sh builds from the Go module proxy
 * into .cache/kube, and test-kubelet (tools/kube/kubelet, the test kubelet) beside them.
 * kubeTools() builds them once per process (serialized across processes by flock) and returns
 * their bin dir; without Go it fails plainly, in CI too: tests never skip.
 */

/** The repository root (no trailing slash). */
export const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(
  /\/$/,
  "",
);
const BUILD_SCRIPT = `${ROOT}/tools/kube/build.sh`;

/** The programs in the bin dir that kubeTools() returns. */
export const TOOLS = [
  "kube-apiserver",
  "kube-controller-manager",
  "kubectl",
  "etcd",
  "helm",
  "test-kubelet",
] as const;

let toolsPromise: Promise<string> | undefined;

/**
 * Builds (or reuses) the pinned Kubernetes tools with tools/kube/build.sh and returns their bin
 * dir. Throws when Go is missing, in CI as well as outside it: tests never skip.
 */
export function kubeTools(): Promise<string> {
  toolsPromise ??= runBuildScript().catch((err) => {
    toolsPromise = undefined;
    throw err;
  });
  return toolsPromise;
}

/**
 * Runs tools/kube/build.sh once, uncached (kubeTools() caches it), with `env` added to the
 * environment, and returns the bin dir it printed. Throws "Go is needed for the tests: ..." when
 * the tools must be built and Go is missing.
 */
export async function runBuildScript(env: Record<string, string> = {}): Promise<string> {
  await Deno.mkdir(`${ROOT}/.cache/kube`, { recursive: true });
  // flock serializes builds from parallel test processes; without it, run the script directly.
  const lock = `${ROOT}/.cache/kube/.build.lock`;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("flock", {
      args: [lock, "bash", BUILD_SCRIPT],
      env,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    child = new Deno.Command("bash", {
      args: [BUILD_SCRIPT],
      env,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
  }
  // Show the build's progress (it can take minutes) while keeping it for the error message.
  const errChunks: string[] = [];
  const decoder = new TextDecoder();
  const errDone = child.stderr.pipeTo(
    new WritableStream({
      write(chunk) {
        errChunks.push(decoder.decode(chunk, { stream: true }));
        Deno.stderr.writeSync(chunk);
      },
    }),
  );
  const [out, status] = await Promise.all([new Response(child.stdout).text(), child.status]);
  await errDone;
  const stderr = errChunks.join("");
  if (status.code === 3) {
    const ci = (env.CI ?? Deno.env.get("CI")) === "true"
      ? " (in CI too: the tests never skip)"
      : "";
    throw new Error(
      `Go is needed for the tests: kube-apiserver, etcd, kubectl, helm and test-kubelet are ` +
        `built from source with Go 1.26 or newer (https://go.dev/doc/install)${ci}. ` +
        `build.sh said: ${stderr.trim()}`,
    );
  }
  if (!status.success) {
    throw new Error(
      `tools/kube/build.sh failed (exit ${status.code}):\n${
        stderr.split("\n").slice(-40).join("\n")
      }`,
    );
  }
  const bin = out.trim().split("\n").pop() ?? "";
  for (const tool of TOOLS) {
    try {
      await Deno.stat(`${bin}/${tool}`);
    } catch {
      throw new Error(
        `tools/kube/build.sh printed ${JSON.stringify(bin)} but ${tool} is not there`,
      );
    }
  }
  return bin;
}
