// Original file: proto/agent/v1/agent.proto

import type { ClusterInfo as _agent_v1_ClusterInfo, ClusterInfo__Output as _agent_v1_ClusterInfo__Output } from '../../agent/v1/ClusterInfo.ts';

export interface RegisterRequest {
  'token'?: (string);
  'protocol_version'?: (number);
  'agent_version'?: (string);
  'cluster_info'?: (_agent_v1_ClusterInfo | null);
}

export interface RegisterRequest__Output {
  'token': (string);
  'protocol_version': (number);
  'agent_version': (string);
  'cluster_info': (_agent_v1_ClusterInfo__Output | null);
}
