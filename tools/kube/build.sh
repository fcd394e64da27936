#!/usr/bin/env bash
# Builds the real Kubernetes test tools (kube-apiserver, kube-controller-manager, kubectl, etcd,
# helm) from the Go module proxy into .cache/kube/<versions>/bin, and test-kubelet (the test
# control plane's kubelet, from tools/kube/kubelet) beside them. Idempotent: a complete bin folder
# for the pinned versions is reused as is; test-kubelet is rebuilt alone whenever the hash of its
# sources (kept in bin/test-kubelet.sha256) changes. Used by tests and `deno task dev-cluster` only.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

# The pinned version of a module, read from a go.mod's single-line or block require.
pinned() { sed -nE "s#^(require)?[[:space:]]*$2 (v[^ ]+).*#\\2#p" "$here/$1/go.mod" | head -n 1; }
k8s_version=$(pinned kubernetes k8s.io/kubernetes)
etcd_version=$(pinned etcd go.etcd.io/etcd/server/v3)
helm_version=$(pinned helm helm.sh/helm/v3)
[[ -n "$k8s_version" && -n "$etcd_version" && -n "$helm_version" ]] || {
  echo "kube-tools: could not read the pinned versions from $here/*/go.mod" >&2
  exit 2
}
key="k8s-${k8s_version}_etcd-${etcd_version}_helm-${helm_version}"
bin="${KUBE_TOOLS_DIR:-$root/.cache/kube/$key}/bin"
tools=(kube-apiserver kube-controller-manager kubectl etcd helm)
# The hash of test-kubelet's sources: a change to them rebuilds it (and only it).
kubelet_hash=$(cd "$here/kubelet" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)

tools_complete() {
  local t
  for t in "${tools[@]}"; do [[ -x "$bin/$t" ]] || return 1; done
}
kubelet_current() {
  [[ -x "$bin/test-kubelet" && "$(cat "$bin/test-kubelet.sha256" 2>/dev/null)" == "$kubelet_hash" ]]
}
complete() { tools_complete && kubelet_current; }

if complete; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "kube-tools: Go is not installed. The tests build a real kube-apiserver, etcd, kubectl," >&2
  echo "helm and test-kubelet from source and need Go 1.26 or newer" >&2
  echo "(https://go.dev/doc/install)." >&2
  echo "Go is needed for the tests and the dev cluster only, not to run the dashboard." >&2
  exit 3
fi

mkdir -p "$bin"
minor=${k8s_version#v1.}; minor=${minor%%.*}
k8s_ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  k8s_ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
helm_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
helm_ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"

export CGO_ENABLED=0
if ! tools_complete; then
  echo "kube-tools: building $key into $bin (a cold build takes several minutes)" >&2
  (cd "$here/kubernetes" && go build -trimpath -ldflags "$k8s_ldflags" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl)
  (cd "$here/etcd" && go build -trimpath -ldflags "-s -w" -o "$bin/etcd" .)
  (cd "$here/helm" &&
    go build -trimpath -ldflags "$helm_ldflags" -o "$bin/helm" helm.sh/helm/v3/cmd/helm)
fi
if ! kubelet_current; then
  echo "kube-tools: building test-kubelet ($kubelet_hash) into $bin" >&2
  rm -f "$bin/test-kubelet.sha256"
  (cd "$here/kubelet" && go build -trimpath -ldflags "-s -w" -o "$bin/test-kubelet.new" .)
  mv -f "$bin/test-kubelet.new" "$bin/test-kubelet"
  echo "$kubelet_hash" >"$bin/test-kubelet.sha256"
fi
complete
echo "$bin"
