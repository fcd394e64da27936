// Original file: proto/agent/v1/agent.proto

import type { Header as _agent_v1_Header, Header__Output as _agent_v1_Header__Output } from '../../agent/v1/Header.ts';

export interface StreamStart {
  'request_id'?: (string);
  'path'?: (string);
  'protocols'?: (string)[];
  'headers'?: (_agent_v1_Header)[];
}

export interface StreamStart__Output {
  'request_id': (string);
  'path': (string);
  'protocols': (string)[];
  'headers': (_agent_v1_Header__Output)[];
}
