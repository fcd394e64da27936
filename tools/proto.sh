#!/usr/bin/env bash
# Generates from proto/agent/v1/agent.proto (`deno task proto`):
# - proto/gen/agent/…, proto/gen/agent.ts: the TypeScript types of the messages and the service
#   (proto-loader-gen-types);
# - proto/gen/agent_pb.js: static encoders and decoders (pbjs static-module), which proto/wire.ts
#   uses at run time instead of parsing the .proto with proto-loader (less memory, no reflection).
# With --check, generates into a temporary folder and fails when proto/gen is stale.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=proto/gen
if [[ "${1:-}" == "--check" ]]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
deno run --allow-read --allow-write --allow-env npm:@grpc/proto-loader@0.8.1/proto-loader-gen-types \
  --keepCase --longs=String --enums=String --bytes=Buffer --defaults --oneofs \
  --grpcLib=@grpc/grpc-js --targetFileExtension=.ts --importFileExtension=.ts \
  --outDir="$out" proto/agent/v1/agent.proto >/dev/null
# --no-verify: fromObject converts and checks every field anyway; no service stubs (grpc-js builds
# the client from proto/wire.ts's service definition); no comments (the .proto has them).
deno run --allow-read --allow-write --allow-env --allow-sys npm:protobufjs-cli@1.3.3/pbjs \
  --target static-module --wrap "$PWD/tools/pbjs_wrapper.js" --keep-case \
  --no-create --no-delimited --no-typeurl --no-service --no-verify --no-comments \
  --out "$out/agent_pb.js" proto/agent/v1/agent.proto 2>&1 | { grep -v '^Initialize' || true; } >&2
if [[ "${1:-}" == "--check" ]]; then
  if ! diff -r "$out" proto/gen >/dev/null; then
    echo "proto/gen is stale: run 'deno task proto' and commit the result" >&2
    exit 1
  fi
fi
