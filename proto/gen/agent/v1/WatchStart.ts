// Original file: proto/agent/v1/agent.proto

import type { Header as _agent_v1_Header, Header__Output as _agent_v1_Header__Output } from '../../agent/v1/Header.ts';

export interface WatchStart {
  'request_id'?: (string);
  'path'?: (string);
  'resource_version'?: (string);
  'headers'?: (_agent_v1_Header)[];
}

export interface WatchStart__Output {
  'request_id': (string);
  'path': (string);
  'resource_version': (string);
  'headers': (_agent_v1_Header__Output)[];
}
