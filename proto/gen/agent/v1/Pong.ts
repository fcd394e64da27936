// Original file: proto/agent/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface Pong {
  'seq'?: (number | string | Long);
  'ping_sent_at_ms'?: (number | string | Long);
}

export interface Pong__Output {
  'seq': (string);
  'ping_sent_at_ms': (string);
}
