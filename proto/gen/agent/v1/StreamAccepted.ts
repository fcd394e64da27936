// Original file: proto/agent/v1/agent.proto


export interface StreamAccepted {
  'cluster_id'?: (string);
  'cluster_name'?: (string);
  'session_token'?: (string);
  'heartbeat_interval_ms'?: (number);
  'max_concurrent_requests'?: (number);
  'idle_tunnels'?: (number);
  'max_idle_tunnels'?: (number);
}

export interface StreamAccepted__Output {
  'cluster_id': (string);
  'cluster_name': (string);
  'session_token': (string);
  'heartbeat_interval_ms': (number);
  'max_concurrent_requests': (number);
  'idle_tunnels': (number);
  'max_idle_tunnels': (number);
}
