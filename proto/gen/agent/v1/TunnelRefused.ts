// Original file: proto/agent/v1/agent.proto


export interface TunnelRefused {
  'request_id'?: (string);
  'message'?: (string);
  'http_status'?: (number);
}

export interface TunnelRefused__Output {
  'request_id': (string);
  'message': (string);
  'http_status': (number);
}
