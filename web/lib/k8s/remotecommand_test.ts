// Tests of the remotecommand WebSocket protocol module (remotecommand.ts): the exec/attach URLs,
// framing of stdin/resize/close, decoding server messages, the Status and its exit code, the
// command field's word splitting and the retry-with-sh rule.
import assert from "node:assert/strict";
import {
  attachPath,
  CHANNEL,
  decodeMessage,
  defaultContainer,
  encodeBinaryStdin,
  encodeClose,
  encodeResize,
  encodeStdin,
  execPath,
  exitCodeOf,
  FAST_FAILURE_MS,
  hasCloseChannel,
  type KubeStatus,
  parseStatus,
  sessionOutcome,
  shouldRetryWithSh,
  splitCommand,
  SUBPROTOCOLS,
  webSocketUrl,
} from "./remotecommand.ts";

const target = { clusterId: "c1", namespace: "e2e", pod: "hello", container: "main" };
const dec = new TextDecoder();

Deno.test("exec and attach paths: one command= per argv element, the brief's parameters", () => {
  assert.equal(
    execPath(target, ["/bin/sh"]),
    "/api/clusters/c1/k8s/api/v1/namespaces/e2e/pods/hello/exec?container=main&command=/bin/sh" +
      "&stdin=true&stdout=true&stderr=true&tty=true",
  );
  assert.equal(
    execPath({ ...target, container: "a b" }, ["sh", "-c", "echo $HOME && ls"]),
    "/api/clusters/c1/k8s/api/v1/namespaces/e2e/pods/hello/exec?container=a%20b&command=sh" +
      "&command=-c&command=echo%20%24HOME%20%26%26%20ls&stdin=true&stdout=true&stderr=true&tty=true",
  );
  assert.throws(() => execPath(target, []), /needs a command/);
  assert.equal(
    attachPath({ ...target, pod: "p/../x" }),
    "/api/clusters/c1/k8s/api/v1/namespaces/e2e/pods/p%2F..%2Fx/attach?container=main" +
      "&stdin=true&stdout=true&tty=true",
  );
  // Round trip through URLSearchParams: what a server reads.
  const u = new URL("http://x" + execPath(target, ["bash", "-l", "a&b=c"]));
  assert.deepEqual(u.searchParams.getAll("command"), ["bash", "-l", "a&b=c"]);
  assert.equal(u.searchParams.get("container"), "main");
});

Deno.test("WebSocket URL follows the page's scheme; subprotocols v5 then v4", () => {
  assert.equal(
    webSocketUrl("/a?b", { protocol: "https:", host: "d.example:8443" }),
    "wss://d.example:8443/a?b",
  );
  assert.equal(
    webSocketUrl("/a", { protocol: "http:", host: "127.0.0.1:8088" }),
    "ws://127.0.0.1:8088/a",
  );
  assert.deepEqual([...SUBPROTOCOLS], ["v5.channel.k8s.io", "v4.channel.k8s.io"]);
  assert.equal(hasCloseChannel("v5.channel.k8s.io"), true);
  assert.equal(hasCloseChannel("v4.channel.k8s.io"), false);
  assert.equal(hasCloseChannel(""), false);
});

Deno.test("stdin, binary stdin, resize and close frames", () => {
  assert.deepEqual([...encodeStdin("ls\r")], [0, 0x6c, 0x73, 0x0d]);
  assert.deepEqual([...encodeStdin("é")], [0, 0xc3, 0xa9]); // UTF-8
  assert.deepEqual([...encodeStdin(new Uint8Array([3]))], [0, 3]);
  assert.deepEqual([...encodeBinaryStdin("\x1b[M\xff")], [0, 0x1b, 0x5b, 0x4d, 0xff]); // bytes
  const r = encodeResize(120, 40);
  assert.equal(r[0], CHANNEL.resize);
  assert.deepEqual(JSON.parse(dec.decode(r.subarray(1))), { Width: 120, Height: 40 });
  assert.deepEqual(JSON.parse(dec.decode(encodeResize(0, 10.7).subarray(1))), {
    Width: 1,
    Height: 10,
  });
  assert.deepEqual([...encodeClose()], [255, 0]);
});

Deno.test("decoding server messages by channel", () => {
  const msg = (...b: number[]) => new Uint8Array(b).buffer;
  const out = decodeMessage(msg(1, 0x34, 0x32));
  assert.equal(out.kind, "stdout");
  assert.equal(dec.decode((out as { data: Uint8Array }).data), "42");
  assert.equal(decodeMessage(msg(2, 0x21)).kind, "stderr");
  assert.equal(decodeMessage(msg(3, 0x7b)).kind, "error");
  assert.deepEqual(decodeMessage(msg(255, 1)), { kind: "close", stream: 1 });
  // Channel announcements (no payload), unknown channels and empty messages are ignored.
  assert.deepEqual(decodeMessage(msg(1)), { kind: "ignore", channel: 1 });
  assert.deepEqual(decodeMessage(msg(9, 1)), { kind: "ignore", channel: 9 });
  assert.deepEqual(decodeMessage(msg()), { kind: "ignore", channel: -1 });
  // A view into a larger buffer decodes only its own bytes.
  const big = new Uint8Array([7, 7, 1, 0x61, 7]);
  const view = decodeMessage(big.subarray(2, 4));
  assert.equal(dec.decode((view as { data: Uint8Array }).data), "a");
  // A text message is read as its UTF-8 bytes.
  assert.equal(decodeMessage("\x01hi").kind, "stdout");
});

