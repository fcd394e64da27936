// End-to-end tests of a pod's Shell tab (the Terminal island: xterm.js over the Kubernetes
// remotecommand WebSocket protocol) in headless Chromium, against a real dashboard and a real
// control plane from tools/testenv/ (the pod page reads the pod from it).
//
//  1. "scripted exec stream": Playwright's page.routeWebSocket answers the terminal's WebSocket
//     with a scripted remotecommand server (a tiny line-editing "shell" speaking channel bytes),
//     so the island is tested alone: the exact exec/attach URLs and subprotocols, input, the
//     initial and later resize messages, `stty size` after a viewport resize, exit status and
//     Reconnect, the v5 close message on Disconnect, the retry with `sh` when the command is
//     missing, 24-bit colour (xterm's setAttribute("style") path), clipboard keys, the viewer's
//     notice, and no CSP violation anywhere.
//  2. "real shell": the same page against the real thing: the dashboard's proxy upgrading to
//     the API server, the apiserver streaming to the test kubelet (tools/kube/kubelet), a real
//     /bin/sh with a TTY: `echo $((6*7))` prints 42, and after the viewport shrinks `stty size`
//     reports the terminal's new size. Screenshot: screenshots/pod-shell.png.
//
// Needs: /usr/bin/chromium, the kube tools (tools/kube/build.sh, with test-kubelet for test 2),
// and for test 2 the proxy's WebSocket upgrade support (backend/cluster/proxy.ts).
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import type { Browser, BrowserContext, Page, WebSocketRoute } from "playwright-core";
import {
  type ControlPlane,
  createRunningPod,
  kubeRequest,
  sharedControlPlane,
} from "../../tools/testenv/mod.ts";
import {
  addKubeconfigCluster,
  currentWebBuild,
  hydrated,
  launchBrowser,
  signIn,
  startWebDashboard,
  type TestDashboard,
  watchCsp,
} from "./harness.ts";

const ADMIN_PASSWORD = "terminal-e2e-admin-password";
const VIEWER_PASSWORD = "terminal-e2e-viewer-password";
const SHOTS = decodeURIComponent(new URL("./screenshots/", import.meta.url).pathname);
const TIMEOUT = 20_000;
const NS = "term-e2e";

interface Session {
  context: BrowserContext;
  page: Page;
  /** CSP violations, console errors and uncaught exceptions. */
  problems: string[];
}

async function newSession(browser: Browser): Promise<Session> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 860 },
    permissions: ["clipboard-read", "clipboard-write"],
  });
  context.setDefaultTimeout(TIMEOUT);
  const problems: string[] = [];
  await watchCsp(context, problems);
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
  return { context, page, problems };
}

/** A dashboard with the shared control plane added as a cluster, a running pod, a browser. */
interface Setup {
  cp: ControlPlane;
  dash: TestDashboard;
  browser: Browser;
  clusterId: string;
  admin: Session;
  podUrl: string;
}

async function setUp(clusterName: string, pod: string): Promise<Setup> {
  await currentWebBuild();
  await Deno.mkdir(SHOTS, { recursive: true });
  const [cp, dash, browser] = await Promise.all([
    sharedControlPlane(),
    startWebDashboard({ adminPassword: ADMIN_PASSWORD }),
    launchBrowser(),
  ]) as [ControlPlane, TestDashboard, Browser];
  await createRunningPod(cp, NS, pod);
  const admin = await newSession(browser);
  const clusterId = await addKubeconfigCluster(admin.context, dash.url, ADMIN_PASSWORD, {
    name: clusterName,
    kubeconfig: await Deno.readTextFile(cp.kubeconfigPath),
  });
  const podUrl = `${dash.url}/clusters/${clusterId}/r/core/v1/pods/${NS}/${pod}?tab=shell`;
  return { cp, dash, browser, clusterId, admin, podUrl };
}

async function tearDown(s: Setup | undefined): Promise<void> {
  if (!s) return;
  await s.admin.context.close().catch(() => {});
  await s.browser.close().catch(() => {});
  await s.dash.stop();
}

/** The terminal's rows as text (xterm's DOM renderer; no-break spaces made plain). */
function terminalLines(page: Page): Promise<string[]> {
  return page.locator("[data-testid=terminal] .xterm-rows > div").evaluateAll((rows) =>
    rows.map((r) => (r.textContent ?? "").replace(/\u00a0/g, " ").trimEnd())
  );
}

