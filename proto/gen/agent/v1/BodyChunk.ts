// Original file: proto/agent/v1/agent.proto


export interface BodyChunk {
  'data'?: (Buffer | Uint8Array | string);
}

export interface BodyChunk__Output {
  'data': (Buffer);
}
