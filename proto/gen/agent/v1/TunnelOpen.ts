// Original file: proto/agent/v1/agent.proto


export interface TunnelOpen {
  'request_id'?: (string);
}

export interface TunnelOpen__Output {
  'request_id': (string);
}