/** Waits until a terminal row, trimmed, equals `line`. */
async function waitForLine(page: Page, line: string, timeout = TIMEOUT): Promise<void> {
  try {
    await page.waitForFunction(
      (want) =>
        [...document.querySelectorAll("[data-testid=terminal] .xterm-rows > div")].some((r) =>
          (r.textContent ?? "").replace(/\u00a0/g, " ").trim() === want
        ),
      line,
      { timeout },
    );
  } catch (err) {
    throw new Error(
      `no terminal line "${line}"; the terminal shows:\n${
        (await terminalLines(page)).filter(Boolean).join("\n")
      }\n${(err as Error).message}`,
    );
  }
}

/** The terminal's size as the island reports it (data-cols, data-rows). */
async function terminalSize(page: Page): Promise<{ cols: number; rows: number }> {
  const t = page.getByTestId("terminal");
  return {
    cols: Number(await t.getAttribute("data-cols")),
    rows: Number(await t.getAttribute("data-rows")),
  };
}

/** Shrinks the viewport and waits for the terminal to fit the new size; returns it. */
async function shrinkViewport(page: Page): Promise<{ cols: number; rows: number }> {
  const before = await terminalSize(page);
  await page.setViewportSize({ width: 900, height: 620 });
  await page.waitForFunction(
    ([cols, rows]) => {
      const t = document.querySelector("[data-testid=terminal]");
      return Number(t?.getAttribute("data-cols")) !== cols &&
        Number(t?.getAttribute("data-rows")) !== rows;
    },
    [before.cols, before.rows],
  );
  // Settled: the page's own scrollbar may come or go with the new layout and refit it once more.
  let after = await terminalSize(page);
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(300);
    const now = await terminalSize(page);
    if (now.cols === after.cols && now.rows === after.rows) break;
    after = now;
  }
  assert(after.cols < before.cols && after.rows < before.rows, JSON.stringify({ before, after }));
  return after;
}

