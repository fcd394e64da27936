#!/usr/bin/env bash
# Generates the TypeScript types for proto/agent/v1/agent.proto into proto/gen (`deno task proto`).
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
if [[ "${1:-}" == "--check" ]]; then
  if ! diff -r "$out" proto/gen >/dev/null; then
    echo "proto/gen is stale: run 'deno task proto' and commit the result" >&2
    exit 1
  fi
fi
