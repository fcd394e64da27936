// Original file: proto/agent/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface Ping {
  'seq'?: (number | string | Long);
  'sent_at_ms'?: (number | string | Long);
  'last_rtt_ms'?: (number | string);
}

export interface Ping__Output {
  'seq': (string);
  'sent_at_ms': (string);
  'last_rtt_ms': (number);
}
