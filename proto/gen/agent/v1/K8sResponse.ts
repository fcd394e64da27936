// Original file: proto/agent/v1/agent.proto

import type { Header as _agent_v1_Header, Header__Output as _agent_v1_Header__Output } from '../../agent/v1/Header.ts';

export interface K8sResponse {
  'status'?: (number);
  'headers'?: (_agent_v1_Header)[];
  'body'?: (Buffer | Uint8Array | string);
  'complete'?: (boolean);
}

export interface K8sResponse__Output {
  'status': (number);
  'headers': (_agent_v1_Header__Output)[];
  'body': (Buffer);
  'complete': (boolean);
}
