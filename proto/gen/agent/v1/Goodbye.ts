// Original file: proto/agent/v1/agent.proto


export interface Goodbye {
  'reason'?: (string);
  'reconnect'?: (boolean);
}

export interface Goodbye__Output {
  'reason': (string);
  'reconnect': (boolean);
}
