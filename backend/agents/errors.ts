// Why a request through an agent failed before the agent answered it: the agent is not there
// (offline, busy, too slow to open its tunnel), or it refused the request (its limits, a path it
// does not serve). The agent connector turns both into ClusterUnavailableError.

/** The agent cannot take the request: not connected, at its limit, or gone mid-request. */
export class AgentUnavailableError extends Error {}

/** The agent refused an announced request, with the HTTP status it gave. */
export class TunnelRefusedError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The replica holding the agent's stream could not be reached (it died or is partitioned). */
export class PeerUnreachableError extends AgentUnavailableError {}
