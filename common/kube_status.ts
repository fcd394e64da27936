// The one Kubernetes Status builder: the error body kubectl, helm and the UI read (kind Status,
// status Failure), used by the dashboard's proxy and by the agent for the answers it makes itself.
// The reason follows from the HTTP status unless the caller names one.

/** The Status reason for an HTTP status; anything not listed is ServiceUnavailable. */
const STATUS_REASONS: Record<number, string> = {
  400: "BadRequest",
  403: "Forbidden",
  404: "NotFound",
  413: "RequestEntityTooLarge",
  429: "TooManyRequests",
  504: "Timeout",
};

export function statusReason(code: number): string {
  return STATUS_REASONS[code] ?? "ServiceUnavailable";
}

export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: string;
  code: number;
}

/** A failure Status; the reason defaults to the one the HTTP status implies. */
export function failureStatus(
  code: number,
  message: string,
  reason: string = statusReason(code),
): KubeStatus {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
}