const success: KubeStatus = { metadata: {}, status: "Success" } as KubeStatus;
const exit3: KubeStatus = {
  status: "Failure",
  message: "command terminated with non-zero exit code: error executing command [sh -c exit 3]",
  reason: "NonZeroExitCode",
  details: { causes: [{ reason: "ExitCode", message: "3" }] },
};

Deno.test("Status: parsing, exit codes and the status line", () => {
  assert.deepEqual(parseStatus(JSON.stringify(exit3)), exit3);
  assert.equal(parseStatus('{"status":"Fail'), null); // incomplete: keep collecting
  assert.equal(parseStatus("  "), null);
  assert.deepEqual(parseStatus("plain error text", true), {
    status: "Failure",
    message: "plain error text",
  });
  assert.equal(exitCodeOf(success), 0);
  assert.equal(exitCodeOf(exit3), 3);
  assert.equal(exitCodeOf({ status: "Failure", message: "boom" }), null);
  assert.equal(
    exitCodeOf({ status: "Failure", details: { causes: [{ reason: "ExitCode", message: "x" }] } }),
    null,
  );
  assert.deepEqual(sessionOutcome(success), {
    state: "ended",
    text: "the session ended (exit code 0)",
  });
  assert.deepEqual(sessionOutcome(exit3), {
    state: "ended",
    text: "the session ended (exit code 3)",
  });
  assert.deepEqual(
    sessionOutcome({ status: "Failure", message: 'pods "shell" not found', reason: "NotFound" }),
    { state: "disconnected", text: 'pods "shell" not found' },
  );
});

Deno.test("splitCommand: words, quotes and escapes", () => {
  assert.deepEqual(splitCommand("/bin/sh"), ["/bin/sh"]);
  assert.deepEqual(splitCommand("  bash   -l  "), ["bash", "-l"]);
  assert.deepEqual(splitCommand(`sh -c 'echo "$HOME"; ls'`), ["sh", "-c", 'echo "$HOME"; ls']);
  assert.deepEqual(splitCommand(`echo "a \\"b\\" \\n" c\\ d ''`), ["echo", 'a "b" \\n', "c d", ""]);
  assert.deepEqual(splitCommand(""), []);
  assert.throws(() => splitCommand("sh -c 'oops"), /unterminated '/);
  assert.throws(() => splitCommand('sh -c "oops'), /unterminated "/);
});

Deno.test("retry with sh: only a fast failure of a missing or unrunnable command, once", () => {
  const base = { argv: ["/bin/bash"], elapsedMs: 300, typed: false, retried: false };
  const notFound: KubeStatus = {
    status: "Failure",
    message:
      'OCI runtime exec failed: exec: "/bin/bash": stat /bin/bash: no such file or directory',
  };
  const exit127: KubeStatus = {
    status: "Failure",
    details: { causes: [{ reason: "ExitCode", message: "127" }] },
  };
  const exit126 = { ...exit127, details: { causes: [{ reason: "ExitCode", message: "126" }] } };
  assert.equal(shouldRetryWithSh({ ...base, status: notFound }), true);
  assert.equal(shouldRetryWithSh({ ...base, status: exit127 }), true);
  assert.equal(shouldRetryWithSh({ ...base, status: exit126 }), true);
  assert.equal(
    shouldRetryWithSh({
      ...base,
      status: { status: "Failure", message: 'executable file not found in $PATH: "zsh"' },
    }),
    true,
  );
  // Not: success, another exit code, the user typed (`exit 127`), slow, already sh, retried,
  // or no Status at all (the connection failed).
  assert.equal(shouldRetryWithSh({ ...base, status: success }), false);
  assert.equal(shouldRetryWithSh({ ...base, status: exit3 }), false);
  assert.equal(shouldRetryWithSh({ ...base, status: exit127, typed: true }), false);
  assert.equal(
    shouldRetryWithSh({ ...base, status: exit127, elapsedMs: FAST_FAILURE_MS + 1 }),
    false,
  );
  assert.equal(shouldRetryWithSh({ ...base, argv: ["sh"], status: exit127 }), false);
  assert.equal(shouldRetryWithSh({ ...base, status: exit127, retried: true }), false);
  assert.equal(shouldRetryWithSh({ ...base, status: null }), false);
  // A failure with a message unrelated to the executable is not retried.
  assert.equal(
    shouldRetryWithSh({ ...base, status: { status: "Failure", message: "pod is not running" } }),
    false,
  );
  assert.equal(
    shouldRetryWithSh({
      ...base,
      status: { status: "Failure", message: 'container not found ("x")' },
    }),
    false,
  );
});

Deno.test("default container: the annotation when it names a container, else the first", () => {
  const a = "kubectl.kubernetes.io/default-container";
  assert.equal(defaultContainer(["app", "sidecar"], undefined), "app");
  assert.equal(defaultContainer(["app", "sidecar"], { [a]: "sidecar" }), "sidecar");
  assert.equal(defaultContainer(["app", "sidecar"], { [a]: "gone" }), "app");
  assert.equal(defaultContainer([], {}), "");
});
