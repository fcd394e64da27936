// Original file: proto/agent/v1/agent.proto

import type { BodyChunk as _agent_v1_BodyChunk, BodyChunk__Output as _agent_v1_BodyChunk__Output } from '../../agent/v1/BodyChunk.ts';
import type { StreamEnd as _agent_v1_StreamEnd, StreamEnd__Output as _agent_v1_StreamEnd__Output } from '../../agent/v1/StreamEnd.ts';
import type { K8sRequest as _agent_v1_K8sRequest, K8sRequest__Output as _agent_v1_K8sRequest__Output } from '../../agent/v1/K8sRequest.ts';
import type { WatchStart as _agent_v1_WatchStart, WatchStart__Output as _agent_v1_WatchStart__Output } from '../../agent/v1/WatchStart.ts';

export interface TunnelDown {
  'body'?: (_agent_v1_BodyChunk | null);
  'end'?: (_agent_v1_StreamEnd | null);
  'request'?: (_agent_v1_K8sRequest | null);
  'watch'?: (_agent_v1_WatchStart | null);
  'frame'?: "body"|"end"|"request"|"watch";
}

export interface TunnelDown__Output {
  'body'?: (_agent_v1_BodyChunk__Output | null);
  'end'?: (_agent_v1_StreamEnd__Output | null);
  'request'?: (_agent_v1_K8sRequest__Output | null);
  'watch'?: (_agent_v1_WatchStart__Output | null);
  'frame'?: "body"|"end"|"request"|"watch";
}
