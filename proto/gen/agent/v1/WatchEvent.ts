// Original file: proto/agent/v1/agent.proto


export interface WatchEvent {
  'type'?: (string);
  'object'?: (Buffer | Uint8Array | string);
  'resource_version'?: (string);
}

export interface WatchEvent__Output {
  'type': (string);
  'object': (Buffer);
  'resource_version': (string);
}
