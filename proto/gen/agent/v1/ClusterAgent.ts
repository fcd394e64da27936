// Original file: proto/agent/v1/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentMessage as _agent_v1_AgentMessage, AgentMessage__Output as _agent_v1_AgentMessage__Output } from '../../agent/v1/AgentMessage.ts';
import type { DashboardMessage as _agent_v1_DashboardMessage, DashboardMessage__Output as _agent_v1_DashboardMessage__Output } from '../../agent/v1/DashboardMessage.ts';
import type { RegisterRequest as _agent_v1_RegisterRequest, RegisterRequest__Output as _agent_v1_RegisterRequest__Output } from '../../agent/v1/RegisterRequest.ts';
import type { RegisterResponse as _agent_v1_RegisterResponse, RegisterResponse__Output as _agent_v1_RegisterResponse__Output } from '../../agent/v1/RegisterResponse.ts';
import type { TunnelDown as _agent_v1_TunnelDown, TunnelDown__Output as _agent_v1_TunnelDown__Output } from '../../agent/v1/TunnelDown.ts';
import type { TunnelUp as _agent_v1_TunnelUp, TunnelUp__Output as _agent_v1_TunnelUp__Output } from '../../agent/v1/TunnelUp.ts';

export interface ClusterAgentClient extends grpc.Client {
  Register(argument: _agent_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_agent_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _agent_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_agent_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _agent_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_agent_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _agent_v1_RegisterRequest, callback: grpc.requestCallback<_agent_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _agent_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_agent_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _agent_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_agent_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _agent_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_agent_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _agent_v1_RegisterRequest, callback: grpc.requestCallback<_agent_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  
  Stream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_agent_v1_AgentMessage, _agent_v1_DashboardMessage__Output>;
  Stream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_agent_v1_AgentMessage, _agent_v1_DashboardMessage__Output>;
  stream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_agent_v1_AgentMessage, _agent_v1_DashboardMessage__Output>;
  stream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_agent_v1_AgentMessage, _agent_v1_DashboardMessage__Output>;
  
  Tunnel(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_agent_v1_TunnelUp, _agent_v1_TunnelDown__Output>;
  Tunnel(options?: grpc.CallOptions): grpc.ClientDuplexStream<_agent_v1_TunnelUp, _agent_v1_TunnelDown__Output>;
  tunnel(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_agent_v1_TunnelUp, _agent_v1_TunnelDown__Output>;
  tunnel(options?: grpc.CallOptions): grpc.ClientDuplexStream<_agent_v1_TunnelUp, _agent_v1_TunnelDown__Output>;
  
}

export interface ClusterAgentHandlers extends grpc.UntypedServiceImplementation {
  Register: grpc.handleUnaryCall<_agent_v1_RegisterRequest__Output, _agent_v1_RegisterResponse>;
  
  Stream: grpc.handleBidiStreamingCall<_agent_v1_AgentMessage__Output, _agent_v1_DashboardMessage>;
  
  Tunnel: grpc.handleBidiStreamingCall<_agent_v1_TunnelUp__Output, _agent_v1_TunnelDown>;
  
}

export interface ClusterAgentDefinition extends grpc.ServiceDefinition {
  Register: MethodDefinition<_agent_v1_RegisterRequest, _agent_v1_RegisterResponse, _agent_v1_RegisterRequest__Output, _agent_v1_RegisterResponse__Output>
  Stream: MethodDefinition<_agent_v1_AgentMessage, _agent_v1_DashboardMessage, _agent_v1_AgentMessage__Output, _agent_v1_DashboardMessage__Output>
  Tunnel: MethodDefinition<_agent_v1_TunnelUp, _agent_v1_TunnelDown, _agent_v1_TunnelUp__Output, _agent_v1_TunnelDown__Output>
}
