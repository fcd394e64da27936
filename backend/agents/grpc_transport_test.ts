// The agent gRPC server's HTTP/2 settings: the flow-control windows it advertises to agents are
// the widened ones (grpc-js has no server option for them, see widenFlowControl).
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import {
  CONNECTION_WINDOW_BYTES,
  startAgentServer,
  STREAM_WINDOW_BYTES,
} from "./grpc_transport.ts";

Deno.test("the agent server advertises widened HTTP/2 flow-control windows", async () => {
  const server = await startAgentServer({ hostname: "127.0.0.1", port: 0, tls: null }, {
    Register() {},
    Stream() {},
    Tunnel() {},
  });
  const session = http2.connect(`http://127.0.0.1:${server.port}`);
  try {
    const settings = await new Promise<http2.Settings>((resolve, reject) => {
      session.once("remoteSettings", resolve);
      session.once("error", reject);
    });
    assert.equal(settings.initialWindowSize, STREAM_WINDOW_BYTES);
    // The connection window is raised with a WINDOW_UPDATE right after the settings.
    for (
      let i = 0;
      i < 50 && (session.state.remoteWindowSize ?? 0) < CONNECTION_WINDOW_BYTES;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(session.state.remoteWindowSize, CONNECTION_WINDOW_BYTES);
  } finally {
    session.destroy();
    await server.stop();
  }
});
