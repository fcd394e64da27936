// Public downloads for installing an agent, served by the dashboard itself so no chart registry
// is needed: the install script (agent/install.sh) and the agent's Helm chart
// (deploy/helm/dashboard-agent) packaged as dashboard-agent-<VERSION>.tgz, built in memory on the
// first request. Mounted under /api before authentication: `curl | bash` and `helm install <url>`
// carry no dashboard credentials, and neither file holds a secret (the token travels separately).
// The chart packs to the same bytes every time, so its SHA-256 (chartSha256) goes into the
// install command, through the admin's authenticated session, and install.sh refuses a chart
// that does not match it.
import { Buffer } from "node:buffer";
import { Hono } from "hono";
// @ts-types="npm:@types/tar-stream@^3.1.4"
import tarStream from "tar-stream";
import { parse as parseYaml } from "yaml";
import { errorBody } from "../../http/errors.ts";
import { VERSION } from "../../../common/version.ts";

const ROOT = new URL("../../../", import.meta.url);
export const CHART_DIR = new URL("deploy/helm/dashboard-agent/", ROOT);
export const INSTALL_SCRIPT = new URL("agent/install.sh", ROOT);
const CHART_NAME = "dashboard-agent";
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

/** A gzipped tar of the chart with paths dashboard-agent/..., as `helm package` lays it out. */
export async function packChart(dir: URL = CHART_DIR): Promise<Uint8Array<ArrayBuffer>> {
  const chart = parseYaml(await Deno.readTextFile(new URL("Chart.yaml", dir))) as {
    name?: string;
    version?: string;
  };
  if (chart.name !== CHART_NAME || chart.version !== VERSION) {
    throw new Error(
      `the chart in ${dir.pathname} is ${chart.name}-${chart.version}, expected ${CHART_NAME}-${VERSION}`,
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
        { name: `${CHART_NAME}/${rel}`, mode: 0o644, mtime: EPOCH, uid: 0, gid: 0 },
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

let defaultChart: Promise<Uint8Array<ArrayBuffer>> | undefined;

/** The packed default chart, built once (a failed build is retried on the next call). */
export function chartBytes(): Promise<Uint8Array<ArrayBuffer>> {
  defaultChart ??= packChart().catch((err) => {
    defaultChart = undefined;
    throw err;
  });
  return defaultChart;
}

/** Hex SHA-256 of the chart the dashboard serves, as install.sh --chart-sha256 expects it. */
export async function chartSha256(): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await chartBytes()));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function agentAssetRoutes(opts: { chartDir?: URL; installScript?: URL } = {}): Hono {
  const app = new Hono();
  let script: Promise<string> | undefined;
  let chart: Promise<Uint8Array> | undefined;
  const once = <T>(make: () => Promise<T>, reset: () => void) =>
    make().catch((err) => {
      reset(); // a failed build is retried on the next request
      throw err;
    });

  app.get("/agents/install.sh", async (c) => {
    script ??= once(
      () => Deno.readTextFile(opts.installScript ?? INSTALL_SCRIPT),
      () => script = undefined,
    );
    return c.body(await script, 200, {
      "content-type": "text/x-shellscript; charset=utf-8",
      "cache-control": "no-cache",
    });
  });

  app.get("/agents/charts/:file", async (c) => {
    const file = c.req.param("file");
    if (file !== `${CHART_NAME}-${VERSION}.tgz`) {
      return c.json(
        errorBody(
          "not_found",
          `no chart ${file}: this dashboard serves ${CHART_NAME}-${VERSION}.tgz`,
        ),
        404,
      );
    }
    chart ??= opts.chartDir
      ? once(() => packChart(opts.chartDir), () => chart = undefined)
      : chartBytes();
    const bytes = await chart;
    return c.body(bytes.slice().buffer, 200, {
      "content-type": "application/gzip",
      "content-disposition": `attachment; filename="${file}"`,
      "cache-control": "no-cache",
    });
  });

  return app;
}
