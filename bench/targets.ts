// The three ways the benchmarks reach one API server, with the same client code: (a) the admin
// kubeconfig straight to the kube-apiserver, (b) the dashboard's proxy to a kubeconfig cluster,
// (c) the dashboard's proxy to an agent cluster; and one timed GET through any of them.
import type { ControlPlane } from "../tools/testenv/mod.ts";
import { parseKubeconfig } from "../backend/cluster/kubeconfig.ts";

export interface Target {
  name: "a" | "b" | "c";
  label: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The same target for another client: a connection of its own. */
  another(): Target;
  close(): void;
}

export function directTarget(cp: ControlPlane, kubeconfigText: string): Target {
  const t = parseKubeconfig(kubeconfigText);
  const http = Deno.createHttpClient({
    caCerts: [t.caPem!],
    cert: t.certPem!,
    key: t.keyPem!,
    poolMaxIdlePerHost: 256,
  });
  return {
    name: "a",
    label: "direct",
    fetch: (path, init = {}) => fetch(cp.url + path, { ...init, client: http } as RequestInit),
    another: () => directTarget(cp, kubeconfigText),
    close: () => http.close(),
  };
}

/**
 * A target through the dashboard's proxy. Requests take the callers' tokens in turn: the proxy
 * bounds each caller's open requests per cluster (PER_CALLER_LIMIT), and the bench's 100
 * concurrent clients stand for several callers, not one that exceeds its share.
 */
export function proxyTarget(
  name: "b" | "c",
  label: string,
  url: string,
  caPem: string,
  tokens: readonly string[],
  clusterId: string,
): Target {
  const http = Deno.createHttpClient({ caCerts: [caPem], poolMaxIdlePerHost: 256 });
  const base = `${url}/api/clusters/${clusterId}/k8s`;
  let next = 0;
  return {
    name,
    label,
    fetch: (path, init = {}) =>
      fetch(base + path, {
        ...init,
        client: http,
        headers: {
          ...(init.headers as Record<string, string> ?? {}),
          authorization: `Bearer ${tokens[next++ % tokens.length]}`,
        },
      } as RequestInit),
    another: () => proxyTarget(name, label, url, caPem, tokens, clusterId),
    close: () => http.close(),
  };
}

/** One GET through `t`, its latency in ms; fails on a non-2xx answer. */
export async function timedGet(t: Target, path: string): Promise<number> {
  const start = performance.now();
  const res = await t.fetch(path);
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${t.label} GET ${path}: HTTP ${res.status}`);
  return performance.now() - start;
}
