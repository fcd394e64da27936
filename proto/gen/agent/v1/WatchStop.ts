// Original file: proto/agent/v1/agent.proto


export interface WatchStop {
  'request_id'?: (string);
}

export interface WatchStop__Output {
  'request_id': (string);
}
