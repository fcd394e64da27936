// Original file: proto/agent/v1/agent.proto


export interface RegisterResponse {
  'cluster_id'?: (string);
  'cluster_name'?: (string);
  'credential'?: (string);
}

export interface RegisterResponse__Output {
  'cluster_id': (string);
  'cluster_name': (string);
  'credential': (string);
}