/** Polls `cond` (in this process) until it holds. */
async function until(
  cond: () => boolean,
  what: string | (() => string),
  timeout = TIMEOUT,
): Promise<void> {
  const end = Date.now() + timeout;
  while (!cond()) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Double-clicks the middle of an element of the terminal (xterm's screen takes the events). */
async function dblclickText(page: Page, text: string): Promise<void> {
  const span = page.locator("[data-testid=terminal] .xterm-rows span", { hasText: text });
  await span.waitFor();
  const box = (await span.boundingBox())!;
  await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
}

async function status(page: Page): Promise<string> {
  return ((await page.getByTestId("terminal-status").textContent()) ?? "").trim();
}

async function waitForState(page: Page, state: string): Promise<void> {
  await page.locator(`[data-testid=terminal-status][data-state=${state}]`).waitFor();
}

async function typeLine(page: Page, text: string): Promise<void> {
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

// ---------------------------------------------------------------------------------------------
// A scripted remotecommand server for page.routeWebSocket

interface Script {
  sessions: { path: string; query: string; argv: string[]; protocols: string[] }[];
  resizes: { cols: number; rows: number }[];
  /** v5 close messages from the page: [255, stream]. */
  closes: number[][];
  stdin: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (channel: number, text: string) => {
  const b = enc.encode(text);
  const out = new Uint8Array(b.length + 1);
  out[0] = channel;
  out.set(b, 1);
  return Buffer.from(out);
};

/** Runs one scripted session on `ws`: a prompt, echo, a few commands, exit statuses. */
function scriptedShell(ws: WebSocketRoute, script: Script): void {
  const url = new URL(ws.url());
  const argv = url.searchParams.getAll("command");
  script.sessions.push({
    path: url.pathname,
    query: url.search,
    argv,
    protocols: ws.protocols(),
  });
  const out = (text: string) => ws.send(bytes(1, text));
  const exit = (code: number) => {
    ws.send(bytes(
      3,
      JSON.stringify(
        code === 0 ? { metadata: {}, status: "Success" } : {
          metadata: {},
          status: "Failure",
          message: `command terminated with non-zero exit code: ${code}`,
          reason: "NonZeroExitCode",
          details: { causes: [{ reason: "ExitCode", message: String(code) }] },
        },
      ),
    ));
    ws.close({ code: 1000 });
  };
  let size = { cols: 0, rows: 0 };
  let line = "";
  const run = (cmd: string) => {
    const m = /^exit (\d+)$/.exec(cmd);
    if (m) return exit(Number(m[1]));
    if (cmd === "echo $((6*7))") out("42\r\n");
    else if (cmd === "stty size") out(`${size.rows} ${size.cols}\r\n`);
    else if (cmd === "colors") {
      out(
        "\x1b[38;2;255;0;0mtruecolor\x1b[0m \x1b[48;2;0;0;255mbluebg\x1b[0m \x1b[31mansi\x1b[0m\r\n",
      );
    } else if (cmd) out(`sh: ${cmd}: not found\r\n`);
    out("$ ");
  };
  ws.onMessage((msg) => {
    const b = typeof msg === "string" ? enc.encode(msg) : new Uint8Array(msg);
    const data = b.subarray(1);
    if (b[0] === 4) {
      const s = JSON.parse(dec.decode(data));
      size = { cols: s.Width, rows: s.Height };
      script.resizes.push(size);
    } else if (b[0] === 255) {
      script.closes.push([...b]);
    } else if (b[0] === 0) {
      const text = dec.decode(data);
      script.stdin += text;
      for (const c of text) {
        if (c === "\r") {
          out("\r\n");
          const cmd = line;
          line = "";
          run(cmd.trim());
        } else if (c === "\x7f") {
          if (line) out("\b \b");
          line = line.slice(0, -1);
        } else {
          line += c;
          out(c);
        }
      }
    }
  });
  if (argv[0] === "/bin/nosuch") {
    out(
      'OCI runtime exec failed: exec failed: unable to start container process: exec: "/bin/nosuch": ' +
        "stat /bin/nosuch: no such file or directory: unknown\r\n",
    );
    exit(127);
    return;
  }
  out(url.pathname.endsWith("/attach") ? "attached to the main process\r\n$ " : "$ ");
}

Deno.test({
  name: "Shell tab against a scripted exec stream: protocol, resize, statuses, retry, CSP",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    let s: Setup | undefined;
    try {
      s = await setUp("term-scripted", "shell-scripted");
      const { page, problems } = s.admin;
      const base = `/api/clusters/${s.clusterId}/k8s/api/v1/namespaces/${NS}/pods/shell-scripted`;
      const script: Script = { sessions: [], resizes: [], closes: [], stdin: "" };
      await page.routeWebSocket(
        /\/pods\/[^/?]+\/(exec|attach)\?/,
        (ws) => scriptedShell(ws, script),
      );

      await t.step("the Shell tab renders the controls; the terminal loads", async () => {
        await page.goto(s!.podUrl);
        await hydrated(page);
        await page.getByRole("link", { name: "Shell" }).waitFor();
        assert.equal(
          await page.getByRole("link", { name: "Shell" }).getAttribute("aria-current"),
          "page",
        );
        await waitForState(page, "idle");
        assert.equal(await status(page), "not connected");
        assert.equal(await page.getByTestId("terminal-container").inputValue(), "main");
        assert.equal(await page.getByTestId("terminal-command").inputValue(), "/bin/sh");
        // xterm's injected <style> elements carry the page's nonce.
        const styles = await page.locator("[data-testid=terminal] style").evaluateAll((els) =>
          els.map((e) => (e as HTMLStyleElement).nonce ? "nonce" : "none")
        );
        assert(styles.length >= 2, `xterm injected ${styles.length} <style> elements`);
        assert.deepEqual(styles, styles.map(() => "nonce"));
      });

      await t.step(
        "Connect: exec URL, subprotocols, initial resize, input and output",
        async () => {
          await page.getByRole("button", { name: "Connect", exact: true }).click();
          await waitForState(page, "connected");
          assert.equal(await status(page), "connected");
          assert.equal(script.sessions.length, 1);
          assert.equal(
            script.sessions[0].path + script.sessions[0].query,
            `${base}/exec?container=main&command=/bin/sh&stdin=true&stdout=true&stderr=true&tty=true`,
          );
          assert.deepEqual(script.sessions[0].protocols, [
            "v5.channel.k8s.io",
            "v4.channel.k8s.io",
          ]);
          const size = await terminalSize(page);
          assert(size.cols > 40 && size.rows > 10, JSON.stringify(size));
          await until(() => script.resizes.length > 0, "the first resize message");
          assert.deepEqual(script.resizes[0], size);
          await waitForLine(page, "$");
          await typeLine(page, "echo $((6*7))");
          await waitForLine(page, "42");
          assert(script.stdin.endsWith("echo $((6*7))\r"), JSON.stringify(script.stdin));
        },
      );

      await t.step("a smaller viewport refits the terminal and resizes the TTY", async () => {
        const after = await shrinkViewport(page);
        await until(
          () => JSON.stringify(script.resizes.at(-1)) === JSON.stringify(after),
          () => `a resize message of ${JSON.stringify(after)}: ${JSON.stringify(script.resizes)}`,
        );
        await typeLine(page, "stty size");
        await waitForLine(page, `${after.rows} ${after.cols}`);
      });

      await t.step("24-bit colours render (CSSOM, not a blocked style attribute)", async () => {
        await typeLine(page, "colors");
        const red = page.locator("[data-testid=terminal] .xterm-rows span", {
          hasText: "truecolor",
        });
        await red.waitFor();
        assert.equal(await red.evaluate((e) => getComputedStyle(e).color), "rgb(255, 0, 0)");
        const blue = page.locator("[data-testid=terminal] .xterm-rows span", {
          hasText: "bluebg",
        });
        assert.equal(
          await blue.evaluate((e) => getComputedStyle(e).backgroundColor),
          "rgb(0, 0, 255)",
        );
      });

      await t.step(
        "clipboard: Ctrl+Shift+C copies the selection, Ctrl+Shift+V pastes",
        async () => {
          await dblclickText(page, "ansi");
          await page.keyboard.press("Control+Shift+C");
          const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
          const end = Date.now() + 5_000;
          while ((await clipboard()) !== "ansi" && Date.now() < end) await page.waitForTimeout(50);
          assert.equal(await clipboard(), "ansi", "the selection was copied");
          await page.evaluate(() => navigator.clipboard.writeText("echo pasted"));
          const before = script.stdin.length;
          await page.keyboard.press("Control+Shift+V");
          await waitForLine(page, "$ echo pasted");
          assert.equal(script.stdin.slice(before), "echo pasted");
          await page.keyboard.press("Enter");
        },
      );

      await t.step("exit 3: the session ended (exit code 3); Reconnect starts again", async () => {
        await typeLine(page, "exit 3");
        await waitForState(page, "ended");
        assert.equal(await status(page), "the session ended (exit code 3)");
        await page.getByRole("button", { name: "Reconnect" }).click();
        await waitForState(page, "connected");
        assert.deepEqual(script.sessions.at(-1)?.argv, ["/bin/sh"]);
        await shot(page, "pod-shell-scripted");
      });

      await t.step("Disconnect sends the v5 close of stdin and says so", async () => {
        await page.getByRole("button", { name: "Disconnect" }).click();
        await waitForState(page, "disconnected");
        assert.equal(await status(page), "disconnected: you disconnected");
        assert.deepEqual(script.closes.at(-1), [255, 0]);
      });

      await t.step("a missing command is retried once with sh, and the page says so", async () => {
        await page.getByTestId("terminal-command").fill("/bin/nosuch");
        await page.getByRole("button", { name: "Connect", exact: true }).click();
        await page.getByText("/bin/nosuch could not be started in the container; retried with sh")
          .first().waitFor();
        await waitForState(page, "connected");
        assert.deepEqual(script.sessions.slice(-2).map((x) => x.argv), [["/bin/nosuch"], ["sh"]]);
        await page.getByRole("button", { name: "Disconnect" }).click();
        await waitForState(page, "disconnected");
      });

      await t.step("Attach opens the attach subresource (no command, no stderr)", async () => {
        await page.getByRole("button", { name: "Attach" }).click();
        await waitForState(page, "connected");
        const last = script.sessions.at(-1)!;
        assert.equal(last.path, `${base}/attach`);
        assert.equal(last.query, "?container=main&stdin=true&stdout=true&tty=true");
        await waitForLine(page, "attached to the main process");
        await page.getByRole("button", { name: "Disconnect" }).click();
        await waitForState(page, "disconnected");
      });

      await t.step("a viewer sees a notice instead of a terminal", async () => {
        await s!.dash.auth.createUser("viewer", VIEWER_PASSWORD, "viewer");
        const viewer = await newSession(s!.browser);
        try {
          const vp = viewer.page;
          await vp.goto(s!.podUrl);
          await vp.waitForURL(/\/login\?next=/);
          const next = new URL(s!.podUrl);
          await signIn(vp, "viewer", VIEWER_PASSWORD, next.pathname + next.search);
          await vp.getByTestId("terminal-forbidden").getByText("A shell needs the editor role")
            .waitFor();
          assert.equal(await vp.locator(".xterm").count(), 0);
          assert.equal(await vp.getByRole("button", { name: "Connect", exact: true }).count(), 0);
          await shot(vp, "pod-shell-viewer");
          assert.deepEqual(viewer.problems, []);
        } finally {
          await viewer.context.close();
        }
      });

      await t.step("no CSP violation, console error or uncaught exception", () => {
        assert.deepEqual(problems, []);
      });
    } finally {
      await tearDown(s);
    }
  },
});

Deno.test({
  name: "Shell tab with a real shell: exec through the proxy to the test kubelet",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    let s: Setup | undefined;
    try {
      s = await setUp("term-real", "shell");
      const { page, problems } = s.admin;
      // What the socket did, for a failure's message.
      const trace: string[] = [];
      page.on("websocket", (ws) => {
        trace.push(`open ${ws.url()}`);
        ws.on("framereceived", (f) => trace.push(`<- ${JSON.stringify(String(f.payload))}`));
        ws.on("framesent", (f) => trace.push(`-> ${JSON.stringify(String(f.payload))}`));
        ws.on("socketerror", (e) => trace.push(`error ${e}`));
        ws.on("close", () => trace.push("close"));
      });
      const traced = async (fn: () => Promise<void>) => {
        try {
          await fn();
        } catch (err) {
          throw new Error(`${(err as Error).message}\nWebSocket trace:\n${trace.join("\n")}`);
        }
      };

      await t.step("Connect runs /bin/sh in the pod: echo $((6*7)) prints 42", async () => {
        await page.goto(s!.podUrl);
        await hydrated(page);
        await waitForState(page, "idle");
        // Port-forward stays kubectl's: the tab gives the command for this pod.
        await page.getByText(`-n ${NS} port-forward pod/shell`).waitFor();
        await page.getByRole("button", { name: "Connect", exact: true }).click();
        await page.locator(
          "[data-testid=terminal-status]:is([data-state=connected],[data-state=disconnected])",
        ).waitFor();
        assert.equal(await status(page), "connected", "the WebSocket to the pod opened");
        await traced(async () => {
          await page.waitForTimeout(300); // the shell's prompt
          await typeLine(page, "echo $((6*7))");
          await waitForLine(page, "42");
        });
      });

      await t.step("after the viewport shrinks, stty size reports the new size", async () => {
        const after = await shrinkViewport(page);
        // The resize message precedes the typed line on the socket; let the kubelet apply it.
        await page.waitForTimeout(500);
        await typeLine(page, "stty size");
        await waitForLine(page, `${after.rows} ${after.cols}`);
        await shot(page, "pod-shell");
      });

      await t.step("exit 0 ends the session with its exit code", async () => {
        await typeLine(page, "exit 0");
        await waitForState(page, "ended");
        assert.equal(await status(page), "the session ended (exit code 0)");
      });

      await t.step("a refused stream says why (the pod is gone: 404)", async () => {
        const res = await kubeRequest(
          s!.cp,
          "DELETE",
          `/api/v1/namespaces/${NS}/pods/shell?gracePeriodSeconds=0`,
        );
        assert(res.status < 300, `pod deleted: ${res.status}`);
        const before = problems.length;
        await page.getByRole("button", { name: "Reconnect" }).click();
        await waitForState(page, "disconnected");
        assert.equal(await status(page), 'disconnected: pods "shell" not found');
        // The dashboard accepts the stream and sends the API server's Status on the error
        // channel (kubectl prints it the same way): the browser logs nothing.
        assert.deepEqual(problems.splice(before), []);
      });

      await t.step("no CSP violation, console error or uncaught exception", () => {
        assert.deepEqual(problems, []);
      });
    } finally {
      await tearDown(s);
    }
  },
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}
