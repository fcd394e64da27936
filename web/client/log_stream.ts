// Reading a container's log through the dashboard's proxy (…/pods/{name}/log): the response's
// text split into lines as it streams (a followed log never ends by itself), and the log URL's
// query (container, follow or previous, timestamps, tailLines). Shared by the pod and workload
// log viewers (islands/LogViewer.tsx, WorkloadLogs.tsx).
import { openStream, readText } from "./api.ts";
import { proxyBase } from "../lib/k8s/paths.ts";

export interface LogQuery {
  container: string;
  follow?: boolean;
  previous?: boolean;
  timestamps?: boolean;
  /** The last lines only; 0 or less: all of them. */
  tail?: number;
}

/** The proxy URL of a pod's container log. */
export function logUrl(clusterId: string, namespace: string, pod: string, q: LogQuery): string {
  const params = new URLSearchParams({ container: q.container });
  if (q.previous) params.set("previous", "true");
  else if (q.follow) params.set("follow", "true");
  if (q.timestamps) params.set("timestamps", "true");
  if (q.tail && q.tail > 0) params.set("tailLines", String(q.tail));
  return `${proxyBase(clusterId)}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${
    encodeURIComponent(pod)
  }/log?${params}`;
}

/**
 * Streams the log at `url`, handing over each chunk's complete lines (blank ones kept) and the
 * last unfinished one at the end. Resolves when the stream ends; throws its error (an abort too).
 */
export async function readLogLines(
  url: string,
  signal: AbortSignal,
  onLines: (lines: string[]) => void,
): Promise<void> {
  let partial = "";
  const res = await openStream(url, signal, "*/*");
  await readText(res, (text) => {
    const parts = (partial + text).split("\n");
    partial = parts.pop() ?? "";
    onLines(parts);
  });
  if (partial) onLines([partial]);
}
