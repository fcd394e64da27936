import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentHello as _agent_v1_AgentHello, AgentHello__Output as _agent_v1_AgentHello__Output } from './agent/v1/AgentHello.ts';
import type { AgentMessage as _agent_v1_AgentMessage, AgentMessage__Output as _agent_v1_AgentMessage__Output } from './agent/v1/AgentMessage.ts';
import type { BodyChunk as _agent_v1_BodyChunk, BodyChunk__Output as _agent_v1_BodyChunk__Output } from './agent/v1/BodyChunk.ts';
import type { ClusterAgentClient as _agent_v1_ClusterAgentClient, ClusterAgentDefinition as _agent_v1_ClusterAgentDefinition } from './agent/v1/ClusterAgent.ts';
import type { ClusterInfo as _agent_v1_ClusterInfo, ClusterInfo__Output as _agent_v1_ClusterInfo__Output } from './agent/v1/ClusterInfo.ts';
import type { DashboardMessage as _agent_v1_DashboardMessage, DashboardMessage__Output as _agent_v1_DashboardMessage__Output } from './agent/v1/DashboardMessage.ts';
import type { Goodbye as _agent_v1_Goodbye, Goodbye__Output as _agent_v1_Goodbye__Output } from './agent/v1/Goodbye.ts';
import type { Header as _agent_v1_Header, Header__Output as _agent_v1_Header__Output } from './agent/v1/Header.ts';
import type { K8sRequest as _agent_v1_K8sRequest, K8sRequest__Output as _agent_v1_K8sRequest__Output } from './agent/v1/K8sRequest.ts';
import type { K8sResponse as _agent_v1_K8sResponse, K8sResponse__Output as _agent_v1_K8sResponse__Output } from './agent/v1/K8sResponse.ts';
import type { Ping as _agent_v1_Ping, Ping__Output as _agent_v1_Ping__Output } from './agent/v1/Ping.ts';
import type { Pong as _agent_v1_Pong, Pong__Output as _agent_v1_Pong__Output } from './agent/v1/Pong.ts';
import type { RegisterRequest as _agent_v1_RegisterRequest, RegisterRequest__Output as _agent_v1_RegisterRequest__Output } from './agent/v1/RegisterRequest.ts';
import type { RegisterResponse as _agent_v1_RegisterResponse, RegisterResponse__Output as _agent_v1_RegisterResponse__Output } from './agent/v1/RegisterResponse.ts';
import type { StreamAccepted as _agent_v1_StreamAccepted, StreamAccepted__Output as _agent_v1_StreamAccepted__Output } from './agent/v1/StreamAccepted.ts';
import type { StreamEnd as _agent_v1_StreamEnd, StreamEnd__Output as _agent_v1_StreamEnd__Output } from './agent/v1/StreamEnd.ts';
import type { StreamMessage as _agent_v1_StreamMessage, StreamMessage__Output as _agent_v1_StreamMessage__Output } from './agent/v1/StreamMessage.ts';
import type { StreamStart as _agent_v1_StreamStart, StreamStart__Output as _agent_v1_StreamStart__Output } from './agent/v1/StreamStart.ts';
import type { TunnelDown as _agent_v1_TunnelDown, TunnelDown__Output as _agent_v1_TunnelDown__Output } from './agent/v1/TunnelDown.ts';
import type { TunnelOpen as _agent_v1_TunnelOpen, TunnelOpen__Output as _agent_v1_TunnelOpen__Output } from './agent/v1/TunnelOpen.ts';
import type { TunnelRefused as _agent_v1_TunnelRefused, TunnelRefused__Output as _agent_v1_TunnelRefused__Output } from './agent/v1/TunnelRefused.ts';
import type { TunnelUp as _agent_v1_TunnelUp, TunnelUp__Output as _agent_v1_TunnelUp__Output } from './agent/v1/TunnelUp.ts';
import type { WatchEvent as _agent_v1_WatchEvent, WatchEvent__Output as _agent_v1_WatchEvent__Output } from './agent/v1/WatchEvent.ts';
import type { WatchStart as _agent_v1_WatchStart, WatchStart__Output as _agent_v1_WatchStart__Output } from './agent/v1/WatchStart.ts';
import type { WatchStop as _agent_v1_WatchStop, WatchStop__Output as _agent_v1_WatchStop__Output } from './agent/v1/WatchStop.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  agent: {
    v1: {
      AgentHello: MessageTypeDefinition<_agent_v1_AgentHello, _agent_v1_AgentHello__Output>
      AgentMessage: MessageTypeDefinition<_agent_v1_AgentMessage, _agent_v1_AgentMessage__Output>
      BodyChunk: MessageTypeDefinition<_agent_v1_BodyChunk, _agent_v1_BodyChunk__Output>
      ClusterAgent: SubtypeConstructor<typeof grpc.Client, _agent_v1_ClusterAgentClient> & { service: _agent_v1_ClusterAgentDefinition }
      ClusterInfo: MessageTypeDefinition<_agent_v1_ClusterInfo, _agent_v1_ClusterInfo__Output>
      DashboardMessage: MessageTypeDefinition<_agent_v1_DashboardMessage, _agent_v1_DashboardMessage__Output>
      Goodbye: MessageTypeDefinition<_agent_v1_Goodbye, _agent_v1_Goodbye__Output>
      Header: MessageTypeDefinition<_agent_v1_Header, _agent_v1_Header__Output>
      K8sRequest: MessageTypeDefinition<_agent_v1_K8sRequest, _agent_v1_K8sRequest__Output>
      K8sResponse: MessageTypeDefinition<_agent_v1_K8sResponse, _agent_v1_K8sResponse__Output>
      Ping: MessageTypeDefinition<_agent_v1_Ping, _agent_v1_Ping__Output>
      Pong: MessageTypeDefinition<_agent_v1_Pong, _agent_v1_Pong__Output>
      RegisterRequest: MessageTypeDefinition<_agent_v1_RegisterRequest, _agent_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_agent_v1_RegisterResponse, _agent_v1_RegisterResponse__Output>
      StreamAccepted: MessageTypeDefinition<_agent_v1_StreamAccepted, _agent_v1_StreamAccepted__Output>
      StreamEnd: MessageTypeDefinition<_agent_v1_StreamEnd, _agent_v1_StreamEnd__Output>
      StreamMessage: MessageTypeDefinition<_agent_v1_StreamMessage, _agent_v1_StreamMessage__Output>
      StreamStart: MessageTypeDefinition<_agent_v1_StreamStart, _agent_v1_StreamStart__Output>
      TunnelDown: MessageTypeDefinition<_agent_v1_TunnelDown, _agent_v1_TunnelDown__Output>
      TunnelOpen: MessageTypeDefinition<_agent_v1_TunnelOpen, _agent_v1_TunnelOpen__Output>
      TunnelRefused: MessageTypeDefinition<_agent_v1_TunnelRefused, _agent_v1_TunnelRefused__Output>
      TunnelUp: MessageTypeDefinition<_agent_v1_TunnelUp, _agent_v1_TunnelUp__Output>
      WatchEvent: MessageTypeDefinition<_agent_v1_WatchEvent, _agent_v1_WatchEvent__Output>
      WatchStart: MessageTypeDefinition<_agent_v1_WatchStart, _agent_v1_WatchStart__Output>
      WatchStop: MessageTypeDefinition<_agent_v1_WatchStop, _agent_v1_WatchStop__Output>
    }
  }
}

