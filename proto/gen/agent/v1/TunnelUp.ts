// Original file: proto/agent/v1/agent.proto

import type { TunnelOpen as _agent_v1_TunnelOpen, TunnelOpen__Output as _agent_v1_TunnelOpen__Output } from '../../agent/v1/TunnelOpen.ts';
import type { K8sResponse as _agent_v1_K8sResponse, K8sResponse__Output as _agent_v1_K8sResponse__Output } from '../../agent/v1/K8sResponse.ts';
import type { BodyChunk as _agent_v1_BodyChunk, BodyChunk__Output as _agent_v1_BodyChunk__Output } from '../../agent/v1/BodyChunk.ts';
import type { WatchEvent as _agent_v1_WatchEvent, WatchEvent__Output as _agent_v1_WatchEvent__Output } from '../../agent/v1/WatchEvent.ts';
import type { StreamEnd as _agent_v1_StreamEnd, StreamEnd__Output as _agent_v1_StreamEnd__Output } from '../../agent/v1/StreamEnd.ts';
import type { StreamMessage as _agent_v1_StreamMessage, StreamMessage__Output as _agent_v1_StreamMessage__Output } from '../../agent/v1/StreamMessage.ts';

export interface TunnelUp {
  'open'?: (_agent_v1_TunnelOpen | null);
  'response'?: (_agent_v1_K8sResponse | null);
  'body'?: (_agent_v1_BodyChunk | null);
  'watch_event'?: (_agent_v1_WatchEvent | null);
  'end'?: (_agent_v1_StreamEnd | null);
  'message'?: (_agent_v1_StreamMessage | null);
  'frame'?: "open"|"response"|"body"|"watch_event"|"end"|"message";
}

export interface TunnelUp__Output {
  'open'?: (_agent_v1_TunnelOpen__Output | null);
  'response'?: (_agent_v1_K8sResponse__Output | null);
  'body'?: (_agent_v1_BodyChunk__Output | null);
  'watch_event'?: (_agent_v1_WatchEvent__Output | null);
  'end'?: (_agent_v1_StreamEnd__Output | null);
  'message'?: (_agent_v1_StreamMessage__Output | null);
  'frame'?: "open"|"response"|"body"|"watch_event"|"end"|"message";
}
