// Original file: proto/agent/v1/agent.proto

import type { AgentHello as _agent_v1_AgentHello, AgentHello__Output as _agent_v1_AgentHello__Output } from '../../agent/v1/AgentHello.ts';
import type { Ping as _agent_v1_Ping, Ping__Output as _agent_v1_Ping__Output } from '../../agent/v1/Ping.ts';
import type { Pong as _agent_v1_Pong, Pong__Output as _agent_v1_Pong__Output } from '../../agent/v1/Pong.ts';
import type { ClusterInfo as _agent_v1_ClusterInfo, ClusterInfo__Output as _agent_v1_ClusterInfo__Output } from '../../agent/v1/ClusterInfo.ts';
import type { TunnelRefused as _agent_v1_TunnelRefused, TunnelRefused__Output as _agent_v1_TunnelRefused__Output } from '../../agent/v1/TunnelRefused.ts';

export interface AgentMessage {
  'hello'?: (_agent_v1_AgentHello | null);
  'ping'?: (_agent_v1_Ping | null);
  'pong'?: (_agent_v1_Pong | null);
  'cluster_info'?: (_agent_v1_ClusterInfo | null);
  'tunnel_refused'?: (_agent_v1_TunnelRefused | null);
  'msg'?: "hello"|"ping"|"pong"|"cluster_info"|"tunnel_refused";
}

export interface AgentMessage__Output {
  'hello'?: (_agent_v1_AgentHello__Output | null);
  'ping'?: (_agent_v1_Ping__Output | null);
  'pong'?: (_agent_v1_Pong__Output | null);
  'cluster_info'?: (_agent_v1_ClusterInfo__Output | null);
  'tunnel_refused'?: (_agent_v1_TunnelRefused__Output | null);
  'msg'?: "hello"|"ping"|"pong"|"cluster_info"|"tunnel_refused";
}
