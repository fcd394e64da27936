// Original file: proto/agent/v1/agent.proto

import type { Header as _agent_v1_Header, Header__Output as _agent_v1_Header__Output } from '../../agent/v1/Header.ts';

export interface K8sRequest {
  'request_id'?: (string);
  'method'?: (string);
  'path'?: (string);
  'headers'?: (_agent_v1_Header)[];
  'has_body'?: (boolean);
}

export interface K8sRequest__Output {
  'request_id': (string);
  'method': (string);
  'path': (string);
  'headers': (_agent_v1_Header__Output)[];
  'has_body': (boolean);
}
