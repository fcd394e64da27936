// Original file: proto/agent/v1/agent.proto


export interface StreamMessage {
  'data'?: (Buffer | Uint8Array | string);
  'text'?: (boolean);
}

export interface StreamMessage__Output {
  'data': (Buffer);
  'text': (boolean);
}
