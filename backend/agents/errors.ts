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

/** Why an agent's control stream was not attached, with the gRPC status the agent gets. */
export class AttachRefusedError extends Error {
  constructor(readonly grpcCode: number, message: string) {
    super(message);
  }
}

/** gRPC status codes of the refusals (grpc-js's status enum, without importing grpc-js). */
export const GRPC_ALREADY_EXISTS = 6;
export const GRPC_UNAVAILABLE = 14;

/** A second stream with a live session's credential: the live one answered its probe. */
export class TakeoverRefusedError extends AttachRefusedError {
  constructor(message: string) {
    super(GRPC_ALREADY_EXISTS, message);
  }
}
