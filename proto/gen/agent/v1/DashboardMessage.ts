// Original file: proto/agent/v1/agent.proto

import type { StreamAccepted as _agent_v1_StreamAccepted, StreamAccepted__Output as _agent_v1_StreamAccepted__Output } from '../../agent/v1/StreamAccepted.ts';
import type { Ping as _agent_v1_Ping, Ping__Output as _agent_v1_Ping__Output } from '../../agent/v1/Ping.ts';
import type { Pong as _agent_v1_Pong, Pong__Output as _agent_v1_Pong__Output } from '../../agent/v1/Pong.ts';
import type { K8sRequest as _agent_v1_K8sRequest, K8sRequest__Output as _agent_v1_K8sRequest__Output } from '../../agent/v1/K8sRequest.ts';
import type { WatchStart as _agent_v1_WatchStart, WatchStart__Output as _agent_v1_WatchStart__Output } from '../../agent/v1/WatchStart.ts';
import type { WatchStop as _agent_v1_WatchStop, WatchStop__Output as _agent_v1_WatchStop__Output } from '../../agent/v1/WatchStop.ts';
import type { Goodbye as _agent_v1_Goodbye, Goodbye__Output as _agent_v1_Goodbye__Output } from '../../agent/v1/Goodbye.ts';
import type { StreamStart as _agent_v1_StreamStart, StreamStart__Output as _agent_v1_StreamStart__Output } from '../../agent/v1/StreamStart.ts';

export interface DashboardMessage {
  'accepted'?: (_agent_v1_StreamAccepted | null);
  'ping'?: (_agent_v1_Ping | null);
  'pong'?: (_agent_v1_Pong | null);
  'k8s_request'?: (_agent_v1_K8sRequest | null);
  'watch_start'?: (_agent_v1_WatchStart | null);
  'watch_stop'?: (_agent_v1_WatchStop | null);
  'goodbye'?: (_agent_v1_Goodbye | null);
  'stream_start'?: (_agent_v1_StreamStart | null);
  'msg'?: "accepted"|"ping"|"pong"|"k8s_request"|"watch_start"|"watch_stop"|"goodbye"|"stream_start";
}

export interface DashboardMessage__Output {
  'accepted'?: (_agent_v1_StreamAccepted__Output | null);
  'ping'?: (_agent_v1_Ping__Output | null);
  'pong'?: (_agent_v1_Pong__Output | null);
  'k8s_request'?: (_agent_v1_K8sRequest__Output | null);
  'watch_start'?: (_agent_v1_WatchStart__Output | null);
  'watch_stop'?: (_agent_v1_WatchStop__Output | null);
  'goodbye'?: (_agent_v1_Goodbye__Output | null);
  'stream_start'?: (_agent_v1_StreamStart__Output | null);
  'msg'?: "accepted"|"ping"|"pong"|"k8s_request"|"watch_start"|"watch_stop"|"goodbye"|"stream_start";
}
