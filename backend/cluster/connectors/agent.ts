// The connector of agent clusters: the client hands each request to the agent hub, and maps why
// the hub could not carry it to ClusterUnavailableError: the agent is not there (503
// ServiceUnavailable) or it refused the request (the agent's status, with that status's reason,
// the same Status the agent sends itself when it refuses on an idle tunnel). An upgraded stream's
// refusal by the API server passes on as it is.
import {
  ClusterUnavailableError,
  type KubeStream,
  StreamRefusedError,
  type StreamRequest,
} from "../client.ts";
import type { Connector } from "../manager.ts";
import { statusReason } from "../../../common/kube_status.ts";
import { AgentUnavailableError, TunnelRefusedError } from "../../agents/errors.ts";

/** What the connector needs of the hub. */
export interface AgentFetch {
  fetch(clusterId: string, req: Request): Promise<Response>;
  stream(clusterId: string, req: StreamRequest): Promise<KubeStream>;
}

/** Why the hub could not carry a request, as a ClusterClient reports it. */
export function unavailable(err: unknown): ClusterUnavailableError {
  if (err instanceof ClusterUnavailableError) return err;
  if (err instanceof AgentUnavailableError) {
    return new ClusterUnavailableError(503, "ServiceUnavailable", err.message, { cause: err });
  }
  if (err instanceof TunnelRefusedError) {
    return new ClusterUnavailableError(err.status, statusReason(err.status), err.message, {
      cause: err,
    });
  }
  return new ClusterUnavailableError(
    502,
    "ServiceUnavailable",
    `the cluster is unreachable: ${(err as Error).message}`,
    { cause: err },
  );
}

export function agentConnector(hub: AgentFetch): Connector {
  return (cluster) =>
    Promise.resolve({
      fetch: (req: Request) =>
        hub.fetch(cluster.id, req).catch((err) => {
          throw unavailable(err);
        }),
      stream: (req: StreamRequest) =>
        hub.stream(cluster.id, req).catch((err) => {
          throw err instanceof StreamRefusedError ? err : unavailable(err);
        }),
      close: () => {},
    });
}
