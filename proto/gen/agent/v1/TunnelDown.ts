// Original file: proto/agent/v1/agent.proto

import type { BodyChunk as _agent_v1_BodyChunk, BodyChunk__Output as _agent_v1_BodyChunk__Output } from '../../agent/v1/BodyChunk.ts';
import type { StreamEnd as _agent_v1_StreamEnd, StreamEnd__Output as _agent_v1_StreamEnd__Output } from '../../agent/v1/StreamEnd.ts';
import type { K8sRequest as _agent_v1_K8sRequest, K8sRequest__Output as _agent_v1_K8sRequest__Output } from '../../agent/v1/K8sRequest.ts';
import type { WatchStart as _agent_v1_WatchStart, WatchStart__Output as _agent_v1_WatchStart__Output } from '../../agent/v1/WatchStart.ts';
import type { StreamStart as _agent_v1_StreamStart, StreamStart__Output as _agent_v1_StreamStart__Output } from '../../agent/v1/StreamStart.ts';
import type { StreamMessage as _agent_v1_StreamMessage, StreamMessage__Output as _agent_v1_StreamMessage__Output } from '../../agent/v1/StreamMessage.ts';

export interface TunnelDown {
  'body'?: (_agent_v1_BodyChunk | null);
  'end'?: (_agent_v1_StreamEnd | null);
  'request'?: (_agent_v1_K8sRequest | null);
  'watch'?: (_agent_v1_WatchStart | null);
  'stream'?: (_agent_v1_StreamStart | null);
  'message'?: (_agent_v1_StreamMessage | null);
  'frame'?: "body"|"end"|"request"|"watch"|"stream"|"message";
}

export interface TunnelDown__Output {
  'body'?: (_agent_v1_BodyChunk__Output | null);
  'end'?: (_agent_v1_StreamEnd__Output | null);
  'request'?: (_agent_v1_K8sRequest__Output | null);
  'watch'?: (_agent_v1_WatchStart__Output | null);
  'stream'?: (_agent_v1_StreamStart__Output | null);
  'message'?: (_agent_v1_StreamMessage__Output | null);
  'frame'?: "body"|"end"|"request"|"watch"|"stream"|"message";
}
