// The messages of listeners that cannot bind, for each shape of error Deno, node:net/node:tls and
// grpc-js produce (the busy-address case runs end to end in backend/main_test.ts and
// agent/main_test.ts; a privileged port cannot be refused to root, which the tests run as).
import assert from "node:assert/strict";
import { formatAddr, listenErrorMessage, listenFailure } from "./listen_error.ts";

const nodeError = (code: string, message: string) => Object.assign(new Error(message), { code });
const grpcError = (inner: string) =>
  new Error(`No address added out of total 1 resolved errors: [${inner}]`);

Deno.test("listenFailure: Deno, node and grpc-js bind errors", () => {
  const cases: [unknown, ReturnType<typeof listenFailure>][] = [
    [new Deno.errors.AddrInUse("Address already in use (os error 98)"), "in-use"],
    [new Deno.errors.PermissionDenied("Permission denied (os error 13)"), "denied"],
    [
      new Deno.errors.AddrNotAvailable("Cannot assign requested address (os error 99)"),
      "unavailable",
    ],
    [nodeError("EADDRINUSE", "listen EADDRINUSE: address already in use 127.0.0.1:8080"), "in-use"],
    [nodeError("EACCES", "listen EACCES: permission denied 127.0.0.1:80"), "denied"],
    [nodeError("EINVAL", "listen EINVAL: invalid argument 10.99.99.99:8080"), "unavailable"],
    [grpcError("listen EADDRINUSE: address already in use 127.0.0.1:9090"), "in-use"],
    [grpcError("listen EACCES: permission denied 127.0.0.1:90"), "denied"],
    [grpcError("listen EINVAL: invalid argument 10.99.99.99:9090"), "unavailable"],
    // Not fixed by another address: rethrown as they are.
    [new Deno.errors.NotCapable("Requires net access"), undefined],
    [new Error("failed to lookup address information: Name or service not known"), undefined],
    ["EADDRINUSE", undefined],
    [null, undefined],
  ];
  for (const [err, want] of cases) assert.equal(listenFailure(err), want, String(err));
});

Deno.test("listenErrorMessage names the address and the setting", () => {
  const setting = { env: "HTTP_ADDR", flag: "--http-addr" };
  const at = (hostname: string, port: number) => ({ hostname, port });
  assert.equal(
    listenErrorMessage(new Deno.errors.AddrInUse("x"), at("127.0.0.1", 8080), setting),
    "127.0.0.1:8080 is in use (set HTTP_ADDR or --http-addr to a free address)",
  );
  assert.equal(
    listenErrorMessage(new Deno.errors.AddrInUse("x"), at("0.0.0.0", 8081), {
      env: "HEALTH_ADDR",
      flag: "--health-addr",
      inUseHint: ", e.g. 127.0.0.1:0 for any port",
    }),
    "0.0.0.0:8081 is in use (set HEALTH_ADDR or --health-addr to a free address, " +
      "e.g. 127.0.0.1:0 for any port)",
  );
  assert.equal(
    listenErrorMessage(new Deno.errors.PermissionDenied("x"), at("0.0.0.0", 443), setting),
    "0.0.0.0:443: permission denied, ports below 1024 need root or CAP_NET_BIND_SERVICE " +
      "(set HTTP_ADDR or --http-addr to a port from 1024 up)",
  );
  assert.equal(
    listenErrorMessage(new Deno.errors.PermissionDenied("x"), at("127.0.0.1", 8080), setting),
    "127.0.0.1:8080: permission denied (set HTTP_ADDR or --http-addr to another address)",
  );
  assert.equal(
    listenErrorMessage(
      grpcError("listen EINVAL: invalid argument 10.99.99.99:9090"),
      at("10.99.99.99", 9090),
      { env: "GRPC_ADDR", flag: "--grpc-addr" },
    ),
    "10.99.99.99:9090 is not an address of this machine " +
      "(set GRPC_ADDR or --grpc-addr to one of its addresses, or 0.0.0.0:9090 for all of them)",
  );
  assert.equal(listenErrorMessage(new Error("boom"), at("127.0.0.1", 1), setting), undefined);
  assert.equal(formatAddr(at("::1", 8080)), "[::1]:8080");
});
