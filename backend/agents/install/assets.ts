// Public downloads served by the dashboard itself, so no chart registry is needed: the agent's
// install script (agent/install.sh) and two Helm charts, each packaged as <name>-<VERSION>.tgz and
// built in memory on the first request:
//   - the agent's chart (deploy/helm/dashboard-agent): dashboard-agent-<VERSION>.tgz;
//   - the dashboard's own chart (deploy/helm/kube-dashboard): kube-dashboard-<VERSION>.tgz, to
//     install or upgrade a dashboard (docs/operations.md, "Install the dashboard with Helm").
// Both at GET /api/agents/charts/<file>. Mounted under /api before authentication: `curl | bash`
// and `helm install <url>` carry no dashboard credentials, and no file holds a secret (the token
// travels separately). A chart packs to the same bytes every time, so the agent chart's SHA-256
// (chartSha256) goes into the install command, through the admin's authenticated session, and
// install.sh refuses a chart that does not match it; install.sh's own SHA-256
// (INSTALL_SCRIPT_SHA256) goes into the command too, which runs only a script that matches.
import { Buffer } from "node:buffer";
import { Hono } from "hono";
// @ts-types="npm:@types/tar-stream@^3.1.4"
import tarStream from "tar-stream";
import { parse as parseYaml } from "yaml";
import { errorBody } from "../../http/errors.ts";
import { VERSION } from "../../../common/version.ts";
import { PROJECT_ROOT } from "../../../common/project_root.ts";

export const INSTALL_SCRIPT = new URL("agent/install.sh", PROJECT_ROOT);

/**
 * agent/install.sh as this process serves it: read once, when the module loads, so the bytes served
 * and the hash the install commands carry (INSTALL_SCRIPT_SHA256) can never differ, even if the
 * file changes on disk while the dashboard runs.
 */
const INSTALL_SCRIPT_BYTES: Uint8Array<ArrayBuffer> = await Deno.readFile(INSTALL_SCRIPT);
/** Hex SHA-256 of the install.sh this process serves; the install command checks it. */
export const INSTALL_SCRIPT_SHA256: string = Array.from(
  new Uint8Array(await crypto.subtle.digest("SHA-256", INSTALL_SCRIPT_BYTES)),
  (b) => b.toString(16).padStart(2, "0"),
).join("");

/** A chart the dashboard serves: its name (Chart.yaml's, and the file's) and its directory. */
export interface ServedChart {
  name: string;
  dir: URL;
}

/** The agent's chart, which install commands and install.sh download. */
export const AGENT_CHART: ServedChart = {
  name: "dashboard-agent",
  dir: new URL("deploy/helm/dashboard-agent/", PROJECT_ROOT),
};
/** The dashboard's own chart. */
export const DASHBOARD_CHART: ServedChart = {
  name: "kube-dashboard",
  dir: new URL("deploy/helm/kube-dashboard/", PROJECT_ROOT),
};
/** Every chart served, each as <name>-<VERSION>.tgz. */
export const SERVED_CHARTS: readonly ServedChart[] = [AGENT_CHART, DASHBOARD_CHART];
export const CHART_DIR = AGENT_CHART.dir;
/** Every entry gets this mtime, so the same chart always packs to the same bytes. */
const EPOCH = new Date("2000-01-01T00:00:00Z");

/** Chart files (relative paths, sorted), skipping what .helmignore-style junk and tests are. */
async function chartFiles(dir: URL, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix + e.name;
    if (e.isDirectory) out.push(...await chartFiles(new URL(`${e.name}/`, dir), `${rel}/`));
    else if (e.isFile && !/(_test\.ts|~|\.swp|\.bak|\.tmp)$/.test(e.name)) out.push(rel);
  }
  return out.sort();
}

/**
 * A gzipped tar of the chart in `dir` with paths <name>/..., as `helm package` lays it out. Its
 * Chart.yaml must name `name` at version VERSION (the default: the agent's chart).
 */
export async function packChart(
  dir: URL = AGENT_CHART.dir,
  name: string = AGENT_CHART.name,
): Promise<Uint8Array<ArrayBuffer>> {
  const chart = parseYaml(await Deno.readTextFile(new URL("Chart.yaml", dir))) as {
    name?: string;
    version?: string;
  };
  if (chart.name !== name || chart.version !== VERSION) {
    throw new Error(
      `the chart in ${dir.pathname} is ${chart.name}-${chart.version}, expected ${name}-${VERSION}`,
    );
  }
  const pack = tarStream.pack();
  const collected = (async () => {
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    for await (const c of pack) chunks.push(new Uint8Array(c as Uint8Array));
    return chunks;
  })();
  for (const rel of await chartFiles(dir)) {
    // tar-stream takes a Buffer (a Uint8Array subclass) for the entry's bytes.
    const data = Buffer.from(await Deno.readFile(new URL(rel, dir)));
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        { name: `${name}/${rel}`, mode: 0o644, mtime: EPOCH, uid: 0, gid: 0 },
        data,
        (err) => err ? reject(err) : resolve(),
      )
    );
  }
  pack.finalize();
  const tar = new Blob(await collected);
  const gz = tar.stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(gz).arrayBuffer());
}

/** Builds once per key; a failed build is forgotten, so the next call retries it. */
function memo<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = make().catch((err) => {
      cache.delete(key);
      throw err;
    });
    cache.set(key, p);
  }
  return p;
}

const packed = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

/** The packed chart (default: the agent's), built once per process. */
export function chartBytes(chart: ServedChart = AGENT_CHART): Promise<Uint8Array<ArrayBuffer>> {
  return memo(packed, chart.name, () => packChart(chart.dir, chart.name));
}

/**
 * Hex SHA-256 of a chart the dashboard serves (default: the agent's, as install.sh --chart-sha256
 * expects it).
 */
export async function chartSha256(chart: ServedChart = AGENT_CHART): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await chartBytes(chart)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The public download routes (mounted under /api). `charts` replaces the served charts (tests:
 * another directory); those are packed once per router, the default ones once per process.
 */
export function agentAssetRoutes(
  opts: { charts?: readonly ServedChart[]; installScript?: URL } = {},
): Hono {
  const app = new Hono();
  const charts = opts.charts ?? SERVED_CHARTS;
  const files = new Map(charts.map((chart) => [`${chart.name}-${VERSION}.tgz`, chart]));
  const own = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  const bytesOf = (chart: ServedChart) =>
    opts.charts ? memo(own, chart.name, () => packChart(chart.dir, chart.name)) : chartBytes(chart);
  const scripts = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

  app.get("/agents/install.sh", async (c) => {
    // Bytes, not text: the command carries their SHA-256.
    const script = opts.installScript
      ? await memo(scripts, "install.sh", () => Deno.readFile(opts.installScript!))
      : INSTALL_SCRIPT_BYTES;
    return c.body(script.slice().buffer, 200, {
      "content-type": "text/x-shellscript; charset=utf-8",
      "cache-control": "no-cache",
    });
  });

  app.get("/agents/charts/:file", async (c) => {
    const file = c.req.param("file");
    const chart = files.get(file);
    if (!chart) {
      return c.json(
        errorBody(
          "not_found",
          `no chart ${file}: this dashboard serves ${[...files.keys()].join(", ")}`,
        ),
        404,
      );
    }
    const bytes = await bytesOf(chart);
    return c.body(bytes.slice().buffer, 200, {
      "content-type": "application/gzip",
      "content-disposition": `attachment; filename="${file}"`,
      "cache-control": "no-cache",
    });
  });

  return app;
}
