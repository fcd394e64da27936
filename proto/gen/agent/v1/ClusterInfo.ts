// Original file: proto/agent/v1/agent.proto


export interface ClusterInfo {
  'kubernetes_version'?: (string);
  'platform'?: (string);
  'node_count'?: (number);
  'namespaces'?: (string)[];
  'crds'?: (string)[];
  'agent_version'?: (string);
}

export interface ClusterInfo__Output {
  'kubernetes_version': (string);
  'platform': (string);
  'node_count': (number);
  'namespaces': (string)[];
  'crds': (string)[];
  'agent_version': (string);
}
