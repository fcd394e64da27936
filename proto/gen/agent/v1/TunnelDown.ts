// Original file: proto/agent/v1/agent.proto

import type { BodyChunk as _agent_v1_BodyChunk, BodyChunk__Output as _agent_v1_BodyChunk__Output } from '../../agent/v1/BodyChunk.ts';
import type { StreamEnd as _agent_v1_StreamEnd, StreamEnd__Output as _agent_v1_StreamEnd__Output } from '../../agent/v1/StreamEnd.ts';

export interface TunnelDown {
  'body'?: (_agent_v1_BodyChunk | null);
  'end'?: (_agent_v1_StreamEnd | null);
  'frame'?: "body"|"end";
}

export interface TunnelDown__Output {
  'body'?: (_agent_v1_BodyChunk__Output | null);
  'end'?: (_agent_v1_StreamEnd__Output | null);
  'frame'?: "body"|"end";
}
