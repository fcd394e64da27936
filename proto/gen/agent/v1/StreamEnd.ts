// Original file: proto/agent/v1/agent.proto


export interface StreamEnd {
  'error'?: (string);
}

export interface StreamEnd__Output {
  'error': (string);
}
