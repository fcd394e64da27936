// A fake Kubernetes API server for tests that must see exactly what reaches a cluster, or play a
// hostile one: HTTPS (Deno.serve with a certificate from the dashboard's own minting code) that
// records every request (method, path, headers) and answers through a handler the test gives;
// /version and the node list answer by default so the dashboard's cluster checks succeed. Its
// kubeconfig (bearer token, CA embedded) is what a test uploads as a kubeconfig cluster.
import { loadMintedTls } from "../backend/tls.ts";

export interface SeenRequest {
  method: string;
  /** The request target's path as the server received it. */
  path: string;
  search: string;
  headers: Headers;
}

export interface FakeApiServer {
  url: string;
  /** The token the kubeconfig sends (the dashboard's cluster credential). */
  token: string;
  kubeconfig: string;
  seen: SeenRequest[];
  /** Requests other than the dashboard's own background checks (/version, node list). */
  seenByTests(): SeenRequest[];
  stop(): Promise<void>;
}

export type FakeHandler = (req: Request, url: URL) => Response | Promise<Response> | null;

const CHECK_PATHS = new Set(["/version", "/api/v1/nodes", "/api/v1/namespaces", "/api", "/apis"]);

export async function startFakeApiServer(
  handler: FakeHandler = () => null,
): Promise<FakeApiServer> {
  const dir = await Deno.makeTempDir({ prefix: "fake-apiserver-" });
  const tls = await loadMintedTls(dir, ["127.0.0.1"]);
  const token = "fake-apiserver-cluster-token";
  const seen: SeenRequest[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: tls.certPem,
    key: tls.keyPem,
    onListen: () => {},
  }, async (req) => {
    const url = new URL(req.url);
    seen.push({
      method: req.method,
      path: url.pathname,
      search: url.search,
      headers: new Headers(req.headers),
    });
    const own = await handler(req, url);
    if (own) return own;
    if (url.pathname === "/version") {
      return Response.json({ major: "1", minor: "36", gitVersion: "v1.36.0-fake" });
    }
    if (url.pathname === "/api/v1/nodes" || url.pathname === "/api/v1/namespaces") {
      return Response.json({ kind: "List", apiVersion: "v1", metadata: {}, items: [] });
    }
    return Response.json({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "NotFound",
      code: 404,
      message: `the fake API server has nothing at ${url.pathname}`,
    }, { status: 404 });
  });
  const url = `https://127.0.0.1:${server.addr.port}`;
  const b64 = (s: string) => btoa(s);
  const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: ${url}
    certificate-authority-data: ${b64(tls.caPem)}
users:
- name: fake
  user:
    token: ${token}
contexts:
- name: fake
  context:
    cluster: fake
    user: fake
current-context: fake
`;
  return {
    url,
    token,
    kubeconfig,
    seen,
    seenByTests: () => seen.filter((s) => !CHECK_PATHS.has(s.path)),
    async stop() {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
