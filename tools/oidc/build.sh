#!/usr/bin/env bash
# Builds test-oidc-provider (tools/oidc: a real OpenID provider, zitadel/oidc from the Go module
# proxy) into .cache/oidc/<hash of its sources>/ and prints the binary's path. Idempotent: a binary
# built from the same go.mod, go.sum and main.go is reused. Used by the single-sign-on tests only
# (testing/oidc_provider.ts).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
hash=$(cd "$here" && cat go.mod go.sum main.go | sha256sum | cut -c1-16)
dir="${OIDC_TOOLS_DIR:-$root/.cache/oidc/$hash}"
bin="$dir/test-oidc-provider"

if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "oidc-tools: Go is not installed. The single-sign-on tests build a real OpenID provider" >&2
  echo "from source and need Go 1.26 or newer (https://go.dev/doc/install)." >&2
  exit 3
fi
mkdir -p "$dir"
echo "oidc-tools: building test-oidc-provider (zitadel/oidc) into $dir" >&2
(cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin.partial.$$" .) >&2
mv "$bin.partial.$$" "$bin"
echo "$bin"
